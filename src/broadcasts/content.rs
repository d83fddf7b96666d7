//! What a tip or a custom text may say, checked when it is saved (API or import), so that what
//! reaches the aggregator passes DLT scrubbing and costs what the admin was shown.
//!
//! - **Cost**: encoding, units and SMS parts per text (after NFC; English and Roman texts first
//!   have smart quotes and dashes replaced by GSM-7 look-alikes). More than
//!   `campaign.max_sms_parts` parts is refused.
//! - **Script**: English and Roman ("Hinglish") texts must be GSM-7: they exist for handsets that
//!   show Devanagari as boxes, and they cost half.
//! - **Links**: a web address (`http://…`, `www.…`, or a bare `name.tld`) only on a domain of
//!   `campaign.allowed_domains` or a subdomain of one.
//! - **Call-back numbers**: any run of 3 or more digits (Devanagari digits too, `,`/`.` between
//!   digits joined) is read as a number someone could call, and must be one of
//!   `campaign.allowed_numbers` (1930, 112). Runs of one or two digits ("24 hours", "3 days") are
//!   never numbers; an amount must carry a currency mark (`₹500`, `Rs 500`, `500 rupees`);
//!   write years in words or leave them out. Dial codes (`*401#`) are refused outright:
//!   scrubbers flag them, and the campaign never tells people to dial a code by SMS.
//! - **Variables**: tips are fixed text; `{#var#}` slots would go out unfilled.

use std::fmt;

use crate::encoding::{gsm_friendly, is_gsm7, normalize, sms_cost, TextCost};
use crate::enrollment::{Language, Script};

/// Which text of a tip: a language in a script. English has only its own (Latin) script.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TextKey {
    pub language: Language,
    pub script: Script,
}

impl TextKey {
    /// Every text a tip can have, in the order they are listed.
    pub const ALL: [TextKey; 5] = [
        TextKey::new(Language::Hindi, Script::Native),
        TextKey::new(Language::Chhattisgarhi, Script::Native),
        TextKey::new(Language::English, Script::Native),
        TextKey::new(Language::Hindi, Script::Roman),
        TextKey::new(Language::Chhattisgarhi, Script::Roman),
    ];

    pub const fn new(language: Language, script: Script) -> Self {
        Self { language, script }
    }

    /// `hi`, `hne`, `en`, `hi-Latn`, `hne-Latn`.
    pub fn tag(self) -> &'static str {
        match (self.language, self.script) {
            (Language::Hindi, Script::Native) => "hi",
            (Language::Chhattisgarhi, Script::Native) => "hne",
            (Language::English, _) => "en",
            (Language::Hindi, Script::Roman) => "hi-Latn",
            (Language::Chhattisgarhi, Script::Roman) => "hne-Latn",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|key| key.tag().eq_ignore_ascii_case(tag.trim()))
    }

    /// From a language tag and a script name as a CSV row gives them (`hi`, `roman`).
    pub fn from_parts(language: &str, script: &str) -> Option<Self> {
        let language = Language::from_tag(language.trim())?;
        let script = match script.trim().to_ascii_lowercase().as_str() {
            "" | "native" | "devanagari" | "deva" => Script::Native,
            "roman" | "latin" | "latn" => Script::Roman,
            _ => return None,
        };
        if language == Language::English {
            return Some(Self::new(language, Script::Native));
        }
        Some(Self::new(language, script))
    }

    /// Whether the text is written in Latin letters (and so must be GSM-7).
    pub fn is_latin(self) -> bool {
        self.language == Language::English || self.script == Script::Roman
    }

    /// The texts to try, best first, for a person of this language and script.
    pub fn fallbacks(self) -> &'static [TextKey] {
        use Language::*;
        use Script::*;
        const HI: TextKey = TextKey::new(Hindi, Native);
        const HNE: TextKey = TextKey::new(Chhattisgarhi, Native);
        const EN: TextKey = TextKey::new(English, Native);
        const HI_LATN: TextKey = TextKey::new(Hindi, Roman);
        const HNE_LATN: TextKey = TextKey::new(Chhattisgarhi, Roman);
        match (self.language, self.script) {
            (English, _) => &[EN],
            (Hindi, Native) => &[HI],
            (Chhattisgarhi, Native) => &[HNE, HI],
            (Hindi, Roman) => &[HI_LATN, EN],
            (Chhattisgarhi, Roman) => &[HNE_LATN, HI_LATN, EN],
        }
    }
}

impl TextKey {
    fn rank(self) -> usize {
        Self::ALL
            .iter()
            .position(|k| *k == self)
            .unwrap_or(usize::MAX)
    }
}

/// Keys sort in the order of [`TextKey::ALL`].
impl Ord for TextKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

