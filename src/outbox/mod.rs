//! The outbox: every outbound SMS is written to the store (in the same transaction as the state
//! change that caused it) and sent later by the [`Dispatcher`], so nothing is lost when an
//! aggregator is slow or down and nothing is sent twice.

mod dispatcher;

pub use dispatcher::{backoff, Dispatcher, Outcome};

use chrono::{DateTime, Duration, Utc};

use crate::app::AppState;
use crate::encoding::{gsm_friendly, is_gsm7, normalize, sms_cost};
use crate::privacy::Msisdn;
use crate::store::{NewOutbound, OutboundKind};

/// Marks `unknown` the messages whose sender went silent mid-send (its lease ran out): they are
/// never claimed again; delivery reports settle them. Returns how many.
pub async fn settle_stale_claims(state: &AppState, now: DateTime<Utc>) -> anyhow::Result<u64> {
    use anyhow::Context as _;
    let stale = state
        .store
        .expire_leases(now)
        .await
        .context("expiring stale leases")?;
    if stale > 0 {
        tracing::warn!(
            messages = stale,
            "messages claimed by a sender that stopped are now unknown; delivery reports will settle them"
        );
    }
    Ok(stale)
}

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

/// A message to `to` through `channel`, sealed, with its encoding and parts counted.
pub fn compose(
    state: &AppState,
    to: &Msisdn,
    channel: &str,
    kind: OutboundKind,
    text: &str,
    person_id: Option<i64>,
    now: DateTime<Utc>,
) -> NewOutbound {
    let body = wire_text(text);
    let cost = sms_cost(&body);
    let ttl = Duration::seconds(state.settings.outbound.reply_ttl_secs as i64);
    NewOutbound {
        channel: channel.to_string(),
        kind,
        recipient_tag: state.vault.consent_tag(to),
        phone: state.vault.seal(to),
        person_id,
        broadcast_id: None,
        body,
        encoding: cost.encoding,
        parts: cost.parts,
        dlt_template_id: None,
        not_before: now,
        expires_at: (kind != OutboundKind::Bulk).then(|| now + ttl),
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
