//! The USSD menu under any input: `ussd::classify` with any path, latest input and hop number
//! against any earlier marker, and `machine::step` from every place with any input, alone and
//! along random walks whose effects the store answers in any way it can.

use mitan::enrollment::{CodeRefusal, Language, OptInCode, Script};
use mitan::providers::HopInput;
use mitan::ussd::machine::{
    after, start, step, Caller, CodeNote, Effect, Ending, MyData, Outcome, Place, Session, Step,
    MAX_STRIKES,
};
use mitan::ussd::{classify, input_marker, Delivery};
use proptest::prelude::*;
use std::mem::discriminant;

/// USSD answers: menu choices, paging, codes, anything typed on a keypad, anything at all.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::sample::select(vec!["0", "1", "2", "3", "4", "5", "98", "99"])
            .prop_map(str::to_string),
        1 => "[ \t]{0,2}[0-9]{1,2}[ \t\r\n]{0,2}",
        2 => "[0-9*#]{0,12}",
        1 => "[0-9]{3,9}",
        1 => any::<String>(),
    ]
}

/// A path as Africa's Talking sends it: answers joined by `*`, answers that hold `*` too.
fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec("[0-9#]{0,4}|\\*", 0..8).prop_map(|parts| parts.join("*")),
        any::<String>(),
    ]
}

fn hop_input() -> impl Strategy<Value = HopInput> {
    prop_oneof![
        path().prop_map(HopInput::Path),
        (input(), proptest::option::of(any::<u64>()))
            .prop_map(|(input, seq)| HopInput::Latest { input, seq }),
    ]
}

fn language() -> impl Strategy<Value = (Language, Script)> {
    proptest::sample::select(vec![
        (Language::Hindi, Script::Native),
        (Language::Hindi, Script::Roman),
        (Language::Chhattisgarhi, Script::Native),
        (Language::Chhattisgarhi, Script::Roman),
        (Language::English, Script::Native),
    ])
}

fn caller() -> impl Strategy<Value = Caller> {
    prop_oneof![
        Just(Caller::New),
        "[0-9]{6}".prop_map(|code| Caller::Member { code }),
        "[0-9]{6}".prop_map(|code| Caller::OptedOut { code }),
    ]
}

fn my_data() -> impl Strategy<Value = MyData> {
    (language(), proptest::option::of("[a-zA-Z ]{0,20}")).prop_map(|((language, _), area)| MyData {
        masked: "+91******10".into(),
        language,
        area,
        joined: "28-11-2026".into(),
    })
}

/// Every place of the menu.
fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        Just(Place::Resume),
        Just(Place::Language),
        Just(Place::Menu),
        proptest::sample::select(vec![
            CodeNote::Ask,
            CodeNote::Mistyped,
            CodeNote::Unknown,
            CodeNote::Expired,
            CodeNote::UsedUp,
            CodeNote::Own,
        ])
        .prop_map(Place::Code),
        Just(Place::NoticeStored),
        Just(Place::NoticePolice),
        Just(Place::Consent),
        Just(Place::Tip),
        Just(Place::Help),
        my_data().prop_map(Place::MyData),
        Just(Place::NothingStored),
        Just(Place::EraseConfirm),
        Just(Place::ReportMedium),
        Just(Place::ReportKind),
        any::<bool>().prop_map(Place::ReportNumber),
    ]
}

/// A session the machine could have left at `place`: fewer strikes than end it, a page of
/// the place's `pages`.
fn session_and_pages() -> impl Strategy<Value = (Session, usize)> {
    let joining = (
        language(),
        place().prop_filter("joining", Place::is_joining),
    );
    (
        (caller(), language(), place(), 1..4usize),
        (0..MAX_STRIKES, any::<bool>(), any::<u16>(), any::<u8>()),
        proptest::option::of(joining),
        proptest::option::of(any::<bool>()),
    )
        .prop_map(
            |(
                (caller, (language, script), place, pages),
                (strikes, hint, tip, page),
                saved,
                voice,
            )| {
                let resumable = saved.map(|((language, script), place)| {
                    Box::new(Session {
                        language,
                        script,
                        caller: Caller::New,
                        place,
                        page: 0,
                        strikes: 0,
                        hint: false,
                        code: None,
                        tip,
                        resumable: None,
                        report: (None, None),
                        voice: None,
                    })
                });
                let session = Session {
                    language,
                    script,
                    caller,
                    place,
                    page: page % pages as u8,
                    strikes,
                    hint: hint && strikes > 0,
                    code: None,
                    tip,
                    resumable,
                    report: (None, None),
                    voice,
                };
                (session, pages)
            },
        )
}

