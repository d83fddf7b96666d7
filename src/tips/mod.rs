//! The tip library: tips with a category, a text per language and script (each with the DLT
//! template id it is registered under), an order for drips and an active flag.
//!
//! The campaign's seed library ships as `config/tips.json` and is built into the binary: a new
//! database starts with it, and `mitan tips import` loads it (or any file in the same format, or
//! a CSV) into the store, where admins edit the library that broadcasts send and that the USSD
//! "today's tip" reads ([`LiveTips`]).

pub mod audio;
pub mod import;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

use chrono::{Datelike as _, NaiveDate};
use serde::Deserialize;

use crate::broadcasts::{ContentPolicy, Problem, TextKey};
use crate::encoding::TextCost;
use crate::enrollment::{Language, Script};

pub(crate) const SEED: &str = include_str!("../../config/tips.json");

/// The seed file: `{"tips": [{"id", "category", "order", "active", "texts": {"hi": …},
/// "template_ids": {"hi": …|null}}]}`. Text keys are `hi`, `hne`, `en`, `hi-Latn`, `hne-Latn`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedFile {
    #[serde(default)]
    #[allow(dead_code)]
    about: Option<String>,
    pub(crate) tips: Vec<SeedTip>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedTip {
    pub(crate) id: String,
    pub(crate) category: String,
    #[serde(default)]
    pub(crate) order: Option<i64>,
    #[serde(default = "active_by_default")]
    pub(crate) active: bool,
    pub(crate) texts: Entries<String>,
    #[serde(default)]
    pub(crate) template_ids: Entries<Option<String>>,
}

/// A JSON object of texts (or template ids) keyed by text key, read as its members in order: a
/// key given twice stays twice (a map would keep one of them silently), so it can be refused.
#[derive(Debug, Clone)]
pub struct Entries<V>(pub Vec<(String, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

/// Why a key of [`Entries`] cannot be used.
const UNKNOWN_KEY: &str = "unknown text key: use hi, hne, en, hi-Latn or hne-Latn";

impl<V> Entries<V> {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The members by text key (tags are read in any case: `EN` is `en`).
    pub fn by_key(self) -> Keyed<V> {
        let mut keyed = Keyed {
            good: Vec::new(),
            refused: Vec::new(),
        };
        for (tag, value) in self.0 {
            match TextKey::from_tag(&tag) {
                None => keyed.refused.push((tag, UNKNOWN_KEY.to_string())),
                Some(key) => match keyed.good.iter().find(|(seen, ..)| *seen == key) {
                    Some((_, first, _)) => {
                        let problem = format!("{key} is given twice (also as {first:?})");
                        keyed.refused.push((tag, problem));
                    }
                    None => keyed.good.push((key, tag, value)),
                },
            }
        }
        keyed
    }
}

/// The members of [`Entries`] by text key.
#[derive(Debug)]
pub struct Keyed<V> {
    /// Each usable member: its key, its tag as given, its value.
    pub good: Vec<(TextKey, String, V)>,
    /// Each member refused, with its tag as given and why: not a text key, or one given twice.
    pub refused: Vec<(String, String)>,
}

impl<V> Keyed<V> {
    /// The value given for `key`.
    pub fn get(&self, key: TextKey) -> Option<&V> {
        self.good
            .iter()
            .find(|(k, ..)| *k == key)
            .map(|(.., value)| value)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit<V>(std::marker::PhantomData<V>);
        impl<'de, V: Deserialize<'de>> serde::de::Visitor<'de> for Visit<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of texts keyed by hi, hne, en, hi-Latn or hne-Latn")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(Visit(std::marker::PhantomData))
    }
}

fn active_by_default() -> bool {
    true
}

impl SeedFile {
    pub(crate) fn parse(json: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(json)
    }
}

/// A tip as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTip {
    pub id: i64,
    pub slug: Option<String>,
    pub category: String,
    pub order: i64,
    pub active: bool,
    pub texts: Vec<TipText>,
}

impl StoredTip {
    /// The library's name of the tip: its slug (`tip-01`), else its store id. Its recordings'
    /// folder is named so.
    pub fn name(&self) -> String {
        self.slug.clone().unwrap_or_else(|| self.id.to_string())
    }
}

/// A tip ready to be saved: every text checked and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTip {
    /// The library's own id (`tip-01`), so a re-import updates instead of adding; `None` for a
    /// tip written in the admin API.
    pub slug: Option<String>,
    pub category: Category,
    pub order: i64,
    pub active: bool,
    pub texts: Vec<TipText>,
}

/// One text of a tip, as it will be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipText {
    pub key: TextKey,
    pub body: String,
    pub template_id: Option<String>,
    pub cost: TextCost,
}

impl TipText {
    /// Checks a text (and its template id) against the policy; the problems if it cannot be saved.
    pub fn check(
        policy: &ContentPolicy,
        key: TextKey,
        text: &str,
        template_id: Option<&str>,
    ) -> Result<Self, Vec<Problem>> {
        let checked = policy.check(key, text);
        let mut problems = checked.problems;
        let template_id = template_id.map(str::trim).filter(|id| !id.is_empty());
        if let Some(Err(problem)) = template_id.map(crate::broadcasts::content::check_template_id) {
            problems.push(problem);
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            key,
            body: checked.text,
            template_id: template_id.map(str::to_string),
            cost: checked.cost,
        })
    }
}

