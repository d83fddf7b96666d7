//! The USSD menu as a pure state machine: a session and an input in, the next session and what to
//! show out. Anything that needs the store is returned as an [`Effect`]; the caller performs it and
//! feeds the [`Outcome`] back through [`after`]. No IO, no clock, no randomness.

use serde::{Deserialize, Serialize};

use crate::enrollment::{CodeRefusal, Language, OptInCode, Script};
use crate::reports::{Kind, Medium};

/// Consecutive invalid inputs after which the session ends politely.
pub const MAX_STRIKES: u8 = 3;

/// What the store knows about the caller when the session starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Caller {
    New,
    Member { code: String },
    OptedOut { code: String },
}

/// Why a code was not accepted, as the menu tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CodeNote {
    Ask,
    Mistyped,
    Unknown,
    Expired,
    UsedUp,
    Own,
}

impl From<CodeRefusal> for CodeNote {
    fn from(refusal: CodeRefusal) -> Self {
        match refusal {
            CodeRefusal::Unknown => CodeNote::Unknown,
            CodeRefusal::Expired => CodeNote::Expired,
            CodeRefusal::UsedUp => CodeNote::UsedUp,
            CodeRefusal::OwnNumber => CodeNote::Own,
        }
    }
}

/// What "My data" shows: nothing that is not already the person's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MyData {
    pub masked: String,
    pub language: Language,
    pub area: Option<String>,
    /// `DD-MM-YYYY`, in the campaign's time zone.
    pub joined: String,
}

/// Where the caller is in the menu.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Place {
    Resume,
    Language,
    Menu,
    Code(CodeNote),
    NoticeStored,
    NoticePolice,
    Consent,
    Tip,
    Help,
    MyData(MyData),
    NothingStored,
    EraseConfirm,
    /// Report a fraud number: how it came, what it was about, then the number (`true` after a
    /// number that could not be read). The number is asked last so that it is never stored in
    /// a session: it is reported in the hop it is typed in.
    ReportMedium,
    ReportKind,
    ReportNumber(bool),
}

impl Place {
    /// The places between "Join" and "I agree": a session dropped here can be resumed.
    pub fn is_joining(&self) -> bool {
        matches!(
            self,
            Place::Code(_) | Place::NoticeStored | Place::NoticePolice | Place::Consent
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub language: Language,
    pub script: Script,
    pub caller: Caller,
    pub place: Place,
    /// Page of the current place (0-based) when it does not fit one screen.
    pub page: u8,
    /// Consecutive invalid inputs.
    pub strikes: u8,
    /// Show the "please choose" hint on the next render.
    pub hint: bool,
    /// The recruiter code accepted so far.
    pub code: Option<String>,
    /// Which tip "today's tip" shows.
    pub tip: u16,
    /// A dropped joining session this caller may continue.
    pub resumable: Option<Box<Session>>,
    /// What a fraud report chosen so far says: how it came and what it was about.
    #[serde(default)]
    pub report: (Option<Medium>, Option<Kind>),
    /// For a member where calls can be placed: whether their tips come by call (the menu offers
    /// the other way as 7). `None`: no calls here, and no such choice.
    #[serde(default)]
    pub voice: Option<bool>,
}

/// How a session ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    Joined {
        code: String,
    },
    Rejoined {
        code: String,
    },
    AlreadyMember {
        code: String,
    },
    Declined,
    Stopped,
    Erased,
    Reported,
    /// Tips now come by call (`true`) or by SMS.
    Medium(bool),
    TooManyTries,
}

/// Work for the caller to do against the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    CheckCode(OptInCode),
    Join,
    OptOut,
    Erase,
    SaveLanguage,
    LoadMyData,
    /// Report the number as typed, with what the session chose.
    Report(String),
    /// Tips by call (`true`) or by SMS.
    SetMedium(bool),
}

/// What the store said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    CodeAccepted(OptInCode),
    CodeRefused(CodeRefusal),
    Joined {
        code: String,
    },
    Rejoined {
        code: String,
    },
    AlreadyMember {
        code: String,
    },
    OptedOut,
    Erased,
    LanguageSaved,
    MyData(MyData),
    NotRegistered,
    Reported,
    /// The typed number is no mobile number.
    ReportBadNumber,
    MediumSet(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Show the session's current place and wait for input (`CON`).
    Show(Session),
    /// Close the session with this screen (`END`).
    End(Ending, Language, Script),
    /// Perform the effect, then call [`after`] with its outcome.
    Perform(Session, Effect),
}

