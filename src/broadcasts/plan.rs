//! What a broadcast is: who it reaches (a [`Segment`]), what it says ([`Content`]), and what a
//! dry run tells before anything is queued ([`Estimate`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::content::TextKey;
use crate::enrollment::{Language, RecruiterKind};

/// Who a broadcast reaches: active people matching every non-empty criterion. An empty segment
/// means everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segment {
    /// People in any of these areas, or in an area inside one (a district takes its thanas and
    /// villages).
    pub areas: Vec<i64>,
    pub languages: Vec<Language>,
    /// People brought in by a recruiter of one of these kinds.
    pub recruiter_kinds: Vec<RecruiterKind>,
    pub joined_after: Option<DateTime<Utc>>,
    pub joined_before: Option<DateTime<Utc>>,
}

impl Segment {
    pub fn is_everyone(&self) -> bool {
        *self == Segment::default()
    }
}

/// What a broadcast says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// One tip, in each person's language and script.
    Tip(i64),
    /// Each person's next unseen active tip, in the library's order.
    Drip,
    /// A text written for this broadcast, per language and script (checked like a tip's).
    Custom(BTreeMap<TextKey, String>),
}

/// Why a planned recipient gets nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The frequency cap: enough tips this week.
    Capped,
    /// A drip with no unseen tip left for this person.
    SeenAll,
    /// The content has no text in the person's language and script, nor a fallback.
    NoText,
}

/// A dry run's answer: who would get what, and what it would cost.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimate {
    /// People the segment selects.
    pub recipients: u64,
    /// Of them, those who would get a message.
    pub messages: u64,
    pub capped: u64,
    pub seen_all: u64,
    pub no_text: u64,
    /// SMS parts all messages together cost.
    pub parts: u64,
    /// `parts` times `campaign.price_per_sms_part`.
    pub cost: f64,
}

impl Estimate {
    /// Adds `count` people who would get a text of `parts` parts.
    pub fn add_messages(&mut self, count: u64, parts: u64) {
        self.recipients += count;
        self.messages += count;
        self.parts += count * parts;
    }

    pub fn add_skipped(&mut self, count: u64, why: Skip) {
        self.recipients += count;
        match why {
            Skip::Capped => self.capped += count,
            Skip::SeenAll => self.seen_all += count,
            Skip::NoText => self.no_text += count,
        }
    }

    pub fn priced(mut self, price_per_part: f64) -> Self {
        self.cost = (self.parts as f64 * price_per_part * 100.0).round() / 100.0;
        self
    }
}

/// What an admin made of a broadcast: going ahead, held, or called off for good.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BroadcastStatus {
    Active,
    Paused,
    Cancelled,
}

impl BroadcastStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Active, Self::Paused, Self::Cancelled]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_estimate_counts_parts_per_message_and_prices_them() {
        let mut estimate = Estimate::default();
        estimate.add_messages(1000, 2); // Devanagari
        estimate.add_messages(500, 1); // English
        estimate.add_skipped(30, Skip::Capped);
        let estimate = estimate.priced(0.15);
        assert_eq!(estimate.recipients, 1530);
        assert_eq!(estimate.messages, 1500);
        assert_eq!(estimate.parts, 2500);
        assert_eq!(estimate.capped, 30);
        assert_eq!(estimate.cost, 375.0);
    }

    #[test]
    fn an_empty_segment_is_everyone() {
        assert!(Segment::default().is_everyone());
        let hindi = Segment {
            languages: vec![Language::Hindi],
            ..Segment::default()
        };
        assert!(!hindi.is_everyone());
    }
}
