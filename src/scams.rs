//! Scam check: which known fraud kind a forwarded message looks like, if any. Pure and
//! data-driven: the phrases live in `config/scams.toml` (built in; an admin's own file replaces it
//! without a rebuild), every phrase and every message read the same way:
//!
//! 1. NFC, lower case, Devanagari digits as ASCII; nukta and zero-width joiners dropped,
//!    chandrabindu read as anusvara (ख़ाता = खाता, हाँ = हां);
//! 2. what varies from message to message becomes a token: a link `xlinkx`, a UPI id `xupix`, an
//!    amount `xamountx` (₹ 4,999, Rs.500, 25000/-), a dialled code `xcodex` (*401*…#, followed by
//!    `xnumx` when a phone number is in it), any other number of five digits or more `xnumx`
//!    (phones, OTPs, accounts); shorter numbers stay (1930); "a/c" is read "account";
//! 3. words (runs of letters with their marks, or of digits); a Roman word also loses the
//!    spelling people vary (`ee`→`i`, `oo`→`u`, `w`→`v`, `z`→`j`, `ph`→`f`, doubled letters once:
//!    "aapka khaata" = "apka khata"), then a word may be read as another ([`ALIASES`]: SMS short
//!    forms, the Devanagari spelling of a borrowed word, the forms of a few verbs);
//! 4. every phrase of every category found among the words (whole words only, each phrase
//!    counted once; a phrase may weigh less than zero, such as "do not share" for OTP notices);
//!    two phrases of a category that read the same count once, at the larger weight; a category
//!    with any phrase also gets the structure signals present (a link, urgency, a payment or PIN
//!    request, and below zero a warning about frauds or a genuine notice's "not you? call …");
//! 5. the best category wins only at `threshold` or above and `margin` ahead of the next;
//!    otherwise the answer is "none" (and the reply is the general advice).
//!
//! The text is never kept: a [`Verdict`] holds the category and the scores, nothing of the words.

use std::collections::BTreeMap;

use aho_corasick::AhoCorasick;
use regex::Regex;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization as _;

/// The rules shipped with mitan.
pub const BUILT_IN: &str = include_str!("../config/scams.toml");

/// The rules as written in the data file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rules {
    /// The score a category needs to win.
    pub threshold: f32,
    /// How far ahead of the next category the winner must be.
    pub margin: f32,
    /// Structure signals: each adds its weight to every category with a phrase found.
    #[serde(default)]
    pub signals: BTreeMap<String, Signal>,
    /// Per fraud kind (a tip category), phrase → weight.
    pub categories: BTreeMap<String, BTreeMap<String, f32>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    pub weight: f32,
    pub phrases: Vec<String>,
}

/// What the check found.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The fraud kind, when one is clear enough.
    pub category: Option<String>,
    /// Every category that scored, best first.
    pub scores: Vec<(String, f32)>,
}

/// What a phrase counts for.
#[derive(Debug, Clone, Copy)]
enum Target {
    Category(usize, f32),
    Signal(usize),
}

/// The rules, compiled: one automaton over every phrase.
pub struct Matcher {
    threshold: f32,
    margin: f32,
    categories: Vec<String>,
    signal_weights: Vec<f32>,
    automaton: AhoCorasick,
    targets: Vec<Target>,
    reader: Reader,
}

