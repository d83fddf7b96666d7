//! The only code that knows an aggregator's wire format: one file per kind of channel, each
//! parsing its webhooks (and checking their signatures) into mitan's own types and rendering
//! replies back.

pub mod africastalking;
pub mod generic;

use serde::Deserialize;

/// The kinds of channel mitan can speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// Africa's Talking: form-encoded webhooks, `CON`/`END` USSD replies.
    Africastalking,
    /// mitan's own JSON contract, signed with `X-Mitan-Signature` (HMAC-SHA256).
    Generic,
    /// Development: the Africa's Talking dialect, unauthenticated, for `mitan simulate`.
    Console,
}

/// A webhook that cannot be used, phrased for the aggregator's operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    #[error("field `{0}` is too long")]
    TooLong(&'static str),
    #[error("malformed body: {0}")]
    Malformed(String),
    #[error("missing or invalid signature")]
    BadSignature,
    #[error("the channel's secret is not configured")]
    NoSecret,
}

/// Longest session id accepted (Africa's Talking ids are about 40 characters).
pub const MAX_SESSION_ID: usize = 128;
/// Longest phone field accepted; a longer one is a malformed request, not a number.
pub const MAX_PHONE_FIELD: usize = 128;
/// Longest USSD input kept (a handset sends at most 182 characters a hop).
pub const MAX_INPUT: usize = 1024;

/// What the user typed, as the aggregator reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HopInput {
    /// Every input of the session so far, joined by `*` (Africa's Talking).
    Path(String),
    /// Only the latest input, with an optional hop number that identifies retries (generic).
    Latest { input: String, seq: Option<u64> },
}

/// One USSD hop in mitan's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdHop {
    pub session_id: String,
    /// The phone as the aggregator wrote it; parsed (and never logged) by the caller.
    pub phone: String,
    pub input: HopInput,
}

/// The answer to a hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdReply {
    pub end: bool,
    pub text: String,
}

/// The aggregator's note that a session is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdSessionEnd {
    pub session_id: String,
}

fn bounded(value: String, field: &'static str, max: usize) -> Result<String, WebhookError> {
    if value.len() > max {
        Err(WebhookError::TooLong(field))
    } else {
        Ok(value)
    }
}
