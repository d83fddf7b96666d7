//! The tip library as shipped: `config/tips.json`, built into the binary. The USSD "today's tip"
//! reads it; scheduled broadcasts will keep their own editable library in the store.

use std::sync::OnceLock;

use chrono::{Datelike as _, NaiveDate};
use serde::Deserialize;

use crate::enrollment::{Language, Script};

const SEED: &str = include_str!("../config/tips.json");

#[derive(Debug, Deserialize)]
struct SeedFile {
    tips: Vec<SeedTip>,
}

#[derive(Debug, Deserialize)]
struct SeedTip {
    id: String,
    texts: SeedTexts,
}

#[derive(Debug, Deserialize)]
struct SeedTexts {
    hi: String,
    hne: String,
    en: String,
    #[serde(default, rename = "hi-Latn")]
    hi_latn: Option<String>,
}

#[derive(Debug)]
pub struct TipLibrary {
    tips: Vec<SeedTip>,
}

impl TipLibrary {
    /// The shipped library (validated by a test, so this cannot fail at run time).
    pub fn seed() -> &'static TipLibrary {
        static LIBRARY: OnceLock<TipLibrary> = OnceLock::new();
        LIBRARY.get_or_init(|| {
            let file: SeedFile = serde_json::from_str(SEED).expect("config/tips.json is valid");
            TipLibrary { tips: file.tips }
        })
    }

    pub fn len(&self) -> usize {
        self.tips.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tips.is_empty()
    }

    /// The tip of the day: each day the next one, the same for everyone.
    pub fn index_for(&self, day: NaiveDate) -> usize {
        day.num_days_from_ce() as usize % self.len().max(1)
    }

    /// A tip's text for a person. Roman script falls back to English where no Roman text exists.
    pub fn text(&self, index: usize, language: Language, script: Script) -> &str {
        let tip = &self.tips[index % self.len()];
        match (language, script) {
            (Language::English, _) => &tip.texts.en,
            (_, Script::Roman) => tip.texts.hi_latn.as_deref().unwrap_or(&tip.texts.en),
            (Language::Hindi, Script::Native) => &tip.texts.hi,
            (Language::Chhattisgarhi, Script::Native) => &tip.texts.hne,
        }
    }

    pub fn id(&self, index: usize) -> &str {
        &self.tips[index % self.len()].id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_library_has_every_tip_in_every_language() {
        let library = TipLibrary::seed();
        assert!(library.len() >= 20);
        for i in 0..library.len() {
            for language in Language::ALL {
                assert!(!library.text(i, language, Script::Native).trim().is_empty());
            }
        }
    }

    #[test]
    fn each_day_brings_the_next_tip() {
        let library = TipLibrary::seed();
        let day = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        let next = day.succ_opt().unwrap();
        assert_eq!(
            library.index_for(next),
            (library.index_for(day) + 1) % library.len()
        );
    }
}