#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    #[error("{0}")]
    Toml(#[from] toml::de::Error),
    #[error("category {category:?}: phrase {phrase:?} has no word left once read")]
    EmptyPhrase { category: String, phrase: String },
    #[error("threshold and margin must be positive")]
    Limits,
    #[error("{0}")]
    Automaton(#[from] aho_corasick::BuildError),
}

impl Matcher {
    /// The built-in rules.
    pub fn built_in() -> Self {
        Self::from_toml(BUILT_IN).expect("the built-in scam rules are valid")
    }

    pub fn from_toml(text: &str) -> Result<Self, RulesError> {
        Self::new(&toml::from_str(text)?)
    }

    pub fn new(rules: &Rules) -> Result<Self, RulesError> {
        if rules.threshold <= 0.0 || rules.margin < 0.0 {
            return Err(RulesError::Limits);
        }
        let reader = Reader::new();
        let mut patterns = Vec::new();
        let mut targets = Vec::new();
        // Two phrases of one owner that read the same (ओटीपी बताएं, "otp batao") count once, at the
        // larger weight.
        let mut seen = std::collections::HashMap::<(String, String), usize>::new();
        let mut add = |owner: &str, phrase: &str, target: Target| {
            let read = reader.words(phrase);
            if read.is_empty() {
                return Err(RulesError::EmptyPhrase {
                    category: owner.to_string(),
                    phrase: phrase.to_string(),
                });
            }
            let pattern = format!(" {read} ");
            if let Some(&at) = seen.get(&(owner.to_string(), pattern.clone())) {
                if let (Target::Category(_, old), Target::Category(_, new)) =
                    (&mut targets[at], target)
                {
                    *old = old.max(new);
                }
                return Ok(());
            }
            seen.insert((owner.to_string(), pattern.clone()), patterns.len());
            patterns.push(pattern);
            targets.push(target);
            Ok(())
        };
        let categories: Vec<String> = rules.categories.keys().cloned().collect();
        for (n, (category, phrases)) in rules.categories.iter().enumerate() {
            for (phrase, weight) in phrases {
                add(category, phrase, Target::Category(n, *weight))?;
            }
        }
        let mut signal_weights = Vec::new();
        for (n, (name, signal)) in rules.signals.iter().enumerate() {
            signal_weights.push(signal.weight);
            for phrase in &signal.phrases {
                add(&format!("signals.{name}"), phrase, Target::Signal(n))?;
            }
        }
        Ok(Self {
            threshold: rules.threshold,
            margin: rules.margin,
            categories,
            signal_weights,
            automaton: AhoCorasick::new(&patterns)?,
            targets,
            reader,
        })
    }

    /// The verdict on one message.
    pub fn check(&self, text: &str) -> Verdict {
        let haystack = format!(" {} ", self.reader.words(text));
        let mut found = vec![false; self.targets.len()];
        for hit in self.automaton.find_overlapping_iter(&haystack) {
            found[hit.pattern().as_usize()] = true;
        }
        let mut phrase_scores = vec![None::<f32>; self.categories.len()];
        let mut signals = 0.0;
        let mut signal_seen = vec![false; self.signal_weights.len()];
        for (target, _) in self.targets.iter().zip(&found).filter(|(_, hit)| **hit) {
            match *target {
                Target::Category(n, weight) => {
                    *phrase_scores[n].get_or_insert(0.0) += weight;
                }
                Target::Signal(n) if !signal_seen[n] => {
                    signal_seen[n] = true;
                    signals += self.signal_weights[n];
                }
                Target::Signal(_) => {}
            }
        }
        let mut scores: Vec<(String, f32)> = phrase_scores
            .iter()
            .enumerate()
            .filter_map(|(n, score)| Some((self.categories[n].clone(), (*score)? + signals)))
            .collect();
        scores.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let best = scores.first().map(|(_, score)| *score).unwrap_or(0.0);
        let next = scores.get(1).map(|(_, score)| *score).unwrap_or(0.0);
        let category = (best >= self.threshold && best - next.max(0.0) >= self.margin)
            .then(|| scores[0].0.clone());
        Verdict { category, scores }
    }

    /// The categories the rules know.
    pub fn categories(&self) -> &[String] {
        &self.categories
    }
}

/// One message of a labelled corpus (`tests/fixtures/scams/corpus.jsonl`).
#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    pub id: String,
    pub text: String,
    pub language: String,
    /// The fraud kind, or `none` for a genuine message.
    pub category: String,
    /// `tune` (phrases may be tuned on it) or `holdout` (never).
    pub split: String,
}

/// Reads a corpus: one JSON object per line.
pub fn read_corpus(text: &str) -> Result<Vec<Labelled>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| serde_json::from_str(line).map_err(|err| format!("line {}: {err}", n + 1)))
        .collect()
}

