//! What a message is and where it is: its kind (which decides its priority and whether a STOP
//! stops it), its status and how delivery reports move it, and a message as it is queued.

use chrono::{DateTime, Utc};

use crate::encoding::Encoding;
use crate::enrollment::Language;
use crate::privacy::SealedPhone;
use crate::providers::DeliveryStatus;

/// Why a message is sent; decides its priority and whether a STOP stops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundKind {
    /// Answers the number's own message (sent even to a suppressed number: they just wrote).
    Reply,
    /// Confirms a STOP or DELETE: sent although the number is now suppressed, never cancelled.
    Confirmation,
    /// Asks an invited villager for consent.
    Invite,
    /// A broadcast; goes after everything else.
    Bulk,
    /// A broadcast tip as a phone call, to a member who chose voice: like `Bulk` it goes after
    /// everything else, inside the sending window, and a STOP stops it.
    Call,
    /// A call a missed call asked for (today's tip, or the consent notice for someone who is no
    /// member): it answers the number's own call, like a reply.
    CallBack,
}

impl OutboundKind {
    /// How the store spells it.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Confirmation => "confirmation",
            Self::Invite => "invite",
            Self::Bulk => "bulk",
            Self::Call => "call",
            Self::CallBack => "call_back",
        }
    }

    pub fn parse(tag: &str) -> Option<Self> {
        [
            Self::Reply,
            Self::Confirmation,
            Self::Invite,
            Self::Bulk,
            Self::Call,
            Self::CallBack,
        ]
        .into_iter()
        .find(|kind| kind.tag() == tag)
    }

    /// Lower goes first: replies ahead of bulk sends.
    pub fn priority(self) -> i64 {
        match self {
            Self::Bulk | Self::Call => 1,
            _ => 0,
        }
    }

    /// Whether the number's suppression (opt-out, erasure) stops this message at send time.
    pub fn checks_suppression(self) -> bool {
        matches!(self, Self::Invite | Self::Bulk | Self::Call)
    }

    /// Whether this is a phone call rather than an SMS.
    pub fn is_call(self) -> bool {
        matches!(self, Self::Call | Self::CallBack)
    }

    /// Whether it leaves only inside the campaign's sending window (a broadcast).
    pub fn keeps_to_window(self) -> bool {
        matches!(self, Self::Bulk | Self::Call)
    }
}

/// Where a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxStatus {
    Queued,
    Sending,
    Sent,
    Delivered,
    Failed,
    /// Claimed, then its sender vanished (a crash) before recording: settled by delivery
    /// reports, never resent.
    Unknown,
    /// Stopped before sending: the number opted out or was erased.
    Suppressed,
    /// Not sent in time.
    Expired,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
            Self::Suppressed => "suppressed",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Queued,
            Self::Sending,
            Self::Sent,
            Self::Delivered,
            Self::Failed,
            Self::Unknown,
            Self::Suppressed,
            Self::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Delivered | Self::Failed | Self::Suppressed | Self::Expired
        )
    }

    fn rank(self) -> u8 {
        match self {
            Self::Queued => 0,
            Self::Sending | Self::Unknown => 1,
            Self::Sent => 2,
            _ => 3,
        }
    }

    /// The status an aggregator's delivery report names.
    pub fn reported(status: DeliveryStatus) -> Self {
        match status {
            DeliveryStatus::Queued => Self::Queued,
            DeliveryStatus::Sent => Self::Sent,
            DeliveryStatus::Delivered => Self::Delivered,
            DeliveryStatus::Failed => Self::Failed,
        }
    }

    /// The status after a delivery report, if it moves the message forward. A final state never
    /// moves; a late or out-of-order report never moves a message back. A message whose fate
    /// was unknown is at least sent once the aggregator reports on it at all.
    pub fn after_report(self, reported: OutboxStatus) -> Option<OutboxStatus> {
        if self.is_final() {
            return None;
        }
        let reported = match (self, reported) {
            (Self::Unknown | Self::Sending, Self::Queued) => Self::Sent,
            (_, reported) => reported,
        };
        (reported.rank() > self.rank()).then_some(reported)
    }
}

/// A message to queue. The recipient is sealed; `recipient_tag` (the vault's consent tag) lets a
/// STOP find what is still queued for the number.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    pub channel: String,
    pub kind: OutboundKind,
    pub recipient_tag: [u8; 32],
    pub phone: SealedPhone,
    pub person_id: Option<i64>,
    pub broadcast_id: Option<i64>,
    pub body: String,
    pub encoding: Encoding,
    pub parts: usize,
    pub dlt_template_id: Option<String>,
    pub not_before: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    /// A call's recording: the tip it plays (none for the consent notice) and its language.
    pub call: Option<CallPlays>,
}

/// What a call plays: a tip's recording, or (`tip: None`) the consent notice, in a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallPlays {
    pub tip: Option<i64>,
    pub language: Language,
}

#[cfg(test)]
mod tests {
    use super::OutboxStatus::*;

    #[test]
    fn reports_move_messages_forward_only_and_never_out_of_a_final_state() {
        let cases = [
            (Sent, Delivered, Some(Delivered)),
            (Sent, Failed, Some(Failed)),
            (Sent, Queued, None),
            (Sent, Sent, None),
            (Delivered, Failed, None),
            (Delivered, Sent, None),
            (Failed, Delivered, None),
            (Suppressed, Delivered, None),
            (Expired, Sent, None),
            (Unknown, Queued, Some(Sent)),
            (Unknown, Delivered, Some(Delivered)),
            (Sending, Sent, Some(Sent)),
            (Queued, Sent, Some(Sent)),
        ];
        for (current, reported, expected) in cases {
            assert_eq!(
                current.after_report(reported),
                expected,
                "{current:?} + {reported:?}"
            );
        }
    }
}