/// What must hold of one step of the machine, whatever the input.
fn check_step(before: &Session, input: &str, pages: usize, next: &Step) -> Result<(), String> {
    let typed = input.trim();
    let fail = |what: &str| Err(format!("{what}: {typed:?} at {before:?} gave {next:?}"));
    match next {
        Step::Show(after) => {
            if after.strikes >= MAX_STRIKES {
                return fail("shown after too many strikes");
            }
            // Only a dropped session taken up again brings the caller it was saved with.
            if after.caller != before.caller && before.place != Place::Resume {
                return fail("the caller changed");
            }
            // A place's note (why a code was refused) may change without leaving it.
            let same_place = discriminant(&after.place) == discriminant(&before.place);
            if same_place && after.page as usize >= pages.max(1) {
                return fail("a page past the last");
            }
            if !same_place && after.page != 0 {
                return fail("a new place not on its first page");
            }
            if after.hint && after.strikes == 0 {
                return fail("a hint without a strike");
            }
            let speaks = (after.language, after.script) != (before.language, before.script);
            if speaks && !matches!(before.place, Place::Language | Place::Resume) {
                return fail("the language changed outside the language menu");
            }
        }
        Step::Perform(after, effect) => {
            // A reported number's mistakes add up across the store's answers; nothing else
            // keeps strikes past an effect.
            let reporting = matches!(effect, Effect::Report(_));
            if after.strikes != 0 && !reporting {
                return fail("an effect with strikes left");
            }
            let allowed = match effect {
                Effect::Join => before.place == Place::Consent && typed == "1",
                Effect::Erase => before.place == Place::EraseConfirm && typed == "1",
                Effect::OptOut => before.place == Place::Menu && before.is_member(),
                Effect::SaveLanguage => before.place == Place::Language && before.is_member(),
                Effect::LoadMyData => {
                    before.place == Place::Menu && !matches!(before.caller, Caller::New)
                }
                Effect::CheckCode(code) => {
                    matches!(before.place, Place::Code(_))
                        && OptInCode::parse(typed).as_ref() == Ok(code)
                }
                Effect::Report(number) => {
                    matches!(before.place, Place::ReportNumber(_))
                        && number == typed
                        && typed.chars().filter(char::is_ascii_digit).count() >= 10
                }
                // The other way than the member's tips come now, only where calls can be placed.
                Effect::SetMedium(voice) => {
                    before.place == Place::Menu
                        && before.is_member()
                        && typed == "7"
                        && before.voice == Some(!voice)
                }
            };
            if !allowed {
                return fail("an effect from the wrong place");
            }
        }
        Step::End(ending, language, script) => {
            if (*language, *script) != (before.language, before.script) {
                return fail("an ending in another language");
            }
            let allowed = match ending {
                Ending::TooManyTries => before.strikes + 1 >= MAX_STRIKES,
                Ending::Declined => before.place == Place::Consent && typed == "2",
                _ => false,
            };
            if !allowed {
                return fail("an ending the input cannot cause");
            }
        }
    }
    Ok(())
}

/// The store's possible answers to an effect, the `pick`th of them.
fn outcome(effect: &Effect, pick: usize) -> Outcome {
    let code = || "482913".to_string();
    let mut outcomes = match effect {
        Effect::CheckCode(code) => vec![
            Outcome::CodeAccepted(code.clone()),
            Outcome::CodeRefused(CodeRefusal::Unknown),
            Outcome::CodeRefused(CodeRefusal::Expired),
            Outcome::CodeRefused(CodeRefusal::UsedUp),
            Outcome::CodeRefused(CodeRefusal::OwnNumber),
        ],
        Effect::Join => vec![
            Outcome::Joined { code: code() },
            Outcome::Rejoined { code: code() },
            Outcome::AlreadyMember { code: code() },
        ],
        Effect::OptOut => vec![Outcome::OptedOut],
        Effect::Erase => vec![Outcome::Erased],
        Effect::SaveLanguage => vec![Outcome::LanguageSaved],
        Effect::LoadMyData => vec![Outcome::NotRegistered],
        Effect::Report(_) => vec![Outcome::Reported, Outcome::ReportBadNumber],
        Effect::SetMedium(voice) => vec![Outcome::MediumSet(*voice)],
    };
    if let Effect::LoadMyData = effect {
        outcomes.push(Outcome::MyData(MyData {
            masked: "+91******10".into(),
            language: Language::English,
            area: None,
            joined: "28-11-2026".into(),
        }));
    }
    outcomes.swap_remove(pick % outcomes.len())
}

