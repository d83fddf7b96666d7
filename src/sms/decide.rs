//! What an inbound SMS means for this sender: a pure function of the parsed [`Command`] and what
//! the store knows about the number. No IO; the edge performs the [`Action`].

use crate::commands::Command;
use crate::enrollment::{Language, OptInCode, Script};

use super::texts::Say;

/// What the store knows about the sender, as far as a decision needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sender {
    /// An active member, with their code.
    pub member: Option<String>,
    /// Someone who was sent the notice (by JOIN, a missed call or an invitation) and may say YES.
    pub pending: bool,
    /// A recruiter (an officer's registered phone, or an active mitan).
    pub recruiter: bool,
}

/// What to do about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Answer, and change nothing.
    Reply(Say),
    /// Answer only if the number has auto-replies left today (the message was not a keyword).
    Unknown,
    /// Send the notice and wait for YES (JOIN, START, a missed call).
    AskConsent(Option<OptInCode>),
    /// YES to a live notice: join.
    Consent,
    Stop,
    Delete,
    /// Switch the language of a member, or of a pending notice.
    Language(Language, Script),
    Status,
    Code,
    /// Invite the number written after INVITE.
    Invite(String),
    /// The scam check: the text after CHECK, or (`None`) the whole message, a forward.
    ScamCheck(Option<String>),
    /// Report the fraud number written after REPORT (with how it came and what it was about).
    Report(String),
    /// A member chose how tips come: `true` by phone call, `false` by SMS.
    Medium(bool),
}

/// A message that is no keyword and longer than this many characters is taken as a forwarded
/// message to check.
pub const FORWARD_OVER: usize = 40;

/// Decides what a message asks for.
pub fn decide(command: Command, sender: &Sender) -> Action {
    let already = || {
        sender
            .member
            .clone()
            .map(|code| Action::Reply(Say::AlreadyMember { code }))
    };
    match command {
        Command::Join(code) => already().unwrap_or(Action::AskConsent(code)),
        Command::Start => already().unwrap_or(Action::AskConsent(None)),
        Command::BadCode(_) => Action::Reply(Say::BadCode),
        Command::Yes if sender.pending => Action::Consent,
        Command::Yes => already().unwrap_or(Action::Reply(Say::ShortHelp)),
        Command::Stop => Action::Stop,
        Command::Delete => Action::Delete,
        Command::Help => Action::Reply(Say::Help),
        Command::Tip => Action::Reply(Say::Tip(String::new())),
        Command::Lang(language, script) => {
            let script = match language {
                Language::English => Script::Native,
                _ => script.unwrap_or(Script::Native),
            };
            if sender.member.is_some() || sender.pending {
                Action::Language(language, script)
            } else {
                Action::Reply(Say::Help)
            }
        }
        Command::Status if sender.recruiter => Action::Status,
        Command::Code if sender.recruiter => Action::Code,
        Command::Invite(number) if sender.recruiter => Action::Invite(number),
        Command::Check(text) => Action::ScamCheck(Some(text)),
        Command::Report(text) => Action::Report(text),
        Command::Voice if sender.member.is_some() => Action::Medium(true),
        Command::Text if sender.member.is_some() => Action::Medium(false),
        // Not a member yet: how to join (a call's consent is asked on the voice number).
        Command::Voice | Command::Text => Action::Reply(Say::Help),
        Command::Unknown(text) if text.chars().count() > FORWARD_OVER => Action::ScamCheck(None),
        Command::Status | Command::Code | Command::Invite(_) | Command::Unknown(_) => {
            Action::Unknown
        }
    }
}

/// Roman words that mark a message as Hindi written in Latin letters.
const ROMAN_HINDI: &[&str] = &[
    "judo", "haan", "han", "haa", "ha", "band", "bandh", "ruko", "roko", "madad", "sahayata",
    "shuru", "sujhav", "bhasha", "mitao", "hatao", "ji",
];

