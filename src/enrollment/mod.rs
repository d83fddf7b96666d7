//! People and the recruiters who bring them: consent, opt-in codes, the recruitment cascade,
//! opt-out and erasure. The rules live here; the store runs each change in one transaction.

pub mod areas;
mod code;
mod event_code;
pub mod figures;

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;

pub use areas::{Area, AreaKind, AreaPlan};
pub use code::{CodeError, OptInCode};
pub use event_code::{expire_early, EventCodeStatus};

/// Shortest and longest codes accepted.
pub mod code_limits {
    pub use super::code::{MAX_LEN, MIN_LEN};
}

use crate::privacy::SealedPhone;

/// The campaign's languages. (Serde names are the tags, for persisted USSD session state.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Language {
    #[serde(rename = "hi")]
    Hindi,
    #[serde(rename = "hne")]
    Chhattisgarhi,
    #[serde(rename = "en")]
    English,
}

impl Language {
    pub const ALL: [Language; 3] = [Language::Hindi, Language::Chhattisgarhi, Language::English];

    /// The BCP 47 tag (`hi`, `hne`, `en`).
    pub fn tag(self) -> &'static str {
        match self {
            Language::Hindi => "hi",
            Language::Chhattisgarhi => "hne",
            Language::English => "en",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|l| l.tag().eq_ignore_ascii_case(tag))
    }
}

/// How a person's text is written: Devanagari, or Roman ("Hinglish") for handsets that show boxes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Script {
    #[default]
    Native,
    Roman,
}

impl Script {
    pub fn tag(self) -> &'static str {
        match self {
            Script::Native => "native",
            Script::Roman => "roman",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        [Script::Native, Script::Roman]
            .into_iter()
            .find(|s| s.tag() == tag)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecruiterKind {
    Police,
    Ncc,
    Nss,
    Spo,
    Ngo,
    Mitan,
}

impl RecruiterKind {
    pub const ALL: [RecruiterKind; 6] = [
        RecruiterKind::Police,
        RecruiterKind::Ncc,
        RecruiterKind::Nss,
        RecruiterKind::Spo,
        RecruiterKind::Ngo,
        RecruiterKind::Mitan,
    ];

    pub fn tag(self) -> &'static str {
        match self {
            RecruiterKind::Police => "police",
            RecruiterKind::Ncc => "ncc",
            RecruiterKind::Nss => "nss",
            RecruiterKind::Spo => "spo",
            RecruiterKind::Ngo => "ngo",
            RecruiterKind::Mitan => "mitan",
        }
    }

    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.tag() == tag)
    }
}

/// Longest name of a recruiter, an area or an event, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Why a name (of a recruiter, an area, an event code) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("must have a visible letter, digit or sign")]
    Empty,
    #[error("must be at most {MAX_NAME_CHARS} characters")]
    TooLong,
    #[error("must not contain control characters")]
    Control,
    #[error("must not contain invisible or text-direction characters (U+{0:04X})")]
    Invisible(u32),
    #[error("must not contain a phone number")]
    LooksLikeNumber,
}

/// Characters that show nothing (or turn the text around): format characters such as U+200B
/// and U+202E, and the other default-ignorable ones (U+3164). The two joiners are left out: the
/// scripts of India need them inside words.
static INVISIBLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[[\p{Cf}\p{Default_Ignorable_Code_Point}]--[\x{200C}\x{200D}]]")
        .expect("a valid class")
});

/// What a reader sees: a letter, digit, punctuation or symbol that is not default-ignorable.
static VISIBLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[[\p{L}\p{N}\p{P}\p{S}]--\p{Default_Ignorable_Code_Point}]")
        .expect("a valid class")
});

/// A name as shown to admins and officers: trimmed, with something visible in it and nothing
/// invisible (two names that look the same are the same), not too long, and holding no phone
/// number (names are displayed everywhere, numbers never are).
pub fn display_name(input: &str) -> Result<String, NameError> {
    // Counted as sent, before trimming: the limit is the one the API's document states.
    if input.chars().count() > MAX_NAME_CHARS {
        return Err(NameError::TooLong);
    }
    let name = input.trim();
    if name.chars().any(char::is_control) {
        return Err(NameError::Control);
    }
    if let Some(found) = INVISIBLE.find(name) {
        let c = found.as_str().chars().next().unwrap_or_default();
        return Err(NameError::Invisible(u32::from(c)));
    }
    if !VISIBLE.is_match(name) {
        return Err(NameError::Empty);
    }
    if name.chars().filter(char::is_ascii_digit).count() >= 7 {
        return Err(NameError::LooksLikeNumber);
    }
    Ok(name.to_string())
}

/// Everything recorded when a person says "I agree".
#[derive(Debug, Clone)]
pub struct Consent {
    pub channel: String,
    pub language: Language,
    pub script: Script,
    /// Hash of the exact notice and consent texts shown (see [`consent_version`]).
    pub version: String,
    pub at: DateTime<Utc>,
}