/// How the matcher does on a labelled set: per category, and over every fraud kind together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Per category (`none` included): messages labelled, given, and given rightly.
    pub per_category: BTreeMap<String, Counts>,
    /// Fraud messages and verdicts pooled: precision and recall over every kind together.
    pub precision: f64,
    pub recall: f64,
    /// Genuine messages called a fraud, of all genuine messages.
    pub genuine_flagged: (usize, usize),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Messages labelled with the category.
    pub labelled: usize,
    /// Messages the matcher gave the category.
    pub given: usize,
    /// Of those, labelled with it.
    pub right: usize,
}

impl Counts {
    pub fn precision(&self) -> f64 {
        ratio(self.right, self.given)
    }

    pub fn recall(&self) -> f64 {
        ratio(self.right, self.labelled)
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// The figures of `matcher` on `messages`.
pub fn evaluate<'a>(
    matcher: &Matcher,
    messages: impl IntoIterator<Item = &'a Labelled>,
) -> Figures {
    let mut figures = Figures::default();
    let (mut given, mut right, mut fraud) = (0, 0, 0);
    let (mut flagged, mut genuine) = (0, 0);
    for message in messages {
        let verdict = matcher
            .check(&message.text)
            .category
            .unwrap_or_else(|| "none".into());
        figures
            .per_category
            .entry(message.category.clone())
            .or_default()
            .labelled += 1;
        let counts = figures.per_category.entry(verdict.clone()).or_default();
        counts.given += 1;
        if verdict == message.category {
            counts.right += 1;
        }
        if message.category == "none" {
            genuine += 1;
            flagged += usize::from(verdict != "none");
        } else {
            fraud += 1;
        }
        if verdict != "none" {
            given += 1;
            right += usize::from(verdict == message.category);
        }
    }
    figures.precision = ratio(right, given);
    figures.recall = ratio(right, fraud);
    figures.genuine_flagged = (flagged, genuine);
    figures
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "| category | messages | given | right | precision | recall |"
        )?;
        writeln!(f, "|---|---:|---:|---:|---:|---:|")?;
        for (category, counts) in &self.per_category {
            writeln!(
                f,
                "| {category} | {} | {} | {} | {:.2} | {:.2} |",
                counts.labelled,
                counts.given,
                counts.right,
                counts.precision(),
                counts.recall()
            )?;
        }
        writeln!(
            f,
            "\nevery fraud kind together: precision {:.3}, recall {:.3}; genuine messages called a fraud: {} of {}",
            self.precision, self.recall, self.genuine_flagged.0, self.genuine_flagged.1
        )
    }
}

/// The checks of one week (Monday to Sunday): per kind (`none` included), and in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    /// Its Monday.
    pub week_of: chrono::NaiveDate,
    pub kinds: BTreeMap<String, i64>,
    pub total: i64,
}

/// The `weeks` weeks up to the one holding `today`, oldest first, from (day, kind, checks) rows:
/// every week is there, a week without checks too.
pub fn by_week(
    rows: &[(chrono::NaiveDate, String, i64)],
    today: chrono::NaiveDate,
    weeks: u32,
) -> Vec<Week> {
    use chrono::Datelike as _;
    let monday = |day: chrono::NaiveDate| {
        day - chrono::Duration::days(i64::from(day.weekday().num_days_from_monday()))
    };
    let last = monday(today);
    let mut out: Vec<Week> = (0..i64::from(weeks))
        .rev()
        .map(|back| Week {
            week_of: last - chrono::Duration::weeks(back),
            kinds: BTreeMap::new(),
            total: 0,
        })
        .collect();
    for (day, kind, checks) in rows {
        if let Some(week) = out.iter_mut().find(|week| week.week_of == monday(*day)) {
            *week.kinds.entry(kind.clone()).or_default() += checks;
            week.total += checks;
        }
    }
    out
}

/// How a message (or a phrase) is read into words: see the module documentation.
struct Reader {
    link: Regex,
    upi: Regex,
    amount: Regex,
    code: Regex,
    number: Regex,
    account: Regex,
    /// A word (as folded) → the word it is read as: see [`ALIASES`].
    aliases: std::collections::HashMap<String, String>,
}

