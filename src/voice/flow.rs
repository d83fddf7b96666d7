//! What a tip call plays next, pure: the stage the flow URL names and the key pressed in, the
//! screen and (perhaps) a change to make out. No IO.

/// Where in the call a fetch of the flow comes from (the `at` of the flow URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The call was answered: the first fetch.
    Start,
    /// The key pressed after the consent notice.
    Consent,
    /// The key pressed after a tip (by its store id).
    Tip(i64),
}

/// What the caller hears next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// The consent notice, ending "press 1 to agree".
    Consent,
    /// A tip and the menu ("1 again, 2 next tip, 9 stop"); `joined` first says they joined.
    Tip { tip: i64, joined: bool },
    /// "You have joined" with no tip to play after it.
    Joined,
    /// "You will get no more calls", then hang up.
    Stopped,
    /// "Thank you", then hang up.
    Goodbye,
}

/// A change the key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// 1 after the consent notice: join, with tips by call.
    Join,
    /// 9 after a tip: stop every tip and call, as an SMS STOP does.
    Stop,
}

/// The next screen of a call that was placed to play `placed` (`None`: the consent notice),
/// from `stage` with `key` pressed. `playable` is the store ids of the tips that have a
/// recording in the call's language, in drip order; `today` is the one a new member hears.
pub fn next(
    placed: Option<i64>,
    stage: Stage,
    key: Option<&str>,
    playable: &[i64],
    today: Option<i64>,
) -> (Option<Effect>, Screen) {
    let tip = |tip: i64, joined: bool| Screen::Tip { tip, joined };
    match (stage, key) {
        (Stage::Start, _) => match placed {
            Some(placed) => (None, tip(placed, false)),
            None => (None, Screen::Consent),
        },
        (Stage::Consent, Some("1")) => {
            let screen = today.map_or(Screen::Joined, |today| tip(today, true));
            (Some(Effect::Join), screen)
        }
        (Stage::Consent, _) => (None, Screen::Goodbye),
        (Stage::Tip(current), Some("1")) => (None, tip(current, false)),
        (Stage::Tip(current), Some("2")) => {
            let after = playable
                .iter()
                .position(|&t| t == current)
                .map_or(0, |at| at + 1);
            match playable.get(after).or(playable.first()) {
                Some(&next) => (None, tip(next, false)),
                None => (None, Screen::Goodbye),
            }
        }
        (Stage::Tip(_), Some("9")) => (Some(Effect::Stop), Screen::Stopped),
        (Stage::Tip(_), _) => (None, Screen::Goodbye),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_key_leads_where_the_menu_says() {
        let playable = [3, 5, 8];
        let tip = |tip, joined| Screen::Tip { tip, joined };
        let cases = [
            (Some(5), Stage::Start, None, (None, tip(5, false))),
            (None, Stage::Start, None, (None, Screen::Consent)),
            (
                None,
                Stage::Consent,
                Some("1"),
                (Some(Effect::Join), tip(3, true)),
            ),
            (None, Stage::Consent, Some("2"), (None, Screen::Goodbye)),
            (None, Stage::Consent, None, (None, Screen::Goodbye)),
            (Some(5), Stage::Tip(5), Some("1"), (None, tip(5, false))),
            (Some(5), Stage::Tip(5), Some("2"), (None, tip(8, false))),
            // After the last tip, the first again; a tip no longer playable leads to the first.
            (Some(5), Stage::Tip(8), Some("2"), (None, tip(3, false))),
            (Some(5), Stage::Tip(4), Some("2"), (None, tip(3, false))),
            (
                Some(5),
                Stage::Tip(5),
                Some("9"),
                (Some(Effect::Stop), Screen::Stopped),
            ),
            (Some(5), Stage::Tip(5), Some("7"), (None, Screen::Goodbye)),
            (Some(5), Stage::Tip(5), None, (None, Screen::Goodbye)),
        ];
        for (placed, stage, key, expected) in cases {
            assert_eq!(
                next(placed, stage, key, &playable, Some(3)),
                expected,
                "{stage:?} {key:?}"
            );
        }
        assert_eq!(
            next(None, Stage::Consent, Some("1"), &[], None),
            (Some(Effect::Join), Screen::Joined)
        );
        assert_eq!(
            next(Some(5), Stage::Tip(5), Some("2"), &[], None),
            (None, Screen::Goodbye)
        );
    }
}