/// A tip category: lower-case letters, digits and `_` (`otp_pin_sharing`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Category(String);

impl Category {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let ok = !text.is_empty()
            && text.len() <= 64
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        // Seven digits look like a phone number, as in a name: it would be shown to everyone.
        let digits = text.chars().filter(char::is_ascii_digit).count();
        if ok && digits < 7 {
            Ok(Self(text.to_string()))
        } else {
            Err(format!(
                "category {text:?} must be 1 to 64 lower-case letters, digits (fewer than 7) \
                 or _"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The library as the USSD menu reads it: active tips in their order.
#[derive(Debug)]
pub struct TipLibrary {
    tips: Vec<ShippedTip>,
}

#[derive(Debug)]
struct ShippedTip {
    id: String,
    /// The store's id (none for the shipped seed before the store's tips are read).
    stored: Option<i64>,
    category: String,
    texts: BTreeMap<TextKey, String>,
}

impl TipLibrary {
    /// The shipped library (validated by a test, so this cannot fail at run time).
    pub fn seed() -> &'static TipLibrary {
        static LIBRARY: OnceLock<TipLibrary> = OnceLock::new();
        LIBRARY.get_or_init(|| Self::from_seed(SEED).expect("config/tips.json is valid"))
    }

    fn from_seed(json: &str) -> Result<Self, serde_json::Error> {
        let mut tips: Vec<SeedTip> = SeedFile::parse(json)?
            .tips
            .into_iter()
            .filter(|tip| tip.active)
            .collect();
        tips.sort_by_key(|tip| tip.order.unwrap_or(i64::MAX));
        let tips = tips
            .into_iter()
            .map(|tip| ShippedTip {
                id: tip.id,
                stored: None,
                category: tip.category,
                texts: tip
                    .texts
                    .by_key()
                    .good
                    .into_iter()
                    .map(|(key, _, text)| (key, text))
                    .collect(),
            })
            .collect();
        Ok(Self { tips })
    }

    /// The active tips of the store's library, in drip order; `None` if none is active.
    pub fn from_stored(stored: Vec<StoredTip>) -> Option<Self> {
        let tips: Vec<ShippedTip> = stored
            .into_iter()
            .filter(|tip| tip.active && !tip.texts.is_empty())
            .map(|tip| ShippedTip {
                id: tip.name(),
                stored: Some(tip.id),
                category: tip.category,
                texts: tip.texts.into_iter().map(|t| (t.key, t.body)).collect(),
            })
            .collect();
        (!tips.is_empty()).then_some(Self { tips })
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

    /// A tip's text for a person: their language in their script, else the nearest one there is
    /// (Chhattisgarhi falls back to Hindi, Roman Hindi to English).
    pub fn text(&self, index: usize, language: Language, script: Script) -> &str {
        let tip = &self.tips[index % self.len()];
        TextKey::new(language, script)
            .fallbacks()
            .iter()
            .find_map(|key| tip.texts.get(key))
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The library's name of a tip: its slug (`tip-01`), else its store id; its recordings'
    /// folder is named so.
    pub fn id(&self, index: usize) -> &str {
        &self.tips[index % self.len()].id
    }

    /// The store's id of a tip (`None` while the library is the shipped seed).
    pub fn stored_id(&self, index: usize) -> Option<i64> {
        self.tips.get(index % self.len().max(1))?.stored
    }

    /// Where the tip the store knows as `stored` is in the library (only active tips are).
    pub fn position_of(&self, stored: i64) -> Option<usize> {
        self.tips.iter().position(|tip| tip.stored == Some(stored))
    }

    /// The first active tip of `category`, for a person (as [`TipLibrary::text`]): the scam
    /// check's answer to a message of that kind.
    pub fn of_category(&self, category: &str, language: Language, script: Script) -> Option<&str> {
        let index = self.tips.iter().position(|tip| tip.category == category)?;
        Some(self.text(index, language, script)).filter(|text| !text.is_empty())
    }
}

/// The library "today's tip" shows: the store's active tips, reloaded when an admin saves a tip
/// through this instance and by the periodic housekeeping (for changes made through another
/// instance or `mitan tips import`). While the store has no active tip, the shipped seed.
///
/// Each reload is a [`TipsRead`] taken before the store is read, and only the newest read that
/// has answered is kept: a housekeeping read begun before an admin's change cannot put back the
/// library that change replaced when it answers after it.
#[derive(Debug)]
pub struct LiveTips {
    /// The library and the read it came from (0: the seed).
    library: RwLock<(u64, Arc<TipLibrary>)>,
    reads: AtomicU64,
}

/// A read of the store's tips, numbered as it began; see [`LiveTips`].
#[derive(Debug)]
#[must_use = "a read is given to LiveTips::replace with what it read"]
pub struct TipsRead(u64);

impl LiveTips {
    /// Starts with the shipped seed, until the first [`LiveTips::replace`].
    pub fn seeded() -> Self {
        let seed = TipLibrary::from_seed(SEED).expect("config/tips.json is valid");
        Self {
            library: RwLock::new((0, Arc::new(seed))),
            reads: AtomicU64::new(0),
        }
    }

    pub fn current(&self) -> Arc<TipLibrary> {
        self.library.read().expect("never poisoned").1.clone()
    }

    /// Call before reading the store's tips for [`LiveTips::replace`].
    pub fn begin_read(&self) -> TipsRead {
        TipsRead(self.reads.fetch_add(1, Ordering::SeqCst) + 1)
    }

    /// Replaces the library with the store's `stored` tips (the seed while none is active), as
    /// read by `read`, unless a read that began later has replaced it already (what it read is
    /// at least as new).
    pub fn replace(&self, read: TipsRead, stored: Vec<StoredTip>) {
        let library = TipLibrary::from_stored(stored)
            .unwrap_or_else(|| TipLibrary::from_seed(SEED).expect("config/tips.json is valid"));
        let mut current = self.library.write().expect("never poisoned");
        if read.0 > current.0 {
            *current = (read.0, Arc::new(library));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: i64, body: &str) -> StoredTip {
        let key = TextKey::from_tag("en").unwrap();
        StoredTip {
            id,
            slug: None,
            category: "otp".into(),
            order: id,
            active: true,
            texts: vec![TipText {
                key,
                body: body.into(),
                template_id: None,
                cost: crate::encoding::sms_cost(body),
            }],
        }
    }

    #[test]
    fn a_read_that_began_before_another_cannot_replace_what_the_later_one_put_in() {
        let live = LiveTips::seeded();
        let english = |live: &LiveTips| {
            live.current()
                .text(0, Language::English, Script::Native)
                .to_string()
        };
        let housekeeping = live.begin_read();
        let admin = live.begin_read();
        live.replace(admin, vec![stored(1, "After the admin's change")]);
        live.replace(housekeeping, vec![stored(1, "Before it")]);
        assert_eq!(english(&live), "After the admin's change");
        // The next read replaces it as usual.
        live.replace(live.begin_read(), vec![stored(2, "Later still")]);
        assert_eq!(english(&live), "Later still");
    }

    #[test]
    fn the_seed_library_has_every_tip_in_every_language_and_in_roman_hindi() {
        let library = TipLibrary::seed();
        assert!(library.len() >= 20);
        for i in 0..library.len() {
            let tip = &library.tips[i];
            for tag in ["hi", "hne", "en", "hi-Latn"] {
                let key = TextKey::from_tag(tag).unwrap();
                assert!(
                    tip.texts.get(&key).is_some_and(|t| !t.trim().is_empty()),
                    "{} has no {tag} text",
                    tip.id
                );
            }
        }
    }

    #[test]
    fn every_shipped_text_passes_the_checks_an_import_makes() {
        let policy = ContentPolicy::default();
        for tip in SeedFile::parse(SEED).unwrap().tips {
            Category::parse(&tip.category).unwrap();
            let templates = tip.template_ids.by_key();
            assert_eq!(templates.refused, [], "{}", tip.id);
            let texts = tip.texts.by_key();
            assert_eq!(texts.refused, [], "{}", tip.id);
            for (key, tag, text) in &texts.good {
                let template = templates.get(*key).cloned().flatten();
                let checked = TipText::check(&policy, *key, text, template.as_deref())
                    .unwrap_or_else(|p| panic!("{} {tag}: {p:?}", tip.id));
                let most = if key.is_latin() { 1 } else { 2 };
                assert!(
                    checked.cost.parts <= most,
                    "{} {tag} costs {} parts",
                    tip.id,
                    checked.cost.parts
                );
                assert_eq!(&checked.body, text, "{} {tag} is stored as sent", tip.id);
            }
        }
    }

    #[test]
    fn a_roman_reader_gets_roman_hindi_and_a_chhattisgarhi_reader_without_roman_gets_it_too() {
        let library = TipLibrary::seed();
        let roman_hi = library.text(0, Language::Hindi, Script::Roman);
        assert!(
            roman_hi.contains("1930") && roman_hi.is_ascii(),
            "{roman_hi}"
        );
        assert_eq!(
            library.text(0, Language::Chhattisgarhi, Script::Roman),
            roman_hi
        );
        assert_ne!(library.text(0, Language::English, Script::Roman), roman_hi);
    }

    #[test]
    fn inactive_tips_are_left_out_and_the_rest_follow_their_order() {
        let json = r#"{"tips": [
            {"id": "b", "category": "x", "order": 2, "texts": {"hi": "B", "hne": "B", "en": "B"}},
            {"id": "a", "category": "x", "order": 1, "texts": {"hi": "A", "hne": "A", "en": "A"}},
            {"id": "c", "category": "x", "order": 0, "active": false, "texts": {"en": "C"}}
        ]}"#;
        let library = TipLibrary::from_seed(json).unwrap();
        assert_eq!(library.len(), 2);
        assert_eq!(library.id(0), "a");
        assert_eq!(library.id(1), "b");
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