impl Reader {
    fn new() -> Self {
        let regex = |pattern: &str| Regex::new(pattern).expect("a valid pattern");
        Self {
            link: regex(
                r"(?:https?://|www\.)\S+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|in|net|org|info|xyz|top|link|ly|co|me|online|site|app|io|live|club|cc|tk|ml|gq|biz|shop|vip)\b(?:/\S*)?",
            ),
            upi: regex(r"\b[a-z0-9][a-z0-9._-]*@[a-z][a-z0-9]+\b"),
            amount: regex(
                r"(?:₹|\brs\b\.?|\binr\b|रु\.?|रू\.?)\s*[0-9][0-9,]*(?:\.[0-9]+)?|\b[0-9][0-9,]*(?:\.[0-9]+)?\s*(?:/-|rupees?\b|rupaye\b|rupaiye\b|rupay\b|रुपये|रुपए|रूपये|रुपया)",
            ),
            code: regex(r"[*#][0-9*#]{2,}#?"),
            number: regex(r"[0-9][0-9 -]{3,}[0-9]"),
            account: regex(r"\ba/c\b"),
            aliases: ALIASES
                .iter()
                .flat_map(|(to, froms)| {
                    froms
                        .iter()
                        .map(move |from| (roman_fold(from), roman_fold(to)))
                })
                .collect(),
        }
    }

    /// The words of `text`, as the phrases are matched against them, joined by single spaces.
    fn words(&self, text: &str) -> String {
        let text: String = text
            .nfc()
            .flat_map(char::to_lowercase)
            .map(devanagari_digit)
            .filter(|c| !matches!(*c, '\u{093C}' | '\u{200C}' | '\u{200D}'))
            .map(|c| if c == '\u{0901}' { '\u{0902}' } else { c })
            .collect();
        // Emails look like UPI ids and links both: a UPI id ends where a domain would go on.
        let text = self.upi.replace_all(&text, |caps: &regex::Captures<'_>| {
            let whole = caps.get(0).expect("a match");
            let after = text[whole.end()..].chars().next();
            if after == Some('.') {
                whole.as_str().to_string()
            } else {
                " xupix ".to_string()
            }
        });
        let text = self.link.replace_all(&text, " xlinkx ");
        let text = self.account.replace_all(&text, " account ");
        let text = self.amount.replace_all(&text, " xamountx ");
        // A code with a phone number in it (*401*9000000001#) forwards calls there.
        let text = self.code.replace_all(&text, |caps: &regex::Captures<'_>| {
            let longest = caps[0]
                .split(|c: char| !c.is_ascii_digit())
                .map(str::len)
                .max()
                .unwrap_or(0);
            if longest >= 5 {
                " xcodex xnumx ".to_string()
            } else {
                " xcodex ".to_string()
            }
        });
        let text = self
            .number
            .replace_all(&text, |caps: &regex::Captures<'_>| {
                let digits = caps[0].chars().filter(char::is_ascii_digit).count();
                if digits >= 5 {
                    " xnumx ".to_string()
                } else {
                    caps[0].to_string()
                }
            });
        let mut words = Vec::new();
        let mut word = String::new();
        let mut digits = false;
        for c in text.chars() {
            let letter = is_letter(c);
            let digit = c.is_ascii_digit();
            if !word.is_empty() && (!(letter || digit) || digit != digits) {
                words.push(self.alias(roman_fold(&std::mem::take(&mut word))));
            }
            if letter || digit {
                digits = digit;
                word.push(c);
            }
        }
        if !word.is_empty() {
            words.push(self.alias(roman_fold(&word)));
        }
        words.join(" ")
    }

    fn alias(&self, word: String) -> String {
        self.aliases.get(&word).cloned().unwrap_or(word)
    }
}

