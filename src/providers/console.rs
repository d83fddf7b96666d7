//! The development channel: messages are printed (to the log, number masked) and recorded in
//! memory, for `mitan simulate` and tests; nothing leaves the machine.

use std::sync::{Arc, Mutex};

use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{OutboundSms, SendResult};

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
