//! Africa's Talking (PROTOCOLS.md §1): form-encoded USSD hops whose `text` holds every input so
//! far joined by `*`, replied to with `text/plain` starting `CON ` or `END `; inbound SMS
//! (`from`, `to`, `text`, `id`), delivery reports (`id`, `status`, `failureReason`), voice
//! callbacks for missed calls (rejected with `<Reject/>`), and the `version1/messaging` send API,
//! whose every recipient carries its own `statusCode`.

use std::collections::HashMap;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::form::{Fields, Names};
use super::{bounded, HopInput, UssdHop, UssdReply, UssdSessionEnd, WebhookError};
use super::{
    DeliveryReport, DeliveryStatus, InboundSms, MissedCall, OutboundSms, SendResult, WebhookRequest,
};
use super::{MAX_INPUT, MAX_MESSAGE_ID, MAX_PHONE_FIELD, MAX_SESSION_ID};

/// The public send API's origin.
const API: &str = "https://api.africastalking.com";

/// `channels.<name>.…` of an Africa's Talking channel, beyond what every channel takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfricasTalkingSettings {
    /// Origin of the send API; unset: the public one.
    pub base_url: Option<url::Url>,
    /// The account name.
    pub username: Option<String>,
    /// The account's API key.
    pub api_key: Option<SecretString>,
    /// Sender id or short code; unset: the account's default.
    pub from: Option<String>,
}

/// What a send needs, by key, and whether it was given. A channel used only for USSD needs
/// none of it.
pub fn needs_for_sending(settings: &AfricasTalkingSettings) -> Vec<(&'static str, bool)> {
    vec![
        ("username", settings.username.is_some()),
        ("api_key", settings.api_key.is_some()),
    ]
}

fn form(body: &[u8]) -> Result<HashMap<String, String>, WebhookError> {
    serde_urlencoded::from_bytes(body).map_err(|err| WebhookError::Malformed(err.to_string()))
}

fn take(fields: &mut HashMap<String, String>, name: &'static str) -> Result<String, WebhookError> {
    fields.remove(name).ok_or(WebhookError::MissingField(name))
}

/// A USSD hop: the form in the body (see [`parse_ussd_hop`]).
pub fn read_ussd_hop(request: &WebhookRequest<'_>) -> Result<UssdHop, WebhookError> {
    parse_ussd_hop(request.body)
}

/// `sessionId`, `phoneNumber` and `text` are required (`text` is empty on the first hop);
/// `serviceCode` and `networkCode` are accepted and not needed.
pub fn parse_ussd_hop(body: &[u8]) -> Result<UssdHop, WebhookError> {
    let mut fields = form(body)?;
    let session_id = bounded(take(&mut fields, "sessionId")?, "sessionId", MAX_SESSION_ID)?;
    if session_id.trim().is_empty() {
        return Err(WebhookError::MissingField("sessionId"));
    }
    let phone = bounded(
        take(&mut fields, "phoneNumber")?,
        "phoneNumber",
        MAX_PHONE_FIELD,
    )?;
    let text = bounded(take(&mut fields, "text")?, "text", MAX_INPUT * 8)?;
    Ok(UssdHop {
        session_id,
        phone,
        input: HopInput::Path(text),
    })
}

/// The events callback at the end of a session.
pub fn read_ussd_end(request: &WebhookRequest<'_>) -> Result<UssdSessionEnd, WebhookError> {
    parse_ussd_end(request.body)
}

/// The end-of-session form: `sessionId` is required.
pub fn parse_ussd_end(body: &[u8]) -> Result<UssdSessionEnd, WebhookError> {
    let mut fields = form(body)?;
    let session_id = bounded(take(&mut fields, "sessionId")?, "sessionId", MAX_SESSION_ID)?;
    Ok(UssdSessionEnd { session_id })
}

/// `text/plain`: `CON ` and the screen while the session goes on, `END ` and the last screen.
pub fn render_ussd_reply(reply: &UssdReply) -> Response {
    let prefix = if reply.end { "END" } else { "CON" };
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{prefix} {}", reply.text),
    )
        .into_response()
}

/// An inbound SMS: `from`, `text` and `id` (the retry key); `to`, `date`, `linkId` and
/// `networkCode` are accepted.
pub fn read_sms(request: &WebhookRequest<'_>) -> Result<InboundSms, WebhookError> {
    Fields::body(request.body)?.sms(&Names {
        id: &["id"],
        from: &["from"],
        to: &["to"],
        text: &["text"],
    })
}

/// A voice callback: the call to the campaign's number, to be rejected unanswered.
pub fn read_missed_call(request: &WebhookRequest<'_>) -> Result<MissedCall, WebhookError> {
    Fields::body(request.body)?.call(&Names {
        id: &["sessionId", "id"],
        from: &["callerNumber", "from"],
        to: &["destinationNumber", "to"],
        text: &[],
    })
}