/// Words read as another: SMS short forms (`kro` = `karo`, `ur` = `your`), the Devanagari
/// spelling of a word borrowed from English (ओटीपी = `otp`, वीडियो = `video`, so one phrase serves
/// both scripts), and the forms of the few verbs a fraud turns on (send, tell, put in, do), in
/// Hindi, Roman Hindi and Chhattisgarhi, read as one and in Roman letters (भेजें = भेजो = "bhejo":
/// `bhej`). Each entry:
/// the word read, then the words read as it.
const ALIASES: &[(&str, &[&str])] = &[
    ("your", &["ur", "yr"]),
    ("you", &["u"]),
    ("please", &["pls", "plz", "plse"]),
    ("message", &["msg", "sms"]),
    ("number", &["no", "num", "nmbr", "नंबर", "नम्बर", "नमबर"]),
    (
        "whatsapp",
        &[
            "watsapp",
            "whatsaap",
            "watsap",
            "whtsapp",
            "wtsp",
            "whatsap",
            "व्हाट्सएप",
            "व्हाट्सऐप",
            "वाट्सएप",
            "वाट्सऐप",
            "वॉट्सऐप",
            "वॉट्सएप",
            "व्हाट्सअप",
        ],
    ),
    ("nahi", &["nhi", "nahin", "nahee"]),
    ("otp", &["ओटीपी"]),
    ("kyc", &["केवाईसी", "केवायसी"]),
    ("upi", &["यूपीआई", "युपीआई"]),
    ("pin", &["पिन", "pinn"]),
    ("atm", &["एटीएम"]),
    ("cvv", &["सीवीवी"]),
    ("qr", &["क्यूआर"]),
    ("apk", &["एपीके"]),
    ("loan", &["लोन", "lone"]),
    ("app", &["ऐप", "एप", "ऍप", "एप्प", "ऐप्प"]),
    ("link", &["लिंक"]),
    ("call", &["कॉल", "cal"]),
    ("video", &["वीडियो", "विडियो", "वीडियों", "vidio", "vdo"]),
    ("sim", &["सिम"]),
    ("code", &["कोड"]),
    ("refund", &["रिफंड", "रिफण्ड"]),
    ("customer", &["कस्टमर"]),
    ("care", &["केयर"]),
    ("helpline", &["हेल्पलाइन"]),
    ("scan", &["स्कैन"]),
    ("lottery", &["लॉटरी", "लाटरी", "lotery"]),
    ("kbc", &["केबीसी"]),
    ("anydesk", &["एनीडेस्क"]),
    ("update", &["अपडेट", "updat", "updte"]),
    ("block", &["ब्लॉक", "ब्लाक"]),
    ("fees", &["फीस", "fee", "fes"]),
    ("charge", &["चार्ज", "charges"]),
    ("advance", &["एडवांस"]),
    ("parcel", &["पार्सल", "पारसल"]),
    ("courier", &["कूरियर", "कुरियर", "curier"]),
    ("download", &["डाउनलोड"]),
    ("install", &["इंस्टॉल", "इंस्टाल", "इनस्टॉल"]),
    ("account", &["acount", "acc", "khata", "khate", "khaate"]),
    ("खाता", &["खाते"]),
    ("turant", &["turnt", "turat", "tarant"]),
    ("jaldi", &["jldi", "jaldee"]),
    ("block", &["blok"]),
    ("band", &["bandh"]),
    // Verbs: send, tell, put in, do.
    (
        "bhej",
        &[
            "bhejo", "bheje", "bhejen", "bhejein", "bhejiye", "bhejie", "bhejdo", "bhejde",
        ],
    ),
    (
        "bata",
        &[
            "batao",
            "bataye",
            "bataen",
            "batayen",
            "batayein",
            "bataiye",
            "bataie",
            "batado",
            "batadijiye",
            "btao",
            "btaye",
            "btaiye",
            "bataein",
        ],
    ),
    (
        "dal",
        &["dalo", "dale", "dalen", "dalein", "daliye", "dalie"],
    ),
    (
        "kar",
        &[
            "karo", "kare", "karen", "karein", "kijiye", "kariye", "karie", "kro", "kre", "kren",
            "krein", "kr",
        ],
    ),
    (
        "bhej",
        &["भेज", "भेजें", "भेजे", "भेजो", "भेजिए", "भेजिये", "भेजव", "भेजबे", "भेजहू"],
    ),
    (
        "bata",
        &[
            "बता",
            "बताएं",
            "बताएँ",
            "बताये",
            "बतायें",
            "बताओ",
            "बताइए",
            "बताइये",
            "बतावव",
            "बताबे",
            "बतावा",
        ],
    ),
    (
        "dal",
        &[
            "डाल",
            "डालें",
            "डाले",
            "डालो",
            "डालिए",
            "डालिये",
            "डार",
            "डारव",
            "डारबे",
            "डालव",
        ],
    ),
    (
        "kar",
        &[
            "कर",
            "करें",
            "करे",
            "करो",
            "कीजिए",
            "कीजिये",
            "करिए",
            "करिये",
            "करव",
            "करबे",
        ],
    ),
];

