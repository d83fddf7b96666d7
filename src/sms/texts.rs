//! What SMS replies say: Fluent messages (`locales/<lang>/sms.ftl`) in the person's language and
//! script, prepared for the wire by the outbox.

use crate::enrollment::{consent_version, Language, Script};
use crate::i18n::{locale, Catalog};

/// One reply, before it is put into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Say {
    /// The consent notice, ending "reply YES".
    Notice,
    /// The notice, introduced as an invitation from a volunteer.
    Invitation,
    Joined {
        code: String,
    },
    Rejoined {
        code: String,
    },
    AlreadyMember {
        code: String,
    },
    CodeRefused,
    BadCode,
    Stopped,
    Erased,
    Help,
    ShortHelp,
    LanguageSet,
    Status {
        count: i64,
        quota: i64,
        code: String,
    },
    Code {
        code: String,
    },
    Invited,
    InviteBadNumber,
    Tip(String),
    /// The scam check found a known fraud kind: that kind's tip, as "if a message asks for
    /// this, it is fraud" (never "this message is genuine").
    ScamKind(String),
    /// The scam check found no kind: the general advice.
    ScamUnsure,
    /// A fraud number was reported (counted or not: the reporter hears the same).
    Reported,
    /// A REPORT without a mobile number that can be read.
    ReportBadNumber,
    /// Tips will come as calls from `number`.
    VoiceOn {
        number: String,
    },
    /// Tips will come by SMS again.
    VoiceOff,
    /// VOICE, where no calls can be placed.
    VoiceUnavailable,
}

/// Every message an SMS reply uses; a test checks each exists in every locale.
pub const SMS_MESSAGE_IDS: &[&str] = &[
    "sms-notice",
    "sms-invite",
    "sms-joined",
    "sms-rejoined",
    "sms-already-member",
    "sms-code-refused",
    "sms-bad-code",
    "sms-stopped",
    "sms-erased",
    "sms-help",
    "sms-short-help",
    "sms-language-set",
    "sms-status",
    "sms-code",
    "sms-invited",
    "sms-invite-bad-number",
    "sms-tip",
    "sms-scam-kind",
    "sms-scam-unsure",
    "sms-reported",
    "sms-report-bad-number",
    "sms-voice-on",
    "sms-voice-off",
    "sms-voice-unavailable",
];

/// The words of a reply in a locale.
pub fn render(texts: &Catalog, say: &Say, language: Language, script: Script) -> String {
    let locale = locale(language, script);
    let msg = |id: &str, args: &[(&'static str, String)]| texts.message(id, &locale, args);
    let code = |code: &str| vec![("code", code.to_string())];
    match say {
        Say::Notice => msg("sms-notice", &[]),
        Say::Invitation => format!("{} {}", msg("sms-invite", &[]), msg("sms-notice", &[])),
        Say::Joined { code: c } => msg("sms-joined", &code(c)),
        Say::Rejoined { code: c } => msg("sms-rejoined", &code(c)),
        Say::AlreadyMember { code: c } => msg("sms-already-member", &code(c)),
        Say::CodeRefused => msg("sms-code-refused", &[]),
        Say::BadCode => msg("sms-bad-code", &[]),
        Say::Stopped => msg("sms-stopped", &[]),
        Say::Erased => msg("sms-erased", &[]),
        Say::Help => msg("sms-help", &[]),
        Say::ShortHelp => msg("sms-short-help", &[]),
        Say::LanguageSet => msg("sms-language-set", &[]),
        Say::VoiceOn { number } => msg("sms-voice-on", &[("number", number.clone())]),
        Say::VoiceOff => msg("sms-voice-off", &[]),
        Say::VoiceUnavailable => msg("sms-voice-unavailable", &[]),
        Say::Status { count, quota, code } => msg(
            "sms-status",
            &[
                ("count", count.to_string()),
                ("quota", quota.to_string()),
                ("code", code.clone()),
            ],
        ),
        Say::Code { code: c } => msg("sms-code", &code(c)),
        Say::Invited => msg("sms-invited", &[]),
        Say::InviteBadNumber => msg("sms-invite-bad-number", &[]),
        Say::Tip(tip) => msg("sms-tip", &[("tip", tip.clone())]),
        Say::ScamKind(tip) => msg("sms-scam-kind", &[("tip", tip.clone())]),
        Say::ScamUnsure => msg("sms-scam-unsure", &[]),
        Say::Reported => msg("sms-reported", &[]),
        Say::ReportBadNumber => msg("sms-report-bad-number", &[]),
    }
}

/// The scam check's answer in a locale: the tip of the fraud kind found (the library's first
/// active tip of that category), or the general advice when none was found or it has no tip.
pub fn scam_reply(
    texts: &Catalog,
    library: &crate::tips::TipLibrary,
    category: Option<&str>,
    language: Language,
    script: Script,
) -> String {
    let say = category
        .and_then(|category| library.of_category(category, language, script))
        .map_or(Say::ScamUnsure, |tip| Say::ScamKind(tip.to_string()));
    render(texts, &say, language, script)
}

/// The version of the SMS consent notice in a locale, stored with a consent given by `YES`.
pub fn notice_version(texts: &Catalog, language: Language, script: Script) -> String {
    let notice = render(texts, &Say::Notice, language, script);
    consent_version([notice.as_str()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::all_locales;

    fn texts() -> Catalog {
        Catalog::new("*384*25#")
    }

    #[test]
    fn every_sms_message_exists_in_every_locale() {
        let texts = texts();
        let args: Vec<(&'static str, String)> = ["code", "count", "quota", "tip", "number"]
            .into_iter()
            .map(|name| (name, "x".to_string()))
            .collect();
        for (language, script) in all_locales() {
            for id in SMS_MESSAGE_IDS {
                let text = texts.message(id, &locale(language, script), &args);
                assert_ne!(&text, id, "{id} is missing in {language:?} {script:?}");
            }
        }
    }

    #[test]
    fn the_notice_says_what_is_kept_that_police_never_see_it_and_how_to_agree() {
        let texts = texts();
        let notice = render(&texts, &Say::Notice, Language::English, Script::Native);
        for fragment in ["your number", "police never see", "STOP", "YES", "18+"] {
            assert!(notice.contains(fragment), "{fragment}: {notice}");
        }
        for (language, script) in all_locales() {
            let notice = render(&texts, &Say::Notice, language, script);
            assert!(
                notice.contains("YES") && notice.contains("STOP"),
                "{notice}"
            );
        }
    }

    #[test]
    fn roman_and_english_replies_fit_gsm7() {
        let texts = texts();
        for (language, script) in [
            (Language::English, Script::Native),
            (Language::Hindi, Script::Roman),
        ] {
            for say in [Say::Notice, Say::Help, Say::Stopped, Say::ShortHelp] {
                let text = render(&texts, &say, language, script);
                assert!(crate::encoding::is_gsm7(&text), "{text}");
            }
        }
    }

    #[test]
    fn a_changed_notice_changes_its_version() {
        let texts = texts();
        let en = notice_version(&texts, Language::English, Script::Native);
        let hi = notice_version(&texts, Language::Hindi, Script::Native);
        assert_eq!(en.len(), 16);
        assert_ne!(en, hi);
    }
}
