//! Fraud-number reports: a villager tells the campaign which number called or wrote to them with
//! a fraud, by USSD or `REPORT <number> [how] [kind]`. Pure: the words a report is read from and
//! the closed lists of media and kinds. What is stored is the reported number sealed, a day, a
//! medium and a kind; who reported it is kept only as an expiring keyed tag that counts one vote
//! per reporter per number (`store::reports`).

use serde::{Deserialize, Serialize};

/// How the fraud reached the villager.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Medium {
    Call,
    Sms,
    Whatsapp,
}

impl Medium {
    pub const ALL: [Medium; 3] = [Medium::Call, Medium::Sms, Medium::Whatsapp];

    pub fn as_str(self) -> &'static str {
        match self {
            Medium::Call => "call",
            Medium::Sms => "sms",
            Medium::Whatsapp => "whatsapp",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == stored)
    }
}

/// What the fraud was about: a short list a villager can pick from on a handset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A bank, KYC, card, OTP, PIN or UPI request.
    Bank,
    /// A prize, lottery, gift or cash-back.
    Prize,
    /// A job, loan or investment offer.
    Job,
    /// A threat in the name of police, CBI, customs or a court ("digital arrest").
    Threat,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Bank,
        Kind::Prize,
        Kind::Job,
        Kind::Threat,
        Kind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Bank => "bank",
            Kind::Prize => "prize",
            Kind::Job => "job",
            Kind::Threat => "threat",
            Kind::Other => "other",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == stored)
    }
}

/// Words after the number of a `REPORT`, in English, Roman Hindi and Devanagari. Matched whole
/// and in lower case; Devanagari without nukta or chandrabindu (as SMS keywords are).
const MEDIUM_WORDS: &[(&str, Medium)] = &[
    ("call", Medium::Call),
    ("called", Medium::Call),
    ("phone", Medium::Call),
    ("fon", Medium::Call),
    ("कॉल", Medium::Call),
    ("काल", Medium::Call),
    ("फोन", Medium::Call),
    ("sms", Medium::Sms),
    ("message", Medium::Sms),
    ("msg", Medium::Sms),
    ("text", Medium::Sms),
    ("मैसेज", Medium::Sms),
    ("संदेश", Medium::Sms),
    ("एसएमएस", Medium::Sms),
    ("whatsapp", Medium::Whatsapp),
    ("watsapp", Medium::Whatsapp),
    ("watsap", Medium::Whatsapp),
    ("wa", Medium::Whatsapp),
    ("व्हाट्सएप", Medium::Whatsapp),
    ("वॉट्सऐप", Medium::Whatsapp),
    ("वाट्सएप", Medium::Whatsapp),
];

const KIND_WORDS: &[(&str, Kind)] = &[
    ("bank", Kind::Bank),
    ("kyc", Kind::Bank),
    ("otp", Kind::Bank),
    ("pin", Kind::Bank),
    ("upi", Kind::Bank),
    ("atm", Kind::Bank),
    ("card", Kind::Bank),
    ("account", Kind::Bank),
    ("khata", Kind::Bank),
    ("बैंक", Kind::Bank),
    ("केवाईसी", Kind::Bank),
    ("ओटीपी", Kind::Bank),
    ("खाता", Kind::Bank),
    ("lottery", Kind::Prize),
    ("prize", Kind::Prize),
    ("kbc", Kind::Prize),
    ("gift", Kind::Prize),
    ("inam", Kind::Prize),
    ("inaam", Kind::Prize),
    ("लॉटरी", Kind::Prize),
    ("लाटरी", Kind::Prize),
    ("इनाम", Kind::Prize),
    ("job", Kind::Job),
    ("naukri", Kind::Job),
    ("loan", Kind::Job),
    ("investment", Kind::Job),
    ("task", Kind::Job),
    ("नौकरी", Kind::Job),
    ("लोन", Kind::Job),
    ("कर्ज", Kind::Job),
    ("police", Kind::Threat),
    ("arrest", Kind::Threat),
    ("cbi", Kind::Threat),
    ("customs", Kind::Threat),
    ("court", Kind::Threat),
    ("threat", Kind::Threat),
    ("पुलिस", Kind::Threat),
    ("गिरफ्तारी", Kind::Threat),
    ("धमकी", Kind::Threat),
    ("other", Kind::Other),
    ("anya", Kind::Other),
    ("अन्य", Kind::Other),
];

/// What a `REPORT` message says, before the number is parsed as a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportWords {
    /// The digits (and a leading `+`) of the message, in order: the number as typed.
    pub number: String,
    pub medium: Option<Medium>,
    pub kind: Option<Kind>,
}

/// Reads the text after `REPORT`: every digit is part of the number (however it was spaced or
/// dashed), a `+` before the first digit is kept, and the first word naming a medium and the
/// first naming a kind are taken; other words are ignored.
pub fn read(text: &str) -> ReportWords {
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '+' && number.is_empty()) {
            number.push(c);
        }
    }
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || is_mark(c)))
        .filter(|w| !w.is_empty() && !w.chars().all(|c| c.is_ascii_digit()))
        .map(fold)
        .collect();
    ReportWords {
        medium: first_of(&words, MEDIUM_WORDS),
        kind: first_of(&words, KIND_WORDS),
        number,
    }
}

/// The value of the first word found in `table`.
fn first_of<T: Copy>(words: &[String], table: &[(&str, T)]) -> Option<T> {
    words.iter().find_map(|w| {
        table
            .iter()
            .find(|(word, _)| fold(word) == *w)
            .map(|(_, v)| *v)
    })
}

fn is_mark(c: char) -> bool {
    unicode_normalization::char::is_combining_mark(c)
}

/// Lower case, without nukta, chandrabindu or zero-width joiners: how words are compared.
fn fold(word: &str) -> String {
    use unicode_normalization::UnicodeNormalization as _;
    word.nfd()
        .filter(|c| !matches!(c, '\u{093C}' | '\u{0901}' | '\u{200C}' | '\u{200D}'))
        .flat_map(char::to_lowercase)
        .nfc()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_gives_its_number_however_written_and_the_words_it_names() {
        let cases = [
            ("9876543210", "9876543210", None, None),
            (
                "+91 98765-43210 whatsapp lottery",
                "+919876543210",
                Some(Medium::Whatsapp),
                Some(Kind::Prize),
            ),
            (
                "98765 43210 CALL KYC",
                "9876543210",
                Some(Medium::Call),
                Some(Kind::Bank),
            ),
            (
                "फोन 9876543210 पुलिस",
                "9876543210",
                Some(Medium::Call),
                Some(Kind::Threat),
            ),
            ("9876543210 नौकरी", "9876543210", None, Some(Kind::Job)),
            // Nukta forms match the plain ones.
            (
                "9876543210 गिरफ़्तारी",
                "9876543210",
                None,
                Some(Kind::Threat),
            ),
            ("9876543210 hello there", "9876543210", None, None),
            ("", "", None, None),
            ("call me", "", Some(Medium::Call), None),
            // A second + is no part of the number.
            ("+91+98765", "+9198765", None, None),
        ];
        for (text, number, medium, kind) in cases {
            assert_eq!(
                read(text),
                ReportWords {
                    number: number.to_string(),
                    medium,
                    kind
                },
                "{text}"
            );
        }
    }

    #[test]
    fn stored_names_read_back() {
        for medium in Medium::ALL {
            assert_eq!(Medium::parse(medium.as_str()), Some(medium));
        }
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Kind::parse("Bank"), None);
        assert_eq!(
            serde_json::to_string(&Medium::Whatsapp).unwrap(),
            "\"whatsapp\""
        );
    }
}