/// `Success` is delivered; `Sent`, `Submitted` and `Buffered` are on their way; `Rejected`,
/// `Failed` and `Expired` failed (blacklisted and inactive subscribers are opted out).
pub fn read_delivery(request: &WebhookRequest<'_>) -> Result<DeliveryReport, WebhookError> {
    let fields = Fields::body(request.body)?;
    let message_id = fields.required(&["id"], MAX_MESSAGE_ID)?;
    let status = match fields.required(&["status"], 32)?.as_str() {
        "Success" | "delivered" => DeliveryStatus::Delivered,
        "Sent" | "Submitted" | "Buffered" | "sent" => DeliveryStatus::Sent,
        "Rejected" | "Failed" | "Expired" | "failed" => DeliveryStatus::Failed,
        "queued" => DeliveryStatus::Queued,
        other => return Err(WebhookError::Malformed(format!("unknown status {other:?}"))),
    };
    let reason = fields.optional(&["failureReason"], 64)?;
    let opted_out = matches!(
        reason.as_deref(),
        Some("UserInBlackList" | "UserInBlacklist" | "UserNotSubscribedToProduct")
    );
    Ok(DeliveryReport {
        message_id,
        status,
        reason,
        opted_out,
        mitan_id: None,
    })
}

/// An inbound SMS or delivery report taken: an empty 200.
pub fn acknowledge() -> Response {
    StatusCode::OK.into_response()
}

/// Rejects the call, so the caller is not charged.
pub fn answer_missed_call() -> Response {
    (
        [(header::CONTENT_TYPE, "application/xml")],
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Reject/></Response>"#,
    )
        .into_response()
}

#[derive(Deserialize)]
struct SendBody {
    #[serde(rename = "SMSMessageData")]
    data: SendData,
}

#[derive(Deserialize)]
struct SendData {
    #[serde(rename = "Message", default)]
    message: String,
    #[serde(rename = "Recipients", default)]
    recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
struct Recipient {
    #[serde(rename = "statusCode")]
    status_code: u16,
    #[serde(default)]
    status: String,
    #[serde(rename = "messageId", default)]
    message_id: String,
}

/// `POST {base}/version1/messaging`. Success is 201 with a recipient whose `statusCode` is 100
/// (processed), 101 (sent) or 102 (queued); 201 with no recipients is a failure (a bad sender
/// id, say).
pub async fn send(
    client: &reqwest::Client,
    settings: &AfricasTalkingSettings,
    message: &OutboundSms<'_>,
) -> SendResult {
    let (Some(username), Some(key)) = (&settings.username, &settings.api_key) else {
        return SendResult::unconfigured("username and api_key");
    };
    let base = super::base_url(settings.base_url.as_ref(), Some(API)).unwrap_or_default();
    let mut form = vec![
        ("username", username.as_str()),
        ("to", message.to.e164()),
        ("message", message.text),
    ];
    if let Some(from) = &settings.from {
        form.push(("from", from.as_str()));
    }
    let request = client
        .post(format!("{base}/version1/messaging"))
        .header("apiKey", key.expose_secret())
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&form);
    let (status, body) = match super::exchange(request).await {
        Ok(answer) => answer,
        Err(failed) => return failed,
    };
    if status != reqwest::StatusCode::CREATED {
        return SendResult::from_status(status, &body);
    }
    let Ok(parsed) = serde_json::from_str::<SendBody>(&body) else {
        return SendResult::permanent("201 without a readable body", false);
    };
    let Some(recipient) = parsed.data.recipients.first() else {
        return SendResult::permanent(format!("no recipients: {}", parsed.data.message), false);
    };
    match recipient.status_code {
        100..=102 if !recipient.message_id.is_empty() => SendResult::Accepted {
            provider_id: recipient.message_id.clone(),
        },
        // Insufficient balance, and the gateway's own troubles, pass.
        405 | 500..=599 => SendResult::transient(format!(
            "statusCode {} {}",
            recipient.status_code, recipient.status
        )),
        // Invalid number, unsupported number type, blacklisted, DND.
        code @ (403 | 404 | 406 | 409) => {
            SendResult::permanent(format!("statusCode {code} {}", recipient.status), true)
        }
        code => SendResult::permanent(format!("statusCode {code} {}", recipient.status), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hop_is_read_from_the_form_aggregators_send() {
        let body = b"sessionId=ATUid_1&serviceCode=%2A384%2A25%23&phoneNumber=%2B919876543210&networkCode=40445&text=1%2A2";
        let hop = parse_ussd_hop(body).unwrap();
        assert_eq!(hop.session_id, "ATUid_1");
        assert_eq!(hop.phone, "+919876543210");
        assert_eq!(hop.input, HopInput::Path("1*2".into()));
    }

    #[test]
    fn each_missing_field_is_named() {
        for (body, field) in [
            (&b"phoneNumber=%2B91&text="[..], "sessionId"),
            (b"sessionId=a&text=", "phoneNumber"),
            (b"sessionId=a&phoneNumber=%2B91", "text"),
            (b"sessionId=&phoneNumber=1&text=", "sessionId"),
        ] {
            assert_eq!(parse_ussd_hop(body), Err(WebhookError::MissingField(field)));
        }
        let long = format!("sessionId={}&phoneNumber=1&text=", "a".repeat(200));
        assert_eq!(
            parse_ussd_hop(long.as_bytes()),
            Err(WebhookError::TooLong("sessionId"))
        );
    }
}
