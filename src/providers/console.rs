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

/// A console channel can always send: it needs nothing.
pub fn needs_for_sending(_: &ConsoleSettings) -> Vec<(&'static str, bool)> {
    Vec::new()
}

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

#[cfg(test)]
mod tests {
    use super::super::testing::{channel_settings, Arrived};
    use super::super::{
        Channel, DeliveryStatus, HopInput, InboundSms, MissedCall, ProviderSettings, WebhookError,
    };
    use super::ConsoleSettings;

    #[test]
    fn a_console_channel_reads_africa_s_talking_s_dialect_unauthenticated() {
        let settings = channel_settings(ProviderSettings::Console(ConsoleSettings {}));
        let channel = Channel {
            name: "console",
            settings: &settings,
            public_url: "http://127.0.0.1:8080",
        };
        let sms = Arrived::form(
            "/webhooks/console/sms",
            &[("from", "+919876543210"), ("text", "HELP"), ("id", "SIM_1")],
        );
        assert_eq!(
            super::super::read_sms(&channel, &sms.request()),
            Ok(InboundSms {
                message_id: Some("SIM_1".into()),
                from: "+919876543210".into(),
                to: None,
                text: "HELP".into(),
            })
        );
        let call = Arrived::form(
            "/webhooks/console/missed-call",
            &[("callerNumber", "+919876543210"), ("sessionId", "v1")],
        );
        assert_eq!(
            super::super::read_missed_call(&channel, &call.request()),
            Ok(MissedCall {
                call_id: Some("v1".into()),
                from: "+919876543210".into(),
                to: None,
            })
        );
        let report = Arrived::form(
            "/webhooks/console/delivery",
            &[("id", "console-7"), ("status", "Success")],
        );
        let report = super::super::read_delivery(&channel, &report.request()).unwrap();
        assert_eq!(
            (report.message_id.as_str(), report.status),
            ("console-7", DeliveryStatus::Delivered)
        );
        let hop = Arrived::form(
            "/webhooks/console/ussd",
            &[
                ("sessionId", "SIM_2"),
                ("phoneNumber", "+919876543210"),
                ("text", "1"),
            ],
        );
        assert_eq!(
            super::super::read_ussd_hop(&channel, &hop.request()).map(|hop| hop.input),
            Ok(HopInput::Path("1".into()))
        );
        let end = Arrived::form("/webhooks/console/ussd/end", &[("status", "Success")]);
        assert_eq!(
            super::super::read_ussd_end(&channel, &end.request()),
            Err(WebhookError::MissingField("sessionId"))
        );
    }
}
