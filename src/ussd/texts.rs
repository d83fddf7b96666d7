//! Screens as the handset shows them: Fluent messages (`locales/<lang>/ussd.ftl`) rendered for the
//! person's language and script, paginated so that every page fits one USSD screen.

use std::sync::Arc;

use quick_cache::sync::Cache;

use super::machine::{CodeNote, Ending, Place, Session};
use crate::encoding::{fits_ussd, paginate_ussd};
use crate::enrollment::{consent_version, Language, Script};
pub use crate::i18n::{all_locales, locale};
use crate::i18n::{Catalog, LanguageIdentifier};
use crate::tips::LiveTips;

/// Shown when the store fails: the language is not known, so it is bilingual.
pub const BUSY: &str = "Service busy, please try later.\nसेवा व्यस्त है, बाद में प्रयास करें।";
/// Shown when the aggregator's phone number is not a usable mobile number.
pub const BAD_NUMBER: &str =
    "This number cannot be used for Cyber Mitan.\nयह नंबर इस्तेमाल नहीं हो सकता।";

/// Every message a USSD screen uses; a test checks each exists in every locale.
pub const MESSAGE_IDS: &[&str] = &[
    "language-menu",
    "menu-new",
    "menu-member",
    "medium-call",
    "medium-sms",
    "medium-call-set",
    "medium-sms-set",
    "code-ask",
    "code-mistyped",
    "code-unknown",
    "code-expired",
    "code-used-up",
    "code-own",
    "notice-stored",
    "notice-police",
    "consent",
    "joined",
    "rejoined",
    "already-member",
    "declined",
    "help",
    "nothing-stored",
    "my-data",
    "area-unknown",
    "erase-confirm",
    "erased",
    "stopped",
    "resume",
    "invalid",
    "too-many",
    "more",
    "back",
    "goodbye",
    "lang-hi",
    "lang-hne",
    "lang-en",
    "report-medium",
    "report-kind",
    "report-number",
    "report-mistyped",
    "reported",
];

/// The USSD screens: the campaign's messages, and today's tip.
pub struct Texts {
    catalog: Catalog,
    tips: Arc<LiveTips>,
    /// The pages of every place whose words depend only on the locale and the caller (every
    /// place but today's tip and "My data"), rendered once: Fluent, normalisation and
    /// pagination on every hop were a large share of a hop's work.
    screens: Cache<ScreenKey, Arc<[String]>>,
    /// The consent version of each locale, worked out once.
    versions: Cache<(Language, Script), String>,
}

/// What a remembered screen depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ScreenKey {
    place: Place,
    language: Language,
    script: Script,
    member: bool,
    voice: Option<bool>,
}

impl ScreenKey {
    /// The key of the session's place, unless its words change with more than the key holds.
    fn of(session: &Session) -> Option<Self> {
        match session.place {
            Place::Tip | Place::MyData(_) => None,
            _ => Some(Self {
                place: session.place.clone(),
                language: session.language,
                script: session.script,
                member: session.is_member(),
                voice: session.voice,
            }),
        }
    }
}

impl Texts {
    pub fn new(ussd_code: &str, tips: Arc<LiveTips>) -> Self {
        Self {
            catalog: Catalog::new(ussd_code),
            tips,
            // Every place in every locale, with room to spare.
            screens: Cache::new(1024),
            versions: Cache::new(16),
        }
    }