/// The language to answer someone the store knows nothing about: Devanagari is answered in Hindi,
/// Hindi in Roman letters in Roman Hindi, anything else in English.
pub fn guess_language(text: &str) -> (Language, Script) {
    if text.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c)) {
        return (Language::Hindi, Script::Native);
    }
    let roman = text
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|word| ROMAN_HINDI.contains(&word.to_ascii_lowercase().as_str()));
    if roman {
        (Language::Hindi, Script::Roman)
    } else {
        (Language::English, Script::Native)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::parse;

    fn stranger() -> Sender {
        Sender::default()
    }

    fn member() -> Sender {
        Sender {
            member: Some("4829138".into()),
            recruiter: true,
            ..Sender::default()
        }
    }

    fn pending() -> Sender {
        Sender {
            pending: true,
            ..Sender::default()
        }
    }

    fn officer() -> Sender {
        Sender {
            recruiter: true,
            ..Sender::default()
        }
    }

    #[test]
    fn each_message_means_what_it_should_for_each_sender() {
        let code = OptInCode::parse("4829138").ok();
        let already = Action::Reply(Say::AlreadyMember {
            code: "4829138".into(),
        });
        let cases: Vec<(&str, Sender, Action)> = vec![
            ("JOIN", stranger(), Action::AskConsent(None)),
            ("judo", stranger(), Action::AskConsent(None)),
            ("जुड़ें", stranger(), Action::AskConsent(None)),
            ("JOIN", member(), already.clone()),
            ("START", stranger(), Action::AskConsent(None)),
            ("START", member(), already.clone()),
            ("YES", pending(), Action::Consent),
            ("हां", pending(), Action::Consent),
            ("haan", pending(), Action::Consent),
            ("YES", stranger(), Action::Reply(Say::ShortHelp)),
            ("YES", member(), already),
            ("STOP", stranger(), Action::Stop),
            ("बंद", member(), Action::Stop),
            ("ruko", pending(), Action::Stop),
            ("UNSUBSCRIBE", member(), Action::Stop),
            ("DELETE", member(), Action::Delete),
            ("HELP", stranger(), Action::Reply(Say::Help)),
            ("मदद", stranger(), Action::Reply(Say::Help)),
            (
                "LANG EN",
                member(),
                Action::Language(Language::English, Script::Native),
            ),
            (
                "LANG CG",
                pending(),
                Action::Language(Language::Chhattisgarhi, Script::Native),
            ),
            (
                "LANG HI ROMAN",
                member(),
                Action::Language(Language::Hindi, Script::Roman),
            ),
            ("LANG HI", stranger(), Action::Reply(Say::Help)),
            ("STATUS", officer(), Action::Status),
            ("STATUS", stranger(), Action::Unknown),
            ("CODE", member(), Action::Code),
            (
                "INVITE 98765 43210",
                officer(),
                Action::Invite("98765 43210".into()),
            ),
            ("INVITE 9876543210", pending(), Action::Unknown),
            ("hello?", stranger(), Action::Unknown),
            (
                "CHECK Your KYC is pending",
                member(),
                Action::ScamCheck(Some("Your KYC is pending".into())),
            ),
            (
                "जांच: खाता बंद हो जाएगा",
                stranger(),
                Action::ScamCheck(Some("खाता बंद हो जाएगा".into())),
            ),
            ("janch", stranger(), Action::ScamCheck(Some(String::new()))),
            (
                "Dear customer, your account will be blocked today, update now",
                stranger(),
                Action::ScamCheck(None),
            ),
            ("is this a fraud message?", member(), Action::Unknown),
            (
                "REPORT 98765 43210 call",
                stranger(),
                Action::Report("98765 43210 call".into()),
            ),
            (
                "शिकायत 9876543210",
                member(),
                Action::Report("9876543210".into()),
            ),
            ("VOICE", member(), Action::Medium(true)),
            ("आवाज़", member(), Action::Medium(true)),
            ("awaaz please", member(), Action::Medium(true)),
            ("SMS", member(), Action::Medium(false)),
            ("VOICE", stranger(), Action::Reply(Say::Help)),
            ("SMS", pending(), Action::Reply(Say::Help)),
            // A forward that starts with the word is checked, not taken as a choice.
            (
                "SMS from your bank: your account will be blocked",
                member(),
                Action::ScamCheck(None),
            ),
        ];
        for (text, sender, expected) in cases {
            assert_eq!(
                decide(parse(text), &sender),
                expected,
                "{text} from {sender:?}"
            );
        }
        assert_eq!(
            decide(parse("JOIN 4829138"), &stranger()),
            Action::AskConsent(code)
        );
        assert_eq!(
            decide(parse("JOIN 4829139"), &stranger()),
            Action::Reply(Say::BadCode)
        );
    }

    #[test]
    fn strangers_are_answered_in_the_language_they_wrote() {
        assert_eq!(guess_language("जुड़ें"), (Language::Hindi, Script::Native));
        assert_eq!(
            guess_language("JUDO 4829138"),
            (Language::Hindi, Script::Roman)
        );
        assert_eq!(guess_language("haan ji"), (Language::Hindi, Script::Roman));
        assert_eq!(guess_language("JOIN"), (Language::English, Script::Native));
        assert_eq!(guess_language(""), (Language::English, Script::Native));
    }
}