/// A join, as the USSD menu, an SMS `YES` or an admin tool asks for it.
#[derive(Debug, Clone)]
pub struct JoinRequest {
    pub phone: SealedPhone,
    pub consent: Consent,
    /// The code the person was given, if any.
    pub code: Option<OptInCode>,
    /// Quota given to the new mitan's own recruiter entry.
    pub quota: i64,
    /// Length of the new mitan's own code.
    pub code_length: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinOutcome {
    /// A new mitan, with their own code; credited to the code's owner if a code was used.
    Joined {
        person_id: i64,
        own_code: OptInCode,
        credited_to: Option<i64>,
    },
    /// An opted-out person agreed again; their original credit stands.
    Rejoined { person_id: i64, own_code: OptInCode },
    /// Already an active mitan: nothing changed.
    AlreadyMember { person_id: i64, own_code: OptInCode },
}

impl JoinOutcome {
    pub fn own_code(&self) -> &OptInCode {
        match self {
            JoinOutcome::Joined { own_code, .. }
            | JoinOutcome::Rejoined { own_code, .. }
            | JoinOutcome::AlreadyMember { own_code, .. } => own_code,
        }
    }

    pub fn person_id(&self) -> i64 {
        match self {
            JoinOutcome::Joined { person_id, .. }
            | JoinOutcome::Rejoined { person_id, .. }
            | JoinOutcome::AlreadyMember { person_id, .. } => *person_id,
        }
    }
}

/// Why a code cannot be credited. The person is told, and may retry or skip the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeRefusal {
    #[error("no one holds this code")]
    Unknown,
    #[error("this event code has expired")]
    Expired,
    #[error("this event code has been used up")]
    UsedUp,
    #[error("a recruiter cannot recruit their own number")]
    OwnNumber,
}

/// The version of a consent text: the first 16 hex digits of SHA-256 over the texts shown, in
/// order. Stored with every consent, so the exact wording agreed to can be proven later.
pub fn consent_version<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for text in texts {
        hash.update(text.as_bytes());
        hash.update([0u8]);
    }
    hex::encode(&hash.finalize()[..8])
}

/// Where a person is: a member, someone who stopped, or an anonymous row whose number is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonStatus {
    Active,
    OptedOut,
    Erased,
}

impl PersonStatus {
    pub const ALL: [PersonStatus; 3] = [Self::Active, Self::OptedOut, Self::Erased];

    pub fn from_tag(tag: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == tag)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::OptedOut => "opted_out",
            Self::Erased => "erased",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_round_trip() {
        for lang in Language::ALL {
            assert_eq!(Language::from_tag(lang.tag()), Some(lang));
        }
        assert_eq!(Language::from_tag("HNE"), Some(Language::Chhattisgarhi));
        assert_eq!(Language::from_tag("fr"), None);
    }

    #[test]
    fn names_are_trimmed_and_never_carry_a_number() {
        assert_eq!(display_name("  SI Verma ").unwrap(), "SI Verma");
        assert_eq!(display_name("Ward 12").unwrap(), "Ward 12");
        assert_eq!(display_name(" "), Err(NameError::Empty));
        assert_eq!(display_name(&"x".repeat(101)), Err(NameError::TooLong));
        assert_eq!(display_name("a\u{7}b"), Err(NameError::Control));
        for (invisible, at) in [
            ("\u{200b}", 0x200b),
            ("\u{202e}", 0x202e),
            (" \u{2060}\u{feff} ", 0x2060),
            ("\u{3164}", 0x3164),
            ("\u{00ad}", 0xad),
            ("Koni\u{202e}anirb", 0x202e),
            ("\u{2066}Koni\u{2069}", 0x2066),
            ("\u{200b}Koni", 0x200b),
        ] {
            assert_eq!(
                display_name(invisible),
                Err(NameError::Invisible(at)),
                "{invisible:?}"
            );
        }
        assert_eq!(display_name("\u{200c}\u{200d}"), Err(NameError::Empty));
        assert_eq!(display_name("\u{0301}"), Err(NameError::Empty));
        assert_eq!(display_name("क्\u{200d}षेत्र").unwrap(), "क्\u{200d}षेत्र");
        assert_eq!(display_name("Ward #5").unwrap(), "Ward #5");
        assert_eq!(
            display_name("Verma 98765 43210"),
            Err(NameError::LooksLikeNumber)
        );
    }

    #[test]
    fn a_changed_word_changes_the_consent_version() {
        let a = consent_version(["We keep only your number.", "1 Yes"]);
        let b = consent_version(["We keep only your number!", "1 Yes"]);
        let split = consent_version(["We keep only your number.1 Yes"]);
        assert_eq!(a.len(), 16);
        assert_ne!(a, b);
        assert_ne!(a, split);
        assert_eq!(a, consent_version(["We keep only your number.", "1 Yes"]));
    }
}