impl PartialOrd for TextKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for TextKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// What texts may contain: from `campaign.*` settings.
#[derive(Debug, Clone)]
pub struct ContentPolicy {
    pub allowed_domains: Vec<String>,
    pub allowed_numbers: Vec<String>,
    pub max_parts: usize,
}

impl Default for ContentPolicy {
    fn default() -> Self {
        Self {
            allowed_domains: vec!["cybercrime.gov.in".into(), "sancharsaathi.gov.in".into()],
            allowed_numbers: vec!["1930".into(), "112".into()],
            max_parts: 3,
        }
    }
}

/// Something that stops a text from being saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Empty,
    TooLong {
        parts: usize,
        max: usize,
    },
    NotGsm7 {
        found: char,
    },
    /// A control character other than a line break (a NUL cannot even be stored).
    Control,
    Link(String),
    Number(String),
    DialCode(String),
    Variable,
    TemplateId(String),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Empty => f.write_str("the text is empty"),
            Problem::TooLong { parts, max } => {
                write!(f, "costs {parts} SMS parts; at most {max} are allowed")
            }
            Problem::NotGsm7 { found } => write!(
                f,
                "Latin-script texts must be plain GSM-7 (for handsets without Devanagari); \
                 found {found:?}"
            ),
            Problem::Control => {
                f.write_str("control characters other than line breaks are not allowed")
            }
            Problem::Link(host) => write!(f, "link to {host:?}, which is not an allowed domain"),
            Problem::Number(number) => {
                // A phone number is never echoed whole, even one the admin typed.
                let digits: String = number.chars().filter(char::is_ascii_digit).collect();
                let shown = if digits.len() >= 8 {
                    format!(
                        "a {}-digit number ending {}",
                        digits.len(),
                        &digits[digits.len() - 2..]
                    )
                } else {
                    format!("{number:?}")
                };
                write!(
                    f,
                    "{shown} reads as a call-back number and is not an allowed one \
                     (amounts need ₹ or Rs before them)"
                )
            }
            Problem::DialCode(code) => {
                write!(
                    f,
                    "dial code {code:?}: SMS texts must not ask people to dial codes"
                )
            }
            Problem::Variable => f.write_str("tips are fixed text: {#var#} slots are not allowed"),
            Problem::TemplateId(id) => {
                write!(f, "DLT template id {id:?} must be digits only")
            }
        }
    }
}

/// A text as it will be stored and sent, with its cost and anything that stops it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedText {
    pub key: TextKey,
    pub text: String,
    pub cost: TextCost,
    pub problems: Vec<Problem>,
}

impl CheckedText {
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

impl ContentPolicy {
    /// Normalises `text` the way it will be sent and lists everything wrong with it.
    pub fn check(&self, key: TextKey, text: &str) -> CheckedText {
        let text = if key.is_latin() {
            gsm_friendly(text.trim())
        } else {
            normalize(text.trim())
        };
        let cost = sms_cost(&text);
        let mut problems = Vec::new();
        if text.is_empty() {
            problems.push(Problem::Empty);
        }
        if cost.parts > self.max_parts {
            problems.push(Problem::TooLong {
                parts: cost.parts,
                max: self.max_parts,
            });
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r'))
        {
            problems.push(Problem::Control);
        }
        if key.is_latin() && !is_gsm7(&text) {
            let found = text.chars().find(|c| !is_gsm7(&c.to_string()));
            problems.push(Problem::NotGsm7 {
                found: found.unwrap_or('?'),
            });
        }
        if text.contains("{#") {
            problems.push(Problem::Variable);
        }
        problems.extend(
            hosts(&text)
                .into_iter()
                .filter(|host| !self.domain_allowed(host))
                .map(Problem::Link),
        );
        let (codes, numbers) = digit_runs(&text);
        problems.extend(codes.into_iter().map(Problem::DialCode));
        problems.extend(
            numbers
                .into_iter()
                .filter(|n| !self.allowed_numbers.iter().any(|a| a == n))
                .map(Problem::Number),
        );
        CheckedText {
            key,
            text,
            cost,
            problems,
        }
    }

    fn domain_allowed(&self, host: &str) -> bool {
        self.allowed_domains.iter().any(|domain| {
            let domain = domain.trim().trim_start_matches('.').to_ascii_lowercase();
            host == domain || host.ends_with(&format!(".{domain}"))
        })
    }
}

/// A DLT template id: digits only (19 is typical). `None` is fine until registration.
pub fn check_template_id(id: &str) -> Result<(), Problem> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Problem::TemplateId(id.to_string()))
    }
}