fn devanagari_digit(c: char) -> char {
    match c {
        '\u{0966}'..='\u{096F}' => char::from(b'0' + (c as u32 - 0x0966) as u8),
        _ => c,
    }
}

/// A letter, or a mark that belongs to one (Devanagari's vowel signs and virama included).
fn is_letter(c: char) -> bool {
    // The danda and double danda (। ॥) end a sentence, like a full stop.
    !matches!(c, '\u{0964}' | '\u{0965}')
        && (c.is_alphabetic()
            || unicode_normalization::char::is_combining_mark(c)
            || ('\u{0900}'..='\u{097F}').contains(&c))
}

/// A Roman word without the spellings people vary; other scripts as they are.
fn roman_fold(word: &str) -> String {
    if !word.chars().all(|c| c.is_ascii_lowercase()) {
        return word.to_string();
    }
    let word = word
        .replace("ee", "i")
        .replace("oo", "u")
        .replace("ph", "f")
        .replace('w', "v")
        .replace('z', "j");
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> String {
        Reader::new().words(text)
    }

    #[test]
    fn messages_are_read_into_words_with_what_varies_as_tokens() {
        assert_eq!(
            read("Aapka KHAATA band ho jayega! Click http://bit.ly/x9 or pay ₹ 4,999 to abc@ybl"),
            "apka acount band ho jayega click xlinkx or pay xamountx to xupix"
        );
        // A code with a phone number in it forwards calls; a short one (balance) does not.
        assert_eq!(
            read("Call 9000000001 or dial *401*9000000002#, balance *121#"),
            "cal xnumx or dial xcodex xnumx balance xcodex"
        );
        assert_eq!(
            read("OTP १२३४५६ hai, 1930 par call karein"),
            "otp xnumx hai 1930 par cal kar"
        );
        assert_eq!(read("ख़ाता बंद होगा, हाँ"), read("खाता बंद होगा, हां"));
        assert_eq!(read("Rs.500 /- 25000/-"), "xamountx xamountx");
        assert_eq!(read("mail me at ravi@gmail.com"), "mail me at ravi xlinkx");
        assert_eq!(read("sbi-kyc-update.in/login NOW"), "xlinkx nov");
    }

    #[test]
    fn short_forms_borrowed_words_and_verb_forms_are_read_as_one() {
        // SMS short forms and "a/c".
        assert_eq!(
            read("plz send ur a/c no"),
            read("please send your account number")
        );
        // A word borrowed from English, in Devanagari or in Roman letters.
        assert_eq!(read("ओटीपी बताएं"), "otp bata");
        assert_eq!(read("वीडियो कॉल"), read("video call"));
        // The forms of a verb a fraud turns on, in each language.
        for form in ["batao", "bataiye", "bataye", "btao"] {
            assert_eq!(read(&format!("otp {form}")), "otp bata", "{form}");
        }
        assert_eq!(read("पिन डालें"), read("पिन डार"));
        assert_eq!(read("भेजिए"), read("भेजो"));
        // An infinitive is not read as an order ("kisi ko mat batana" warns).
        assert_ne!(read("batana"), read("batao"));
    }

    #[test]
    fn phrases_that_read_the_same_count_once() {
        let matcher = Matcher::from_toml(
            "threshold = 3.0\nmargin = 1.0\n[categories.otp_pin_sharing]\n\"otp batao\" = 2.0\n\"ओटीपी बताएं\" = 2.5\n",
        )
        .unwrap();
        let verdict = matcher.check("OTP bataiye");
        assert_eq!(verdict.scores, [("otp_pin_sharing".to_string(), 2.5)]);
        assert_eq!(verdict.category, None);
    }

    #[test]
    fn a_category_wins_only_above_the_threshold_and_ahead_by_the_margin() {
        let matcher = Matcher::from_toml(
            r#"
threshold = 3.0
margin = 1.0
[signals.link]
weight = 1.0
phrases = ["xlinkx"]
[categories.kyc_update_sms]
"kyc update" = 2.0
"khata band" = 1.5
[categories.otp_pin_sharing]
"share otp" = 3.0
"do not share" = -4.0
"#,
        )
        .unwrap();
        let kyc = matcher.check("Aapka khaata band ho jayega, KYC update karein: bit.ly/abc");
        assert_eq!(kyc.category.as_deref(), Some("kyc_update_sms"), "{kyc:?}");
        assert_eq!(kyc.scores[0].1, 2.0 + 1.5 + 1.0);
        // One phrase alone is below the threshold: no verdict.
        assert_eq!(matcher.check("kyc update kaise kare").category, None);
        // A genuine OTP notice says the opposite of asking for it.
        let notice = matcher.check("123456 is your OTP. Do not share OTP with anyone. -SBI");
        assert_eq!(notice.category, None, "{notice:?}");
        assert_eq!(
            matcher.check("please share OTP now").category.as_deref(),
            Some("otp_pin_sharing")
        );
        // Whole words only.
        assert_eq!(matcher.check("skyc updates").category, None);
    }

    #[test]
    fn checks_are_summed_per_week_from_monday_with_empty_weeks_kept() {
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let rows = vec![
            (day(16), "qr_code".to_string(), 2),
            (day(23), "qr_code".to_string(), 1),
            (day(29), "none".to_string(), 4),
            (day(2), "qr_code".to_string(), 9),
        ];
        let weeks = by_week(&rows, day(30), 3);
        let mondays: Vec<_> = weeks.iter().map(|w| w.week_of).collect();
        assert_eq!(mondays, [day(16), day(23), day(30)]);
        assert_eq!((weeks[0].total, weeks[1].total, weeks[2].total), (2, 5, 0));
        assert_eq!(weeks[1].kinds["none"], 4);
    }

    #[test]
    fn too_close_a_call_is_no_verdict() {
        let matcher = Matcher::from_toml(
            "threshold = 2.0\nmargin = 1.0\n[categories.a]\n\"prize\" = 2.5\n[categories.b]\n\"lottery\" = 2.0\n",
        )
        .unwrap();
        assert_eq!(matcher.check("prize lottery").category, None);
        assert_eq!(matcher.check("prize").category.as_deref(), Some("a"));
    }

    #[test]
    fn the_built_in_rules_load_and_name_only_tip_categories() {
        let matcher = Matcher::built_in();
        let shipped: serde_json::Value =
            serde_json::from_str(include_str!("../config/tips.json")).unwrap();
        let library: std::collections::BTreeSet<String> = shipped["tips"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tip| tip["category"].as_str().unwrap().to_string())
            .collect();
        for category in matcher.categories() {
            assert!(library.contains(category), "{category} is no tip category");
        }
        assert!(matcher.categories().len() >= 15);
    }

    #[test]
    fn a_rules_file_with_an_empty_phrase_or_bad_limits_is_refused() {
        assert!(matches!(
            Matcher::from_toml("threshold = 1.0\nmargin = 0.0\n[categories.a]\n\"!!\" = 1.0\n"),
            Err(RulesError::EmptyPhrase { .. })
        ));
        assert!(matches!(
            Matcher::from_toml("threshold = 0.0\nmargin = 0.0\n[categories]\n"),
            Err(RulesError::Limits)
        ));
        assert!(
            Matcher::from_toml("threshold = 1.0\nmargin = 0.0\ncolour = 1\n[categories]\n")
                .is_err()
        );
    }
}