/// The first screen of a dial.
pub fn start(
    caller: Caller,
    known: Option<(Language, Script)>,
    tip: u16,
    resumable: Option<Session>,
    voice: Option<bool>,
) -> Step {
    // The resume offer speaks the language the dropped session had chosen.
    let (language, script) = resumable
        .as_ref()
        .map(|saved| (saved.language, saved.script))
        .or(known)
        .unwrap_or((Language::Hindi, Script::Native));
    let place = if resumable.is_some() {
        Place::Resume
    } else if known.is_some() {
        Place::Menu
    } else {
        Place::Language
    };
    Step::Show(Session {
        language,
        script,
        caller,
        place,
        page: 0,
        strikes: 0,
        hint: false,
        code: None,
        tip,
        resumable: resumable.map(Box::new),
        report: (None, None),
        voice,
    })
}

/// One input. `pages` tells how many screens the session's current place takes.
pub fn step(mut session: Session, input: &str, pages: usize) -> Step {
    let input = input.trim();
    session.hint = false;
    let last_page = session.page as usize + 1 >= pages;
    if !last_page && input == "98" {
        return show(session.turn_page(1));
    }
    if session.page > 0 && input == "0" {
        return show(session.turn_page(-1));
    }
    // Before the last page only paging is possible, and "0" (back, to where the place leads).
    if !last_page && input != "0" {
        return strike(session);
    }
    match (session.place.clone(), input) {
        (Place::Resume, "1") => match session.resumable.take() {
            Some(saved) => show(Session {
                strikes: 0,
                page: 0,
                hint: false,
                ..*saved
            }),
            None => go(session, Place::Language),
        },
        (Place::Resume, "2") => {
            session.resumable = None;
            go(session, Place::Language)
        }
        (Place::Language, choice) => match choice {
            "1" => choose_language(session, Language::Hindi, Script::Native),
            "2" => choose_language(session, Language::Chhattisgarhi, Script::Native),
            "3" => choose_language(session, Language::English, Script::Native),
            "4" => choose_language(session, Language::Hindi, Script::Roman),
            _ => strike(session),
        },
        (Place::Menu, choice) => menu(session, choice),
        (Place::Code(_), "0") => {
            session.code = None;
            go(session, Place::NoticeStored)
        }
        (Place::Code(_), typed) => match OptInCode::parse(typed) {
            Ok(code) => perform(session, Effect::CheckCode(code)),
            Err(_) => {
                session.strikes += 1;
                if session.strikes >= MAX_STRIKES {
                    return end(&session, Ending::TooManyTries);
                }
                session.place = Place::Code(CodeNote::Mistyped);
                show(session)
            }
        },
        (Place::NoticeStored, "1") => go(session, Place::NoticePolice),
        (Place::NoticePolice, "1") => go(session, Place::Consent),
        (Place::Consent, "1") => perform(session, Effect::Join),
        (Place::Consent, "2") => end(&session, Ending::Declined),
        (Place::Tip | Place::Help | Place::NothingStored, "0") => go(session, Place::Menu),
        (Place::MyData(_), "1") => go(session, Place::EraseConfirm),
        (Place::MyData(_), "0") => go(session, Place::Menu),
        (Place::EraseConfirm, "1") => perform(session, Effect::Erase),
        (Place::EraseConfirm, "2") => go(session, Place::Menu),
        (Place::ReportMedium, "0") => go(session, Place::Menu),
        (Place::ReportMedium, choice) => match choice {
            "1" | "2" | "3" => {
                session.report = (Some(Medium::ALL[index(choice)]), None);
                go(session, Place::ReportKind)
            }
            _ => strike(session),
        },
        (Place::ReportKind, "0") => go(session, Place::ReportMedium),
        (Place::ReportKind, choice) => match choice {
            "1" | "2" | "3" | "4" | "5" => {
                session.report.1 = Some(Kind::ALL[index(choice)]);
                go(session, Place::ReportNumber(false))
            }
            _ => strike(session),
        },
        (Place::ReportNumber(_), "0") => go(session, Place::ReportKind),
        // Mistakes on this screen add up, whether this machine or the store's edge saw them.
        (Place::ReportNumber(_), typed) if looks_like_a_number(typed) => {
            Step::Perform(session, Effect::Report(typed.to_string()))
        }
        (Place::ReportNumber(_), _) => {
            session.strikes += 1;
            if session.strikes >= MAX_STRIKES {
                return end(&session, Ending::TooManyTries);
            }
            session.place = Place::ReportNumber(true);
            show(session)
        }
        _ => strike(session),
    }
}

