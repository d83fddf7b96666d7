//! Words in the person's language: the Fluent messages of `locales/<locale>/*.ftl`, built into
//! the binary, and the choice of locale for a language and script. USSD screens, SMS replies
//! (and pages to come) all read their words here.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use fluent_templates::fluent_bundle::FluentValue;
pub use fluent_templates::LanguageIdentifier;
use fluent_templates::Loader as _;

use crate::enrollment::{Language, Script};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks would cost screen space and show as boxes on old handsets.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The locale of a person's words: Roman script is the Roman Hindi variant.
pub fn locale(language: Language, script: Script) -> LanguageIdentifier {
    static LOCALE_IDS: LazyLock<[LanguageIdentifier; 4]> = LazyLock::new(|| {
        ["en", "hi-Latn", "hi", "hne"].map(|tag| tag.parse().expect("locale tags are valid"))
    });
    let n = match (language, script) {
        (Language::English, _) => 0,
        (_, Script::Roman) => 1,
        (Language::Hindi, Script::Native) => 2,
        (Language::Chhattisgarhi, Script::Native) => 3,
    };
    LOCALE_IDS[n].clone()
}

/// Every locale a person can have, for tests and reviews that render everything.
pub fn all_locales() -> [(Language, Script); 4] {
    [
        (Language::Hindi, Script::Native),
        (Language::Chhattisgarhi, Script::Native),
        (Language::English, Script::Native),
        (Language::Hindi, Script::Roman),
    ]
}

/// The campaign's messages: any of them may use `{ $ussd }`, the campaign's USSD code.
#[derive(Debug, Clone)]
pub struct Catalog {
    ussd_code: String,
}

type Args = HashMap<Cow<'static, str>, FluentValue<'static>>;

impl Catalog {
    pub fn new(ussd_code: &str) -> Self {
        Self {
            ussd_code: ussd_code.to_string(),
        }
    }

    /// Message `id` in `locale` with the arguments `extra`; the id itself if it is missing (a
    /// test checks none is).
    pub fn message(
        &self,
        id: &str,
        locale: &LanguageIdentifier,
        extra: &[(&'static str, String)],
    ) -> String {
        let mut args: Args = HashMap::new();
        args.insert("ussd".into(), FluentValue::from(self.ussd_code.clone()));
        for (name, value) in extra {
            args.insert(Cow::Borrowed(name), FluentValue::from(value.clone()));
        }
        LOCALES
            .try_lookup_with_args(locale, id, &args)
            .unwrap_or_else(|| id.to_string())
    }

    /// Which of `ids` the locale lacks, given a value for each of `arguments`.
    pub fn missing<'a>(
        &self,
        ids: &[&'a str],
        locale: &LanguageIdentifier,
        arguments: &[&'static str],
    ) -> Vec<&'a str> {
        let args: Args = arguments
            .iter()
            .map(|name| (Cow::Borrowed(*name), FluentValue::from("x")))
            .collect();
        ids.iter()
            .copied()
            .filter(|id| LOCALES.try_lookup_with_args(locale, id, &args).is_none())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The message ids a locale's file defines.
    fn ids(locale: &str, file: &str) -> Vec<String> {
        let path = format!("{}/locales/{locale}/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
        let mut ids: Vec<String> = text
            .lines()
            .filter_map(|line| line.split_once(" = ").map(|(id, _)| id))
            .filter(|id| !id.starts_with(['#', ' ']) && !id.is_empty())
            .map(str::to_string)
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn every_locale_loads_and_no_two_files_define_one_id() {
        // The loader refuses (panics on) a locale where two files define the same message,
        // which would take every screen and reply down with it.
        let catalog = Catalog::new("*384*25#");
        for locale in ["en", "hi", "hne", "hi-Latn"] {
            let locale: LanguageIdentifier = locale.parse().unwrap();
            assert_ne!(catalog.message("admin-brand", &locale, &[]), "admin-brand");
        }
    }

    /// The dashboard's files of a locale: `dashboard.ftl` and `dashboard-<part>.ftl`.
    fn dashboard_files(locale: &str) -> Vec<String> {
        let dir = format!("{}/locales/{locale}", env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| name.starts_with("dashboard") && name.ends_with(".ftl"))
            .collect();
        files.sort();
        files
    }

    #[test]
    fn the_dashboard_has_every_word_in_hindi_and_english() {
        let files = dashboard_files("en");
        assert_eq!(dashboard_files("hi"), files);
        let mut all = Vec::new();
        for file in &files {
            let english = ids("en", file);
            assert_eq!(ids("hi", file), english, "{file}");
            assert!(
                english.iter().all(|id| id.starts_with("admin-")),
                "{file}: {english:?}"
            );
            all.extend(english);
        }
        assert!(all.len() > 20, "{all:?}");
    }
}
