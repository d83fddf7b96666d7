//! The development channel: it reads webhooks in the Africa's Talking dialect without any
//! authentication (for `mitan simulate`), and messages sent through it are printed (to the log,
//! number masked) and recorded in memory, for `mitan simulate` and tests; nothing leaves the
//! machine.

use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{OutboundSms, SendResult};

/// Webhooks and USSD replies exactly as Africa's Talking's.
pub use super::africastalking::{
    read_delivery, read_missed_call, read_sms, read_ussd_end, read_ussd_hop, render_ussd_reply,
};

/// A console channel has no settings of its own: nothing to authenticate, nowhere to send.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {}

/// An SMS or a delivery report taken: an empty 200.
pub fn acknowledge() -> Response {
    StatusCode::OK.into_response()
}

/// A missed call taken: an empty 200 (no handset is ringing to reject).
pub fn answer_missed_call() -> Response {
    StatusCode::OK.into_response()
}

/// `GET /webhooks/{console channel}/console/sent?to=…`: what was sent to one number, oldest
/// first, for `mitan simulate --sms`. Console channels only (development).
#[derive(Debug, Serialize, Deserialize)]
pub struct Sent {
    pub messages: Vec<String>,
}

pub fn render_sent(messages: Vec<String>) -> Response {
    Json(Sent { messages }).into_response()
}

/// One message the console channel "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsoleMessage {
    pub channel: String,
    /// The recipient in E.164: kept only in this process's memory, never logged.
    pub to: String,
    pub text: String,
}

/// Everything sent through console channels, oldest first.
#[derive(Debug, Clone, Default)]
pub struct ConsoleLog(Arc<Mutex<Vec<ConsoleMessage>>>);

impl ConsoleLog {
    pub fn send(&self, channel: &str, message: &OutboundSms<'_>) -> SendResult {
        tracing::info!(
            channel,
            to = %message.to.masked(),
            parts = message.parts,
            "console SMS: {}",
            message.text
        );
        let mut sent = self.0.lock().expect("console log lock");
        sent.push(ConsoleMessage {
            channel: channel.to_string(),
            to: message.to.e164().to_string(),
            text: message.text.to_string(),
        });
        SendResult::Accepted {
            provider_id: format!("console-{}", message.id),
        }
    }

    /// The messages sent to `e164` since the log began.
    pub fn to(&self, e164: &str) -> Vec<String> {
        self.all()
            .into_iter()
            .filter(|m| m.to == e164)
            .map(|m| m.text)
            .collect()
    }

    pub fn all(&self) -> Vec<ConsoleMessage> {
        self.0.lock().expect("console log lock").clone()
    }
}
