//! The outbox: every outbound SMS is written to the store (in the same transaction as the state
//! change that caused it) and sent later by the dispatcher (`crate::dispatcher`), so nothing is
//! lost when an aggregator is slow or down and nothing is sent twice. This module holds the
//! rules, pure: what a message is and where it is ([`OutboxStatus`], how delivery reports move
//! it), how it is composed, and what its send's answer makes of it ([`settle`]).

mod calls;
mod settle;
mod status;

pub use calls::{settle_call, CallRetries, CallSettled};
pub use settle::{backoff, settle, Outcome, RetryPolicy, Settled};
pub use status::{CallPlays, NewOutbound, OutboundKind, OutboxStatus};

use chrono::{DateTime, Duration, Utc};

use crate::encoding::{gsm_friendly, is_gsm7, normalize, sms_cost};
use crate::privacy::{Msisdn, Vault};

/// The text as it is sent: English and Roman Hindi stay GSM-7 (smart quotes, dashes and the like
/// replaced by plain ones); anything that needs UCS-2 anyway keeps its characters, in NFC.
pub fn wire_text(text: &str) -> String {
    let friendly = gsm_friendly(text);
    if is_gsm7(&friendly) {
        friendly
    } else {
        normalize(text)
    }
}

/// Makes messages ready to queue: sealed for their recipient, with a lifetime for replies.
#[derive(Clone, Copy)]
pub struct Composer<'a> {
    pub vault: &'a Vault,
    /// A reply not sent within this long is dropped (`outbound.reply_ttl_secs`).
    pub reply_ttl: Duration,
}

impl<'a> Composer<'a> {
    /// Replies not sent within `reply_ttl_secs` are dropped.
    pub fn new(vault: &'a Vault, reply_ttl_secs: u64) -> Self {
        Self {
            vault,
            reply_ttl: Duration::seconds(reply_ttl_secs as i64),
        }
    }

    /// A message to `to` through `channel`, sealed, with its encoding and parts counted.
    pub fn compose(
        &self,
        to: &Msisdn,
        channel: &str,
        kind: OutboundKind,
        text: &str,
        person_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> NewOutbound {
        let (vault, ttl) = (self.vault, self.reply_ttl);
        let body = wire_text(text);
        let cost = sms_cost(&body);
        NewOutbound {
            channel: channel.to_string(),
            kind,
            recipient_tag: vault.consent_tag(to),
            phone: vault.seal(to),
            person_id,
            broadcast_id: None,
            body,
            encoding: cost.encoding,
            parts: cost.parts,
            dlt_template_id: None,
            not_before: now,
            expires_at: (kind != OutboundKind::Bulk).then(|| now + ttl),
            call: None,
        }
    }

    /// A call back to `to` (who gave a missed call) through `channel`, playing `plays`; it
    /// lives as long as a reply.
    pub fn call_back(
        &self,
        to: &Msisdn,
        channel: &str,
        plays: CallPlays,
        person_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> NewOutbound {
        let body = call_note(plays);
        NewOutbound {
            call: Some(plays),
            ..self.compose(to, channel, OutboundKind::CallBack, &body, person_id, now)
        }
    }
}

/// What the outbox shows as a call's body: what it plays (the recordings are the message).
pub fn call_note(plays: CallPlays) -> String {
    match plays.tip {
        Some(tip) => format!("call: tip {tip} ({})", plays.language.tag()),
        None => format!("call: consent notice ({})", plays.language.tag()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::Encoding;

    #[test]
    fn english_keeps_to_gsm7_and_hindi_keeps_its_letters() {
        let english = wire_text("Don’t share your OTP – ever “please”");
        assert_eq!(english, "Don't share your OTP - ever \"please\"");
        assert_eq!(sms_cost(&english).encoding, Encoding::Gsm7);
        let hindi = wire_text("OTP किसी को न बताएं – कभी नहीं");
        assert!(hindi.contains('–'));
        assert_eq!(sms_cost(&hindi).encoding, Encoding::Ucs2);
    }
}
