//! USSD: a villager joins from any phone. The menu is a pure state machine ([`machine`]) rendered
//! by [`texts`]; [`hop`] is the edge that loads the session, performs the machine's effects
//! against the store, and saves what comes next.

mod hop;
pub mod machine;
pub mod texts;

pub use hop::{end_session, serve_hop, Context};

use crate::providers::HopInput;

/// How a hop relates to what the session has already seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The dial itself: show the first screen.
    First,
    /// A new input.
    Input(String),
    /// The aggregator repeating a hop already answered: answer the same again.
    Replay,
}

/// Works out the latest input. Africa's Talking sends every input so far joined by `*`; since a
/// person can type `*` inside an answer, the new input is what follows the path seen last time,
/// not whatever follows the last `*`.
pub fn classify(input: &HopInput, last: Option<&str>) -> Delivery {
    match input {
        HopInput::Path(path) => match last {
            None if path.is_empty() => Delivery::First,
            None => Delivery::Input(path.clone()),
            Some(prev) if prev == path => Delivery::Replay,
            Some("") => Delivery::Input(path.clone()),
            Some(prev) => match path
                .strip_prefix(prev)
                .and_then(|rest| rest.strip_prefix('*'))
            {
                Some(rest) => Delivery::Input(rest.to_string()),
                None => Delivery::Input(path.rsplit('*').next().unwrap_or_default().to_string()),
            },
        },
        HopInput::Latest { input, seq } => match (last, seq) {
            (Some(prev), Some(seq)) if *prev == seq.to_string() => Delivery::Replay,
            (None, _) if input.is_empty() => Delivery::First,
            _ => Delivery::Input(input.clone()),
        },
    }
}

/// What is remembered of a hop to recognise its retry.
pub fn input_marker(input: &HopInput) -> Option<String> {
    match input {
        HopInput::Path(path) => Some(path.clone()),
        HopInput::Latest { seq, .. } => seq.map(|seq| seq.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(p: &str) -> HopInput {
        HopInput::Path(p.into())
    }

    #[test]
    fn paths_yield_the_latest_input_even_with_a_star_inside_it() {
        assert_eq!(classify(&path(""), None), Delivery::First);
        assert_eq!(classify(&path("3"), None), Delivery::Input("3".into()));
        assert_eq!(
            classify(&path("3*1"), Some("3")),
            Delivery::Input("1".into())
        );
        assert_eq!(
            classify(&path("3*1*48*29"), Some("3*1")),
            Delivery::Input("48*29".into())
        );
        assert_eq!(classify(&path("3*1"), Some("3*1")), Delivery::Replay);
        assert_eq!(
            classify(&path("9*9"), Some("3*1")),
            Delivery::Input("9".into())
        );
    }

    #[test]
    fn the_hop_number_tells_a_retry_from_the_same_input_typed_again() {
        let hop = |input: &str, seq| HopInput::Latest {
            input: input.into(),
            seq,
        };
        assert_eq!(classify(&hop("", Some(1)), None), Delivery::First);
        assert_eq!(classify(&hop("1", Some(3)), Some("3")), Delivery::Replay);
        assert_eq!(
            classify(&hop("1", Some(4)), Some("3")),
            Delivery::Input("1".into())
        );
        assert_eq!(
            classify(&hop("1", None), Some("3")),
            Delivery::Input("1".into())
        );
    }
}