    /// The campaign's messages, which SMS replies use too.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    fn message(
        &self,
        id: &str,
        locale: &LanguageIdentifier,
        extra: &[(&'static str, String)],
    ) -> String {
        self.catalog.message(id, locale, extra)
    }

    /// The whole text of the session's place, before pagination.
    fn place_text(&self, session: &Session) -> String {
        let locale = locale(session.language, session.script);
        let msg = |id: &str| self.message(id, &locale, &[]);
        match &session.place {
            Place::Resume => msg("resume"),
            Place::Language => msg("language-menu"),
            // A seventh line where calls can be placed, in place of the title (a Devanagari
            // menu of seven lines and a title does not fit one screen).
            Place::Menu if session.is_member() => match session.voice {
                Some(voice) => {
                    let menu = msg("menu-member");
                    let options = menu
                        .split_once('\n')
                        .map_or(menu.as_str(), |(_, rest)| rest);
                    let line = msg(if voice { "medium-sms" } else { "medium-call" });
                    format!("{options}\n7 {line}")
                }
                None => msg("menu-member"),
            },
            Place::Menu => msg("menu-new"),
            Place::Code(note) => msg(match note {
                CodeNote::Ask => "code-ask",
                CodeNote::Mistyped => "code-mistyped",
                CodeNote::Unknown => "code-unknown",
                CodeNote::Expired => "code-expired",
                CodeNote::UsedUp => "code-used-up",
                CodeNote::Own => "code-own",
            }),
            Place::NoticeStored => msg("notice-stored"),
            Place::NoticePolice => msg("notice-police"),
            Place::Consent => msg("consent"),
            Place::Tip => format!(
                "{}\n0 {}",
                self.tips
                    .current()
                    .text(session.tip as usize, session.language, session.script),
                msg("back")
            ),
            Place::Help => format!("{}\n0 {}", msg("help"), msg("back")),
            Place::NothingStored => msg("nothing-stored"),
            Place::MyData(data) => {
                let language = msg(&format!("lang-{}", data.language.tag()));
                let area = data.area.clone().unwrap_or_else(|| msg("area-unknown"));
                self.message(
                    "my-data",
                    &locale,
                    &[
                        ("masked", data.masked.clone()),
                        ("language", language),
                        ("area", area),
                        ("joined", data.joined.clone()),
                    ],
                )
            }
            Place::EraseConfirm => msg("erase-confirm"),
            Place::ReportMedium => msg("report-medium"),
            Place::ReportKind => msg("report-kind"),
            Place::ReportNumber(false) => msg("report-number"),
            Place::ReportNumber(true) => msg("report-mistyped"),
        }
    }

    /// The pages of the session's place; every page fits one screen.
    pub fn pages(&self, session: &Session) -> Arc<[String]> {
        let Some(key) = ScreenKey::of(session) else {
            return self.render_pages(session).into();
        };
        self.screens
            .get_or_insert_with(&key, || {
                Ok::<_, std::convert::Infallible>(self.render_pages(session).into())
            })
            .unwrap_or_else(|never| match never {})
    }

    fn render_pages(&self, session: &Session) -> Vec<String> {
        let locale = locale(session.language, session.script);
        let text = self.place_text(session);
        let (body, options) = split_options(&text);
        compose(
            body,
            options,
            &self.message("more", &locale, &[]),
            &self.message("back", &locale, &[]),
        )
    }

    /// What the handset shows now: the current page, with the hint after an invalid input.
    pub fn screen(&self, session: &Session) -> String {
        let pages = self.pages(session);
        let page = pages
            .get(session.page as usize)
            .or(pages.last())
            .cloned()
            .unwrap_or_default();
        if !session.hint {
            return page;
        }
        let hint = self.message("invalid", &locale(session.language, session.script), &[]);
        let with_hint = format!("{hint}\n{page}");
        if fits_ussd(&with_hint) {
            return with_hint;
        }
        let (_, options) = split_options(&page);
        let short = format!("{hint}\n{options}");
        if !options.is_empty() && fits_ussd(&short) {
            short
        } else {
            page
        }
    }

    /// The final screen of a session.
    pub fn ending(&self, ending: &Ending, language: Language, script: Script) -> String {
        let locale = locale(language, script);
        let code = |code: &str| vec![("code", code.to_string())];
        match ending {
            Ending::Joined { code: c } => self.message("joined", &locale, &code(c)),
            Ending::Rejoined { code: c } => self.message("rejoined", &locale, &code(c)),
            Ending::AlreadyMember { code: c } => self.message("already-member", &locale, &code(c)),
            Ending::Declined => self.message("declined", &locale, &[]),
            Ending::Stopped => self.message("stopped", &locale, &[]),
            Ending::Erased => self.message("erased", &locale, &[]),
            Ending::Reported => self.message("reported", &locale, &[]),
            Ending::Medium(true) => self.message("medium-call-set", &locale, &[]),
            Ending::Medium(false) => self.message("medium-sms-set", &locale, &[]),
            Ending::TooManyTries => self.message("too-many", &locale, &[]),
        }
    }

    /// The version of the notice and consent texts a person in this locale is shown.
    pub fn consent_version(&self, language: Language, script: Script) -> String {
        let version = || {
            let locale = locale(language, script);
            let texts: Vec<String> = ["notice-stored", "notice-police", "consent"]
                .iter()
                .map(|id| self.message(id, &locale, &[]))
                .collect();
            Ok::<_, std::convert::Infallible>(consent_version(texts.iter().map(String::as_str)))
        };
        self.versions
            .get_or_insert_with(&(language, script), version)
            .unwrap_or_else(|never| match never {})
    }

    /// Whether every message exists in the locale (for the start-up self-check and tests).
    pub fn missing_messages(&self, language: Language, script: Script) -> Vec<&'static str> {
        let arguments = ["ussd", "code", "masked", "language", "area", "joined"];
        self.catalog
            .missing(MESSAGE_IDS, &locale(language, script), &arguments)
    }
}