/// The store's answer to an [`Effect`].
pub fn after(mut session: Session, outcome: Outcome) -> Step {
    match outcome {
        Outcome::CodeAccepted(code) => {
            session.code = Some(code.as_str().to_string());
            go(session, Place::NoticeStored)
        }
        Outcome::CodeRefused(refusal) => {
            session.code = None;
            session.strikes += 1;
            if session.strikes >= MAX_STRIKES {
                return end(&session, Ending::TooManyTries);
            }
            session.place = Place::Code(refusal.into());
            show(session)
        }
        Outcome::Joined { code } => end(&session, Ending::Joined { code }),
        Outcome::Rejoined { code } => end(&session, Ending::Rejoined { code }),
        Outcome::AlreadyMember { code } => end(&session, Ending::AlreadyMember { code }),
        Outcome::OptedOut => end(&session, Ending::Stopped),
        Outcome::Erased => end(&session, Ending::Erased),
        Outcome::LanguageSaved => go(session, Place::Menu),
        Outcome::MyData(data) => go(session, Place::MyData(data)),
        Outcome::NotRegistered => go(session, Place::NothingStored),
        Outcome::Reported => end(&session, Ending::Reported),
        Outcome::MediumSet(voice) => end(&session, Ending::Medium(voice)),
        Outcome::ReportBadNumber => {
            session.strikes += 1;
            if session.strikes >= MAX_STRIKES {
                return end(&session, Ending::TooManyTries);
            }
            session.place = Place::ReportNumber(true);
            show(session)
        }
    }
}

impl Session {
    fn turn_page(mut self, by: i8) -> Self {
        self.page = self.page.saturating_add_signed(by);
        self.strikes = 0;
        self
    }

    pub fn is_member(&self) -> bool {
        matches!(self.caller, Caller::Member { .. })
    }
}

fn menu(session: Session, choice: &str) -> Step {
    match (&session.caller, choice) {
        (Caller::Member { .. }, "1") => go(session, Place::Tip),
        (Caller::Member { .. }, "2") => perform(session, Effect::OptOut),
        (Caller::New, "1") => go(session, Place::Code(CodeNote::Ask)),
        // Already credited once: coming back is consent again, without a code.
        (Caller::OptedOut { .. }, "1") => go(session, Place::NoticeStored),
        (Caller::New | Caller::OptedOut { .. }, "2") => go(session, Place::Tip),
        (_, "3") => go(session, Place::Help),
        (_, "4") => go(session, Place::Language),
        (Caller::New, "5") => go(session, Place::NothingStored),
        (_, "5") => perform(session, Effect::LoadMyData),
        (_, "6") => go(session, Place::ReportMedium),
        (Caller::Member { .. }, "7") => match session.voice {
            Some(voice) => perform(session, Effect::SetMedium(!voice)),
            None => strike(session),
        },
        _ => strike(session),
    }
}

/// Whether a typed answer could be a phone number: 10 to 15 digits, spaced or dashed, with a
/// `+` before them; whether it is a mobile number is the store's edge to say.
fn looks_like_a_number(typed: &str) -> bool {
    let digits = typed.chars().filter(char::is_ascii_digit).count();
    let allowed = typed
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == ' ' || c == '-' || (c == '+' && i == 0));
    allowed && (10..=15).contains(&digits)
}

/// The list position of a menu choice `"1"`, `"2"`, …
fn index(choice: &str) -> usize {
    choice.parse::<usize>().map_or(0, |n| n.saturating_sub(1))
}

fn choose_language(mut session: Session, language: Language, script: Script) -> Step {
    session.language = language;
    session.script = script;
    if session.is_member() {
        perform(session, Effect::SaveLanguage)
    } else {
        go(session, Place::Menu)
    }
}

