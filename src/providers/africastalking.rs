//! Africa's Talking: form-encoded USSD hops whose `text` holds every input so
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

/// What a handset shows of a hop's answer, read back as Africa's Talking's gateway does (for
/// `mitan simulate`); `None` when the body is not a USSD reply.
pub fn read_ussd_reply(body: &str) -> Option<UssdReply> {
    let (end, text) = match body.split_at_checked(4)? {
        ("CON ", text) => (false, text),
        ("END ", text) => (true, text),
        _ => return None,
    };
    Some(UssdReply {
        end,
        text: text.to_string(),
    })
}

/// A hop as Africa's Talking posts it, for a handset dialling `service_code` (for
/// `mitan simulate`): `text` is every input so far joined by `*`.
pub fn hop_form<'a>(
    session_id: &'a str,
    service_code: &'a str,
    phone: &'a str,
    text: &'a str,
) -> [(&'static str, &'a str); 5] {
    [
        ("sessionId", session_id),
        ("serviceCode", service_code),
        ("phoneNumber", phone),
        ("networkCode", "99999"),
        ("text", text),
    ]
}

/// An inbound SMS as Africa's Talking posts it (for `mitan simulate`).
pub fn sms_form<'a>(
    id: &'a str,
    from: &'a str,
    to: &'a str,
    text: &'a str,
) -> [(&'static str, &'a str); 4] {
    [("from", from), ("to", to), ("text", text), ("id", id)]
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
    use super::super::testing::Arrived;
    use super::*;

    fn sms(id: Option<&str>, from: &str, to: Option<&str>, text: &str) -> InboundSms {
        InboundSms {
            message_id: id.map(str::to_string),
            from: from.into(),
            to: to.map(str::to_string),
            text: text.into(),
        }
    }

    #[test]
    fn an_inbound_sms_is_read_from_its_form() {
        let post = |fields| Arrived::form("/webhooks/africastalking/sms", fields);
        let cases = [
            (
                post(&[
                    ("from", "+919876543210"),
                    ("to", "56767"),
                    ("text", "JOIN 482918"),
                    ("id", "ATXid_1"),
                    ("date", "2026-11-02 10:00:00"),
                    ("linkId", "SampleLinkId123"),
                    ("networkCode", "40445"),
                ]),
                Ok(sms(
                    Some("ATXid_1"),
                    "+919876543210",
                    Some("56767"),
                    "JOIN 482918",
                )),
            ),
            (
                post(&[("from", "+919876543210"), ("text", ""), ("id", "ATXid_2")]),
                Ok(sms(Some("ATXid_2"), "+919876543210", None, "")),
            ),
            (
                post(&[("from", "+919876543210"), ("text", "STOP")]),
                Ok(sms(None, "+919876543210", None, "STOP")),
            ),
            (
                post(&[("from", "+919876543210"), ("id", "ATXid_3")]),
                Err(WebhookError::MissingField("text")),
            ),
            (
                post(&[("to", "56767"), ("text", "HELP")]),
                Err(WebhookError::MissingField("from")),
            ),
        ];
        for (arrived, read) in cases {
            assert_eq!(read_sms(&arrived.request()), read, "{arrived:?}");
        }
    }

    #[test]
    fn a_voice_callback_is_a_missed_call() {
        let post = |fields| Arrived::form("/webhooks/africastalking/missed-call", fields);
        let call = |id: Option<&str>, from: &str, to: Option<&str>| MissedCall {
            call_id: id.map(str::to_string),
            from: from.into(),
            to: to.map(str::to_string),
        };
        let cases = [
            (
                post(&[
                    ("isActive", "1"),
                    ("sessionId", "ATVId_1"),
                    ("direction", "Inbound"),
                    ("callerNumber", "+919876543210"),
                    ("destinationNumber", "+918047192000"),
                ]),
                Ok(call(
                    Some("ATVId_1"),
                    "+919876543210",
                    Some("+918047192000"),
                )),
            ),
            (
                post(&[
                    ("id", "v2"),
                    ("from", "+919876543210"),
                    ("to", "+918047192001"),
                ]),
                Ok(call(Some("v2"), "+919876543210", Some("+918047192001"))),
            ),
            (
                post(&[
                    ("sessionId", "ATVId_3"),
                    ("destinationNumber", "+918047192000"),
                ]),
                Err(WebhookError::MissingField("callerNumber")),
            ),
        ];
        for (arrived, read) in cases {
            assert_eq!(read_missed_call(&arrived.request()), read, "{arrived:?}");
        }
    }

    #[test]
    fn every_delivery_status_word_is_read_and_an_unknown_one_refused() {
        let report = |status, reason: Option<&str>| {
            let mut fields = vec![("id", "ATXid_1"), ("status", status)];
            fields.extend(reason.map(|reason| ("failureReason", reason)));
            read_delivery(&Arrived::form("/webhooks/africastalking/delivery", &fields).request())
        };
        let read = |status, reason: Option<&str>, opted_out| {
            Ok(DeliveryReport {
                message_id: "ATXid_1".into(),
                mitan_id: None,
                status,
                reason: reason.map(str::to_string),
                opted_out,
            })
        };
        use DeliveryStatus::{Delivered, Failed, Queued, Sent};
        for (word, status) in [
            ("Success", Delivered),
            ("delivered", Delivered),
            ("Sent", Sent),
            ("Submitted", Sent),
            ("Buffered", Sent),
            ("sent", Sent),
            ("Rejected", Failed),
            ("Failed", Failed),
            ("Expired", Failed),
            ("failed", Failed),
            ("queued", Queued),
        ] {
            assert_eq!(report(word, None), read(status, None, false), "{word}");
        }
        for (reason, opted_out) in [
            ("UserInBlackList", true),
            ("UserInBlacklist", true),
            ("UserNotSubscribedToProduct", true),
            ("InsufficientCredit", false),
            ("AbsentSubscriber", false),
        ] {
            assert_eq!(
                report("Failed", Some(reason)),
                read(Failed, Some(reason), opted_out),
                "{reason}"
            );
        }
        assert_eq!(
            report("Lost", None),
            Err(WebhookError::Malformed("unknown status \"Lost\"".into()))
        );
        let missing = |fields: &[(&str, &str)]| {
            read_delivery(&Arrived::form("/webhooks/africastalking/delivery", fields).request())
        };
        assert_eq!(
            missing(&[("status", "Success")]),
            Err(WebhookError::MissingField("id"))
        );
        assert_eq!(
            missing(&[("id", "ATXid_1")]),
            Err(WebhookError::MissingField("status"))
        );
    }

    #[test]
    fn a_hop_is_read_from_the_form_aggregators_send() {
        let post = |fields| Arrived::form("/webhooks/africastalking/ussd", fields);
        let hop = |session: &str, text: &str| UssdHop {
            session_id: session.into(),
            phone: "+919876543210".into(),
            input: HopInput::Path(text.into()),
        };
        let long = "a".repeat(200);
        let cases = [
            (
                post(&[
                    ("sessionId", "ATUid_1"),
                    ("serviceCode", "*384*25#"),
                    ("phoneNumber", "+919876543210"),
                    ("networkCode", "40445"),
                    ("text", "1*2"),
                ]),
                Ok(hop("ATUid_1", "1*2")),
            ),
            (
                post(&[
                    ("sessionId", "ATUid_2"),
                    ("phoneNumber", "+919876543210"),
                    ("text", ""),
                ]),
                Ok(hop("ATUid_2", "")),
            ),
            (
                post(&[("phoneNumber", "+91"), ("text", "")]),
                Err(WebhookError::MissingField("sessionId")),
            ),
            (
                post(&[("sessionId", "a"), ("text", "")]),
                Err(WebhookError::MissingField("phoneNumber")),
            ),
            (
                post(&[("sessionId", "a"), ("phoneNumber", "+91")]),
                Err(WebhookError::MissingField("text")),
            ),
            (
                post(&[("sessionId", " "), ("phoneNumber", "1"), ("text", "")]),
                Err(WebhookError::MissingField("sessionId")),
            ),
            (
                post(&[("sessionId", &long), ("phoneNumber", "1"), ("text", "")]),
                Err(WebhookError::TooLong("sessionId")),
            ),
        ];
        for (arrived, read) in cases {
            assert_eq!(read_ussd_hop(&arrived.request()), read, "{arrived:?}");
        }
    }

    #[test]
    fn the_end_of_a_session_is_read_from_its_events_callback() {
        let post = |fields| Arrived::form("/webhooks/africastalking/ussd/end", fields);
        let cases = [
            (
                post(&[
                    ("sessionId", "ATUid_1"),
                    ("phoneNumber", "+919876543210"),
                    ("status", "Success"),
                    ("durationInMillis", "23412"),
                ]),
                Ok(UssdSessionEnd {
                    session_id: "ATUid_1".into(),
                }),
            ),
            (
                post(&[("status", "Failed")]),
                Err(WebhookError::MissingField("sessionId")),
            ),
        ];
        for (arrived, read) in cases {
            assert_eq!(read_ussd_end(&arrived.request()), read, "{arrived:?}");
        }
    }

    #[tokio::test]
    async fn a_reply_reads_back_as_the_handset_shows_it_and_the_simulator_s_hop_is_read() {
        for end in [false, true] {
            let reply = UssdReply {
                end,
                text: "1. हिंदी\n2. English".into(),
            };
            let body = axum::body::to_bytes(render_ussd_reply(&reply).into_body(), 4096)
                .await
                .unwrap();
            let body = String::from_utf8(body.to_vec()).unwrap();
            assert!(
                body.starts_with(if end { "END " } else { "CON " }),
                "{body}"
            );
            assert_eq!(read_ussd_reply(&body), Some(reply));
        }
        assert_eq!(read_ussd_reply("Welcome"), None);
        let form = hop_form("SIM_1", "*384*25#", "+919876543210", "1*2");
        let hop = read_ussd_hop(&Arrived::form("/webhooks/console/ussd", &form).request());
        assert_eq!(
            hop.map(|hop| (hop.session_id, hop.input)),
            Ok(("SIM_1".into(), HopInput::Path("1*2".into())))
        );
        let form = sms_form("SIM_2", "+919876543210", "CYBMTN", "HELP");
        let sms = read_sms(&Arrived::form("/webhooks/console/sms", &form).request());
        assert_eq!(
            sms,
            Ok(super::tests::sms(
                Some("SIM_2"),
                "+919876543210",
                Some("CYBMTN"),
                "HELP"
            ))
        );
    }
}