/// Every screen of every place and ending in one locale, for review by translators
/// (`mitan screens`). Each entry is a label and the screen as the handset shows it.
pub fn catalogue(texts: &Texts, language: Language, script: Script) -> Vec<(String, String)> {
    use super::machine::{Caller, MyData};
    let member = Caller::Member {
        code: "4829135".into(),
    };
    let mut places: Vec<(Place, Caller)> = vec![
        (Place::Language, Caller::New),
        (Place::Menu, Caller::New),
        (Place::Menu, member.clone()),
        (Place::Resume, Caller::New),
    ];
    for note in [
        CodeNote::Ask,
        CodeNote::Mistyped,
        CodeNote::Unknown,
        CodeNote::Expired,
        CodeNote::UsedUp,
        CodeNote::Own,
    ] {
        places.push((Place::Code(note), Caller::New));
    }
    for place in [
        Place::NoticeStored,
        Place::NoticePolice,
        Place::Consent,
        Place::Tip,
        Place::Help,
        Place::NothingStored,
    ] {
        places.push((place, Caller::New));
    }
    places.push((
        Place::MyData(MyData {
            masked: "+91******10".into(),
            language,
            area: Some("Sirgitti".into()),
            joined: "28-11-2026".into(),
        }),
        member.clone(),
    ));
    places.push((Place::EraseConfirm, member));
    for place in [
        Place::ReportMedium,
        Place::ReportKind,
        Place::ReportNumber(false),
        Place::ReportNumber(true),
    ] {
        places.push((place, Caller::New));
    }
    let mut out = Vec::new();
    for (place, caller) in places {
        let session = Session {
            language,
            script,
            caller,
            place: place.clone(),
            page: 0,
            strikes: 0,
            hint: false,
            code: None,
            tip: 0,
            resumable: None,
            report: (None, None),
            voice: None,
        };
        for (n, page) in texts.pages(&session).iter().enumerate() {
            out.push((format!("{place:?} page {}", n + 1), page.clone()));
        }
    }
    let code = "4829135".to_string();
    for ending in [
        Ending::Joined { code: code.clone() },
        Ending::Rejoined { code: code.clone() },
        Ending::AlreadyMember { code },
        Ending::Declined,
        Ending::Stopped,
        Ending::Erased,
        Ending::Reported,
        Ending::Medium(true),
        Ending::Medium(false),
        Ending::TooManyTries,
    ] {
        out.push((
            format!("{ending:?}"),
            texts.ending(&ending, language, script),
        ));
    }
    out
}

/// Splits a screen into its text and its trailing option lines (`1 Join`, `0 Back`, …).
fn split_options(text: &str) -> (&str, &str) {
    let is_option = |line: &str| {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && line[digits..].starts_with(' ')
    };
    let mut cut = text.len();
    for line in text.rsplit('\n') {
        if !is_option(line) {
            break;
        }
        cut = cut.saturating_sub(line.len() + 1);
    }
    if cut >= text.len() {
        return (text, "");
    }
    if cut == 0 && is_option(text.lines().next().unwrap_or_default()) {
        return ("", text);
    }
    (&text[..cut], &text[cut + 1..])
}