fn go(mut session: Session, place: Place) -> Step {
    session.place = place;
    session.page = 0;
    session.strikes = 0;
    Step::Show(session)
}

fn show(session: Session) -> Step {
    Step::Show(session)
}

fn perform(mut session: Session, effect: Effect) -> Step {
    session.strikes = 0;
    Step::Perform(session, effect)
}

fn strike(mut session: Session) -> Step {
    session.strikes += 1;
    if session.strikes >= MAX_STRIKES {
        return end(&session, Ending::TooManyTries);
    }
    session.hint = true;
    Step::Show(session)
}

fn end(session: &Session, ending: Ending) -> Step {
    Step::End(ending, session.language, session.script)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(step: Step) -> Session {
        match step {
            Step::Show(session) => session,
            other => panic!("expected a screen, got {other:?}"),
        }
    }

    fn new_caller() -> Session {
        shown(start(Caller::New, None, 0, None, None))
    }

    /// Feeds inputs to a one-page menu, answering effects with `outcome`.
    fn walk(mut session: Session, inputs: &[&str]) -> Step {
        let mut last = Step::Show(session.clone());
        for input in inputs {
            last = step(session.clone(), input, 1);
            match &last {
                Step::Show(next) | Step::Perform(next, _) => session = next.clone(),
                Step::End(..) => break,
            }
        }
        last
    }

    #[test]
    fn a_new_caller_chooses_a_language_first() {
        assert_eq!(new_caller().place, Place::Language);
        let menu = shown(step(new_caller(), "3", 1));
        assert_eq!(menu.place, Place::Menu);
        assert_eq!(menu.language, Language::English);
        let roman = shown(step(new_caller(), "4", 1));
        assert_eq!(
            (roman.language, roman.script),
            (Language::Hindi, Script::Roman)
        );
    }

    #[test]
    fn joining_without_a_code_reaches_consent_then_asks_the_store_to_join() {
        let step = walk(new_caller(), &["2", "1", "0", "1", "1", "1"]);
        let Step::Perform(session, Effect::Join) = step else {
            panic!("{step:?}")
        };
        assert_eq!(session.language, Language::Chhattisgarhi);
        assert_eq!(session.code, None);
        let done = after(
            session,
            Outcome::Joined {
                code: "482913".into(),
            },
        );
        assert_eq!(
            done,
            Step::End(
                Ending::Joined {
                    code: "482913".into()
                },
                Language::Chhattisgarhi,
                Script::Native
            )
        );
    }

    #[test]
    fn a_well_formed_code_is_checked_by_the_store_and_a_mistyped_one_is_not() {
        let code = OptInCode::generate(6);
        let step = walk(new_caller(), &["1", "1", code.as_str()]);
        assert!(matches!(&step, Step::Perform(_, Effect::CheckCode(c)) if *c == code));

        let mut typo = code.as_str().as_bytes().to_vec();
        typo[2] = if typo[2] == b'9' { b'0' } else { typo[2] + 1 };
        let typo = String::from_utf8(typo).unwrap();
        let session = shown(walk(new_caller(), &["1", "1", &typo]));
        assert_eq!(session.place, Place::Code(CodeNote::Mistyped));
        assert_eq!(session.code, None);
    }

    #[test]
    fn a_refused_code_asks_again_and_can_be_skipped() {
        let Step::Perform(session, _) = walk(new_caller(), &["1", "1", "5724"]) else {
            panic!()
        };
        let session = shown(after(session, Outcome::CodeRefused(CodeRefusal::Expired)));
        assert_eq!(session.place, Place::Code(CodeNote::Expired));
        assert_eq!(shown(step(session, "0", 1)).place, Place::NoticeStored);
    }

    #[test]
    fn declining_ends_the_session_without_touching_the_store() {
        let step = walk(new_caller(), &["3", "1", "0", "1", "1", "2"]);
        assert_eq!(
            step,
            Step::End(Ending::Declined, Language::English, Script::Native)
        );
    }

    #[test]
    fn members_see_their_menu_in_their_language_and_can_stop() {
        let member = shown(start(
            Caller::Member {
                code: "5724".into(),
            },
            Some((Language::Hindi, Script::Roman)),
            3,
            None,
            None,
        ));
        assert_eq!(member.place, Place::Menu);
        assert_eq!(member.script, Script::Roman);
        assert!(matches!(
            step(member.clone(), "2", 1),
            Step::Perform(_, Effect::OptOut)
        ));
        assert_eq!(shown(step(member.clone(), "1", 1)).place, Place::Tip);
        assert!(matches!(
            step(member.clone(), "3", 1),
            Step::Show(Session {
                place: Place::Help,
                ..
            })
        ));
        let Step::Perform(s, Effect::SaveLanguage) = walk(member, &["4", "3"]) else {
            panic!()
        };
        assert_eq!(s.language, Language::English);
    }

    #[test]
    fn a_member_switches_tips_to_calls_and_back_with_7_only_where_calls_can_be_placed() {
        let member = |voice| {
            shown(start(
                Caller::Member {
                    code: "5724".into(),
                },
                Some((Language::Hindi, Script::Native)),
                0,
                None,
                voice,
            ))
        };
        let Step::Perform(waiting, Effect::SetMedium(true)) = step(member(Some(false)), "7", 1)
        else {
            panic!("7 on SMS asks for calls")
        };
        assert_eq!(
            after(waiting, Outcome::MediumSet(true)),
            Step::End(Ending::Medium(true), Language::Hindi, Script::Native)
        );
        assert!(matches!(
            step(member(Some(true)), "7", 1),
            Step::Perform(_, Effect::SetMedium(false))
        ));
        // No calls here: 7 is no choice.
        assert!(shown(step(member(None), "7", 1)).hint);
        // Nor for someone who is no member.
        assert!(shown(step(shown(step(new_caller(), "1", 1)), "7", 1)).hint);
    }

    #[test]
    fn opted_out_people_who_come_back_confirm_consent_again_without_a_code() {
        let back = shown(start(
            Caller::OptedOut {
                code: "5724".into(),
            },
            Some((Language::English, Script::Native)),
            0,
            None,
            None,
        ));
        assert_eq!(shown(step(back, "1", 1)).place, Place::NoticeStored);
    }

    #[test]
    fn my_data_offers_erasure_with_a_confirmation() {
        let member = shown(start(
            Caller::Member {
                code: "5724".into(),
            },
            Some((Language::English, Script::Native)),
            0,
            None,
            None,
        ));
        let Step::Perform(s, Effect::LoadMyData) = step(member, "5", 1) else {
            panic!()
        };
        let data = MyData {
            masked: "+91******10".into(),
            language: Language::English,
            area: None,
            joined: "28-11-2026".into(),
        };
        let s = shown(after(s, Outcome::MyData(data)));
        let confirm = shown(step(s, "1", 1));
        assert_eq!(confirm.place, Place::EraseConfirm);
        assert_eq!(shown(step(confirm.clone(), "2", 1)).place, Place::Menu);
        assert!(matches!(
            step(confirm, "1", 1),
            Step::Perform(_, Effect::Erase)
        ));
    }

    #[test]
    fn invalid_input_reshows_the_screen_with_a_hint_and_the_third_ends() {
        let s = new_caller();
        let once = shown(step(s, "7", 1));
        assert_eq!(once.place, Place::Language);
        assert!(once.hint);
        let twice = shown(step(once, "*", 1));
        assert_eq!(twice.strikes, 2);
        assert_eq!(
            step(twice.clone(), "😀", 1),
            Step::End(Ending::TooManyTries, Language::Hindi, Script::Native)
        );
        // A valid input forgives earlier mistakes.
        let forgiven = shown(step(twice, "3", 1));
        assert_eq!((forgiven.strikes, forgiven.hint), (0, false));
    }

    #[test]
    fn hostile_inputs_are_just_invalid() {
        let long = "9".repeat(500);
        for input in ["", " ", "1*2", "١", "1\u{0}", long.as_str(), "<script>"] {
            let s = shown(step(new_caller(), input, 1));
            assert_eq!(s.place, Place::Language, "{input:?}");
            assert!(s.hint);
        }
    }

    #[test]
    fn long_places_page_forward_with_98_and_back_with_0() {
        let tip = Session {
            place: Place::Tip,
            ..shown(step(new_caller(), "1", 1))
        };
        let second = shown(step(tip.clone(), "98", 3));
        assert_eq!(second.page, 1);
        assert_eq!(shown(step(second.clone(), "0", 3)).page, 0);
        let last = shown(step(second, "98", 3));
        assert_eq!(last.page, 2);
        // On the last page "98" is not an option; "0" goes back a page, and from the first
        // page back to the menu.
        assert!(shown(step(last.clone(), "98", 3)).hint);
        assert_eq!(shown(step(last, "0", 3)).page, 1);
        assert_eq!(shown(step(tip.clone(), "0", 3)).place, Place::Menu);
        // A one-page place does not page at all.
        assert!(shown(step(tip, "98", 1)).hint);
    }

    #[test]
    fn a_dropped_join_can_be_continued_or_started_over() {
        let saved = shown(walk(new_caller(), &["3", "1", "0", "1"]));
        assert_eq!(saved.place, Place::NoticePolice);
        let offer = shown(start(Caller::New, None, 0, Some(saved.clone()), None));
        assert_eq!(offer.place, Place::Resume);
        let resumed = shown(step(offer.clone(), "1", 1));
        assert_eq!(resumed.place, Place::NoticePolice);
        assert_eq!(resumed.language, Language::English);
        let over = shown(step(offer, "2", 1));
        assert_eq!(over.place, Place::Language);
        assert!(over.resumable.is_none());
    }

    #[test]
    fn anyone_reports_a_number_last_after_how_it_came_and_what_it_was() {
        let member = shown(start(
            Caller::Member {
                code: "5724".into(),
            },
            Some((Language::English, Script::Native)),
            0,
            None,
            None,
        ));
        for caller in [new_caller(), member] {
            let at_menu = if caller.place == Place::Language {
                shown(step(caller, "3", 1))
            } else {
                caller
            };
            let step = walk(at_menu, &["6", "3", "4", "98765 43210"]);
            let Step::Perform(session, Effect::Report(typed)) = step else {
                panic!("{step:?}")
            };
            assert_eq!(typed, "98765 43210");
            assert_eq!(session.report, (Some(Medium::Whatsapp), Some(Kind::Threat)));
            assert_eq!(
                after(session, Outcome::Reported),
                Step::End(Ending::Reported, Language::English, Script::Native)
            );
        }
    }

    #[test]
    fn a_report_goes_back_a_screen_with_0_and_an_unreadable_number_is_asked_again() {
        let menu = shown(step(new_caller(), "1", 1));
        let kind = shown(walk(menu.clone(), &["6", "1"]));
        assert_eq!(kind.place, Place::ReportKind);
        assert_eq!(shown(step(kind.clone(), "0", 1)).place, Place::ReportMedium);
        assert_eq!(shown(walk(menu, &["6", "0"])).place, Place::Menu);
        assert!(shown(step(kind.clone(), "6", 1)).hint);
        let number = shown(step(kind, "5", 1));
        assert_eq!(number.place, Place::ReportNumber(false));
        assert_eq!(number.report, (Some(Medium::Call), Some(Kind::Other)));
        assert_eq!(shown(step(number.clone(), "0", 1)).place, Place::ReportKind);
        // What cannot be a number is refused here; a number of the right shape that is no
        // mobile number is the store's edge to refuse. Both count, and the third ends it.
        let session = shown(step(number, "12345", 1));
        assert_eq!(
            (session.place.clone(), session.strikes),
            (Place::ReportNumber(true), 1)
        );
        let Step::Perform(s, Effect::Report(_)) = step(session, "+91 12345 67890", 1) else {
            panic!()
        };
        let session = shown(after(s, Outcome::ReportBadNumber));
        assert_eq!(
            (session.place.clone(), session.strikes),
            (Place::ReportNumber(true), 2)
        );
        assert!(matches!(
            step(session, "98*76543210", 1),
            Step::End(Ending::TooManyTries, ..)
        ));
    }

    #[test]
    fn a_session_stored_before_reports_existed_still_reads() {
        let s = shown(walk(new_caller(), &["2", "1"]));
        let mut json: serde_json::Value = serde_json::to_value(&s).unwrap();
        json.as_object_mut().unwrap().remove("report");
        assert_eq!(serde_json::from_value::<Session>(json).unwrap(), s);
    }

    #[test]
    fn sessions_survive_a_round_trip_through_storage() {
        let s = shown(walk(new_caller(), &["2", "1"]));
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<Session>(&json).unwrap(), s);
    }
}
