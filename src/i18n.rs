//! Words in the person's language: the Fluent messages of `locales/<locale>/*.ftl`, built into
//! the binary, and the choice of locale for a language and script. USSD screens, SMS replies
//! (and pages to come) all read their words here.

use std::borrow::Cow;
use std::collections::HashMap;

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
    let tag = match (language, script) {
        (Language::English, _) => "en",
        (_, Script::Roman) => "hi-Latn",
        (Language::Hindi, Script::Native) => "hi",
        (Language::Chhattisgarhi, Script::Native) => "hne",
    };
    tag.parse().expect("locale tags are valid")
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