fn compose(body: &str, options: &str, more: &str, back: &str) -> Vec<String> {
    let join = |a: &str, b: &str| match (a.is_empty(), b.is_empty()) {
        (_, true) => a.to_string(),
        (true, false) => b.to_string(),
        (false, false) => format!("{a}\n{b}"),
    };
    let whole = join(body, options);
    if fits_ussd(&whole) {
        return vec![whole];
    }
    let back_line = format!("0 {back}");
    let options_have_zero = options.lines().any(|line| line.starts_with("0 "));
    let mut pages = paginate_ussd(body, more, back);
    if let Some(last) = pages.pop() {
        let last_body = if options_have_zero {
            last.strip_suffix(&format!("\n{back_line}"))
                .unwrap_or(&last)
                .to_string()
        } else {
            last.clone()
        };
        let with_options = join(&last_body, options);
        if fits_ussd(&with_options) {
            pages.push(with_options);
        } else {
            pages.push(last);
            pages.push(join(
                options,
                if options_have_zero { "" } else { &back_line },
            ));
        }
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_split_from_the_text_above_them() {
        assert_eq!(
            split_options("Welcome\n1 Join\n2 Tip"),
            ("Welcome", "1 Join\n2 Tip")
        );
        assert_eq!(
            split_options("Enter code, or 0 to skip."),
            ("Enter code, or 0 to skip.", "")
        );
        assert_eq!(split_options("1 Yes\n2 No"), ("", "1 Yes\n2 No"));
    }

    #[test]
    fn every_message_exists_in_every_locale() {
        let texts = Texts::new("*384*25#", Arc::new(LiveTips::seeded()));
        for (language, script) in all_locales() {
            assert_eq!(
                texts.missing_messages(language, script),
                Vec::<&str>::new(),
                "{language:?} {script:?}"
            );
        }
    }

    use crate::encoding::{USSD_GSM7_MAX, USSD_UCS2_MAX};
    use crate::ussd::machine::{Caller, MyData};

    /// Every place a session can be in, with every variation that changes its text.
    fn every_place(tips: usize) -> Vec<(Place, Caller, u16)> {
        let member = Caller::Member {
            code: "4829135".into(),
        };
        let mut places = vec![];
        for caller in [
            Caller::New,
            member.clone(),
            Caller::OptedOut {
                code: "5724".into(),
            },
        ] {
            places.push((Place::Menu, caller, 0));
        }
        let notes = [
            CodeNote::Ask,
            CodeNote::Mistyped,
            CodeNote::Unknown,
            CodeNote::Expired,
            CodeNote::UsedUp,
            CodeNote::Own,
        ];
        for note in notes {
            places.push((Place::Code(note), Caller::New, 0));
        }
        for place in [
            Place::Resume,
            Place::Language,
            Place::NoticeStored,
            Place::NoticePolice,
            Place::Consent,
            Place::Help,
            Place::NothingStored,
            Place::EraseConfirm,
            Place::ReportMedium,
            Place::ReportKind,
            Place::ReportNumber(false),
            Place::ReportNumber(true),
        ] {
            places.push((place, Caller::New, 0));
        }
        for tip in 0..tips {
            places.push((Place::Tip, member.clone(), tip as u16));
        }
        for language in Language::ALL {
            for area in [
                None,
                Some("Chowki Malhar, Masturi thana".to_string()),
                Some("सरकंडा".to_string()),
            ] {
                let data = MyData {
                    masked: "+91******10".into(),
                    language,
                    area,
                    joined: "28-11-2026".into(),
                };
                places.push((Place::MyData(data), member.clone(), 0));
            }
        }
        places
    }

    fn assert_fits(screen: &str, what: &str) {
        assert!(
            fits_ussd(screen),
            "{what} does not fit a handset ({} chars, limit {} GSM-7 / {} UCS-2):\n{screen}",
            screen.chars().count(),
            USSD_GSM7_MAX,
            USSD_UCS2_MAX
        );
        assert!(!screen.trim().is_empty(), "{what} is empty");
    }

    #[test]
    fn every_screen_in_every_language_fits_the_handset() {
        let texts = Texts::new("*384*25#", Arc::new(LiveTips::seeded()));
        let mut screens = 0;
        for (language, script) in all_locales() {
            for (place, caller, tip) in every_place(crate::tips::TipLibrary::seed().len()) {
                let base = Session {
                    language,
                    script,
                    caller,
                    place: place.clone(),
                    page: 0,
                    strikes: 0,
                    hint: false,
                    code: None,
                    tip,
                    resumable: None,
                    report: (None, None),
                    voice: None,
                };
                // A member's menu has a seventh line where calls can be placed.
                for voice in [None, Some(false), Some(true)] {
                    let base = Session {
                        voice,
                        ..base.clone()
                    };
                    let pages = texts.pages(&base);
                    for page in 0..pages.len() {
                        for hint in [false, true] {
                            let session = Session {
                                page: page as u8,
                                hint,
                                ..base.clone()
                            };
                            let screen = texts.screen(&session);
                            assert_fits(
                                &screen,
                                &format!(
                                    "{place:?} page {page} hint {hint} in {language:?}/{script:?}"
                                ),
                            );
                            screens += 1;
                        }
                    }
                }
            }
            let code = "4829135067".to_string();
            for ending in [
                Ending::Joined { code: code.clone() },
                Ending::Rejoined { code: code.clone() },
                Ending::AlreadyMember { code },
                Ending::Declined,
                Ending::Stopped,
                Ending::Erased,
                Ending::Reported,
                Ending::Medium(true),
                Ending::Medium(false),
                Ending::TooManyTries,
            ] {
                let screen = texts.ending(&ending, language, script);
                assert_fits(&screen, &format!("{ending:?} in {language:?}/{script:?}"));
                screens += 1;
            }
        }
        assert_fits(BUSY, "the busy screen");
        assert_fits(BAD_NUMBER, "the bad-number screen");
        assert!(screens > 400, "only {screens} screens rendered");
    }

    #[test]
    fn a_tip_too_long_for_one_screen_is_paginated_whole() {
        let texts = Texts::new("*384*25#", Arc::new(LiveTips::seeded()));
        let tips = crate::tips::TipLibrary::seed();
        let session = Session {
            language: Language::Hindi,
            script: Script::Native,
            caller: Caller::Member {
                code: "5724".into(),
            },
            place: Place::Tip,
            page: 0,
            strikes: 0,
            hint: false,
            code: None,
            tip: 0,
            resumable: None,
            report: (None, None),
            voice: None,
        };
        let pages = texts.pages(&session);
        assert!(pages.len() > 1, "{pages:?}");
        assert!(pages[0].contains("98 "), "{}", pages[0]);
        assert!(!pages.last().unwrap().contains("98 "));
        // Every word of the tip is on some page, in order: nothing is cut.
        let shown: String = pages.join(" ");
        for word in tips
            .text(0, Language::Hindi, Script::Native)
            .split_whitespace()
        {
            assert!(shown.contains(word), "{word} is missing");
        }
    }

    #[test]
    fn every_locale_file_defines_every_message_itself() {
        for tag in ["en", "hi", "hne", "hi-Latn"] {
            let path = format!("{}/locales/{tag}/ussd.ftl", env!("CARGO_MANIFEST_DIR"));
            let file = std::fs::read_to_string(&path).unwrap();
            for id in MESSAGE_IDS {
                assert!(
                    file.lines()
                        .any(|line| line.starts_with(&format!("{id} ="))),
                    "{id} is missing from {path}"
                );
            }
        }
    }

    #[test]
    fn messages_render_without_isolation_marks() {
        let texts = Texts::new("*384*25#", Arc::new(LiveTips::seeded()));
        let joined = texts.ending(
            &Ending::Joined {
                code: "482913".into(),
            },
            Language::English,
            Script::Native,
        );
        assert!(joined.contains("482913"), "{joined}");
        assert!(joined.contains("*384*25#"), "{joined}");
        assert!(!joined.contains('\u{2068}') && !joined.contains('\u{2069}'));
    }
}