/// How many pages each place takes in one walk: a fixed draw per place kind.
fn pages_of(place: &Place, pages: &[usize; 15]) -> usize {
    let index = match place {
        Place::Resume => 0,
        Place::Language => 1,
        Place::Menu => 2,
        Place::Code(_) => 3,
        Place::NoticeStored => 4,
        Place::NoticePolice => 5,
        Place::Consent => 6,
        Place::Tip => 7,
        Place::Help => 8,
        Place::MyData(_) => 9,
        Place::NothingStored => 10,
        Place::EraseConfirm => 11,
        Place::ReportMedium => 12,
        Place::ReportKind => 13,
        Place::ReportNumber(_) => 14,
    };
    pages[index]
}

proptest! {
    #![proptest_config(super::config(2048))]

    #[test]
    fn classify_finds_the_latest_input_in_any_path_and_any_hop(
        input in hop_input(),
        last in proptest::option::of(prop_oneof![path(), "[0-9]{1,3}"]),
    ) {
        let delivery = classify(&input, last.as_deref());
        match (&input, &delivery) {
            (HopInput::Path(path), Delivery::First) => {
                prop_assert!(path.is_empty() && last.is_none());
            }
            (HopInput::Path(path), Delivery::Replay) => {
                prop_assert_eq!(Some(path.as_str()), last.as_deref());
            }
            (HopInput::Path(path), Delivery::Input(new)) => {
                prop_assert!(path.ends_with(new.as_str()), "{new:?} is not the end of {path:?}");
                prop_assert_ne!(Some(path.as_str()), last.as_deref());
            }
            (HopInput::Latest { input: sent, seq }, Delivery::Input(new)) => {
                prop_assert_eq!(sent, new);
                prop_assert!(seq.is_none() || seq.map(|s| s.to_string()) != last);
            }
            (HopInput::Latest { seq, .. }, Delivery::Replay) => {
                prop_assert_eq!(seq.map(|s| s.to_string()), last);
            }
            (HopInput::Latest { input: sent, .. }, Delivery::First) => {
                prop_assert!(sent.is_empty() && last.is_none());
            }
        }
    }

    #[test]
    fn a_path_that_extends_the_last_one_yields_exactly_what_was_added(
        // After the dial the last path is empty, and the next is the input alone (no `*`).
        before in path().prop_filter("a path after the dial", |p| !p.is_empty()),
        added in "[0-9*#]{0,8}",
    ) {
        let path = format!("{before}*{added}");
        prop_assert_eq!(
            classify(&HopInput::Path(path), Some(before.as_str())),
            Delivery::Input(added)
        );
    }

    #[test]
    fn a_hop_sent_again_after_its_marker_is_recorded_is_a_replay(input in hop_input()) {
        if let Some(marker) = input_marker(&input) {
            prop_assert_eq!(classify(&input, Some(&marker)), Delivery::Replay);
        }
    }

    #[test]
    fn any_input_at_any_place_keeps_the_menu_s_rules(
        (session, pages) in session_and_pages(),
        input in input(),
    ) {
        let next = step(session.clone(), &input, pages);
        prop_assert_eq!(&next, &step(session.clone(), input.trim(), pages), "trimmed");
        if let Err(broken) = check_step(&session, &input, pages, &next) {
            return Err(TestCaseError::fail(broken));
        }
    }

}

proptest! {
    #![proptest_config(super::config(1024))]

    #[test]
    fn a_random_walk_through_the_menu_keeps_its_rules_until_it_ends(
        caller in caller(),
        known in proptest::option::of(language()),
        voice in proptest::option::of(any::<bool>()),
        pages in proptest::array::uniform15(1..4usize),
        moves in proptest::collection::vec((input(), any::<usize>()), 1..40),
    ) {
        let Step::Show(mut session) = start(caller, known, 0, None, voice) else {
            return Err(TestCaseError::fail("the first screen is a screen"));
        };
        for (input, pick) in moves {
            let count = pages_of(&session.place, &pages);
            let mut next = step(session.clone(), &input, count);
            if let Err(broken) = check_step(&session, &input, count, &next) {
                return Err(TestCaseError::fail(broken));
            }
            let mut effects = 0;
            while let Step::Perform(waiting, effect) = next {
                effects += 1;
                prop_assert!(effects == 1, "one input, one effect");
                let answer = outcome(&effect, pick);
                let joins = matches!(answer, Outcome::Joined { .. } | Outcome::Rejoined { .. });
                next = after(waiting, answer);
                if joins {
                    let ended = matches!(
                        next,
                        Step::End(Ending::Joined { .. } | Ending::Rejoined { .. }, ..)
                    );
                    prop_assert!(ended, "a join that did not end the session: {:?}", next);
                }
                if let Step::Show(shown) = &next {
                    prop_assert!(shown.strikes < MAX_STRIKES);
                }
            }
            match next {
                Step::Show(shown) => session = shown,
                Step::End(..) => break,
                Step::Perform(..) => unreachable!("performed above"),
            }
        }
    }
}