/// Characters that can be part of a written web address.
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// The host of every web address in the text, lower-cased.
fn hosts(text: &str) -> Vec<String> {
    text.split(|c: char| !is_url_char(c))
        .filter_map(|token| {
            let token = token
                .trim_matches(|c: char| "()[]'!,;:?.*".contains(c))
                .to_ascii_lowercase();
            let (rest, explicit) = match token.split_once("://") {
                Some((_, rest)) => (rest.to_string(), true),
                None => (token.clone(), token.starts_with("www.")),
            };
            let host = rest
                .split(['/', '?', '#', ':', '@'])
                .next()
                .unwrap_or_default()
                .trim_end_matches('.')
                .to_string();
            (explicit && !host.is_empty() || looks_like_domain(&host)).then_some(host)
        })
        .collect()
}

/// `name.tld`: two or more labels of letters, digits and hyphens, the last of two or more letters.
fn looks_like_domain(host: &str) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()))
}

/// ASCII and Devanagari digits as their value.
fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '\u{0966}'..='\u{096F}' => char::from_digit(c as u32 - 0x0966, 10),
        _ => None,
    }
}

/// Dial codes (`*401#`, `*#06#`) and the digit runs of three or more that are not amounts.
fn digit_runs(text: &str) -> (Vec<String>, Vec<String>) {
    let chars: Vec<char> = text.chars().collect();
    let (mut codes, mut numbers) = (Vec::new(), Vec::new());
    let mut i = 0;
    while i < chars.len() {
        let is_run_char = |c: char| digit(c).is_some() || c == '*' || c == '#';
        if !is_run_char(chars[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = String::new();
        let mut raw = String::new();
        while i < chars.len() {
            let c = chars[i];
            let joins_digits = matches!(c, ',' | '.')
                && !digits.is_empty()
                && chars.get(i + 1).copied().and_then(digit).is_some();
            if let Some(d) = digit(c) {
                digits.push(d);
            } else if !(is_run_char(c) || joins_digits) {
                break;
            }
            raw.push(c);
            i += 1;
        }
        let dial = raw.starts_with(['*', '#']) && raw.ends_with('#') && !digits.is_empty();
        if dial {
            codes.push(raw);
        } else if digits.len() >= 3 && !is_amount(&chars[..start], &chars[i..]) {
            numbers.push(digits);
        }
    }
    (codes, numbers)
}

/// Whether the digits between `before` and `after` are money: `₹500`, `Rs. 500`, `500 rupees`.
fn is_amount(before: &[char], after: &[char]) -> bool {
    let before: String = before.iter().collect::<String>().to_lowercase();
    let before = before.trim_end();
    let after: String = after.iter().take(12).collect::<String>().to_lowercase();
    let after = after.trim_start();
    ["₹", "rs", "rs.", "inr", "रु", "रु."]
        .iter()
        .any(|mark| before.ends_with(mark))
        || ["rupee", "rs", "रुपये", "रुपए", "रुपया"]
            .iter()
            .any(|word| after.starts_with(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(key: &str, text: &str) -> Vec<Problem> {
        ContentPolicy::default()
            .check(TextKey::from_tag(key).unwrap(), text)
            .problems
    }

    #[test]
    fn whitelisted_numbers_and_small_numbers_pass_and_any_other_number_is_refused() {
        let cases: &[(&str, &[&str])] = &[
            ("Cheated? Call 1930.", &[]),
            ("Emergency: 112. Money lost: 1930", &[]),
            ("Complain within 24 hours, tell the bank in 3 days.", &[]),
            ("Call 9876543210 for help", &["9876543210"]),
            ("Call 98765 43210", &["98765", "43210"]),
            ("Call +91-98765-43210", &["98765", "43210"]),
            ("Helpline 100 or 1098", &["100", "1098"]),
            ("Call 19301", &["19301"]),
            ("Call 1,930", &[]),
            ("Prize of Rs 5000 is fake", &[]),
            ("Prize of ₹5,000 is fake", &[]),
            ("A prize of 50,000 rupees is fake", &[]),
            ("Born 2026", &["2026"]),
        ];
        for (text, numbers) in cases {
            let expected: Vec<Problem> = numbers
                .iter()
                .map(|n| Problem::Number(n.to_string()))
                .collect();
            assert_eq!(problems("en", text), expected, "{text:?}");
        }
    }

    #[test]
    fn control_characters_other_than_line_breaks_are_refused_in_every_script() {
        for (key, text) in [
            ("hi", "ओटीपी किसी को न बताएं।\u{0} 1930 पर कॉल करें।"),
            ("hne", "ओटीपी\u{7} 1930"),
            ("en", "Never share your OTP.\u{1b} Call 1930."),
        ] {
            assert!(
                problems(key, text).contains(&Problem::Control),
                "{key} {text:?}"
            );
        }
        assert_eq!(
            problems("hi", "ओटीपी किसी को न बताएं।\n1930 पर कॉल करें।"),
            vec![]
        );
        assert_eq!(
            problems("en", "Never share your OTP.\r\nCall 1930."),
            vec![]
        );
    }

    #[test]
    fn devanagari_digits_are_numbers_too() {
        assert_eq!(problems("hi", "ठगी हो तो १९३० पर कॉल करें।"), vec![]);
        assert_eq!(
            problems("hi", "इस नंबर ९८७६५ पर कॉल करें।"),
            vec![Problem::Number("98765".into())]
        );
    }

    #[test]
    fn dial_codes_are_refused() {
        assert_eq!(
            problems("en", "Never dial *401# when asked"),
            vec![Problem::DialCode("*401#".into())]
        );
        assert_eq!(
            problems("en", "Check *#06#"),
            vec![Problem::DialCode("*#06#".into())]
        );
        assert_eq!(
            problems("en", "Tip #1: a code starting with * and ending with #"),
            vec![]
        );
    }

    #[test]
    fn links_only_to_allowed_domains_and_their_subdomains() {
        let cases: &[(&str, &[&str])] = &[
            ("Complain at cybercrime.gov.in.", &[]),
            (
                "Complain at https://cybercrime.gov.in/Webform/Index.aspx",
                &[],
            ),
            ("Block it at www.sancharsaathi.gov.in (CEIR)", &[]),
            ("Block it at ceir.sancharsaathi.gov.in", &[]),
            ("Visit bit.ly/abc now", &["bit.ly"]),
            ("Visit http://fakegov.in", &["fakegov.in"]),
            (
                "Visit cybercrime.gov.in.evil.com",
                &["cybercrime.gov.in.evil.com"],
            ),
            ("Visit notcybercrime.gov.in", &["notcybercrime.gov.in"]),
            ("Never open a file ending in .apk, e.g. a card.", &[]),
            ("Cheated?Call 1930. Rs.500 a.m. U.P.", &[]),
        ];
        for (text, hosts) in cases {
            let expected: Vec<Problem> =
                hosts.iter().map(|h| Problem::Link(h.to_string())).collect();
            assert_eq!(problems("en", text), expected, "{text:?}");
        }
        assert_eq!(
            problems("hi", "शिकायत cybercrime.gov.inपर करें, bad.example.comपर नहीं"),
            vec![Problem::Link("bad.example.com".into())]
        );
    }

    #[test]
    fn latin_texts_are_made_gsm_friendly_and_must_then_be_gsm7() {
        let checked = ContentPolicy::default().check(
            TextKey::from_tag("en").unwrap(),
            "  Don\u{2019}t share your OTP \u{2013} call 1930. ",
        );
        assert_eq!(checked.text, "Don't share your OTP - call 1930.");
        assert_eq!(checked.cost.parts, 1);
        assert!(checked.is_ok());
        assert_eq!(
            problems("hi-Latn", "Thagi ho to 1930 par call karein। "),
            vec![Problem::NotGsm7 { found: '।' }]
        );
    }

    #[test]
    fn the_cost_is_shown_and_too_many_parts_are_refused() {
        let hindi = "ठगी हो तो 1930 पर कॉल करें।".repeat(8);
        let checked = ContentPolicy::default().check(TextKey::from_tag("hi").unwrap(), &hindi);
        assert_eq!(checked.cost.encoding, crate::encoding::Encoding::Ucs2);
        assert!(checked.cost.parts > 3);
        assert!(checked.problems.contains(&Problem::TooLong {
            parts: checked.cost.parts,
            max: 3
        }));
    }

    #[test]
    fn empty_texts_variables_and_bad_template_ids_are_refused() {
        assert_eq!(problems("en", "   "), vec![Problem::Empty]);
        assert_eq!(problems("en", "Call {#var#}"), vec![Problem::Variable]);
        assert!(check_template_id("1107160000000012345").is_ok());
        assert!(check_template_id("TBD").is_err());
        assert!(check_template_id("").is_err());
    }

    #[test]
    fn text_keys_read_tags_and_csv_columns_and_fall_back_sensibly() {
        for key in TextKey::ALL {
            assert_eq!(TextKey::from_tag(key.tag()), Some(key));
        }
        assert_eq!(
            TextKey::from_tag("HI-latn").map(TextKey::tag),
            Some("hi-Latn")
        );
        assert_eq!(
            TextKey::from_parts("hi", "roman").map(TextKey::tag),
            Some("hi-Latn")
        );
        assert_eq!(
            TextKey::from_parts("en", "roman").map(TextKey::tag),
            Some("en")
        );
        assert_eq!(
            TextKey::from_parts("hne", "devanagari").map(TextKey::tag),
            Some("hne")
        );
        assert_eq!(TextKey::from_parts("xx", ""), None);
        let hne_roman = TextKey::from_tag("hne-Latn").unwrap();
        let tags: Vec<_> = hne_roman.fallbacks().iter().map(|k| k.tag()).collect();
        assert_eq!(tags, ["hne-Latn", "hi-Latn", "en"]);
    }
}
