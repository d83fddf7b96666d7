//! Exotel, an Indian aggregator: incoming SMS and the missed-call
//! "Passthru" applet call with GET (or POST) fields; status callbacks report delivery; sends go
//! to `Sms/send.json` with HTTP Basic auth and the TRAI DLT entity id, template id and header on
//! every message. Calls go to `Calls/connect.json` and play mitan's call flow (ExoML). Exotel does
//! not sign its callbacks: allow only its addresses at your proxy (a call's flow and status
//! callback carry a per-call key in their URL, checked by mitan).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::form::{Fields, Names};
use super::voice::{CallOutcome, CallStatus, OutboundCall, VoiceAnswer, VoiceStep};
use super::{
    DeliveryReport, DeliveryStatus, InboundSms, MissedCall, OutboundSms, SendResult, WebhookError,
    WebhookRequest, MAX_MESSAGE_ID,
};
use crate::encoding::Encoding;

/// The public API's origin (the Mumbai cluster is `https://api.in.exotel.com`).
const API: &str = "https://api.exotel.com";

/// `channels.<name>.…` of an Exotel channel, beyond what every channel takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExotelSettings {
    /// Origin of the send API; unset: the public one (Singapore).
    pub base_url: Option<url::Url>,
    /// The account SID.
    pub account_sid: Option<String>,
    /// The API key and token (HTTP Basic auth).
    pub api_key: Option<SecretString>,
    pub api_token: Option<SecretString>,
    /// TRAI DLT principal entity id (PE ID), sent with every message.
    pub entity_id: Option<String>,
    /// TRAI DLT header (sender id), sent with every message as `From`.
    pub header: Option<String>,
    /// TRAI DLT content template id for messages that do not carry their own.
    pub template_id: Option<String>,
}

/// What a send needs, by key, and whether it was given. The DLT `template_id` is not among
/// them: each tip text may carry its own.
pub fn needs_for_sending(settings: &ExotelSettings) -> Vec<(&'static str, bool)> {
    vec![
        ("account_sid", settings.account_sid.is_some()),
        ("api_key", settings.api_key.is_some()),
        ("api_token", settings.api_token.is_some()),
        ("entity_id", settings.entity_id.is_some()),
        ("header", settings.header.is_some()),
    ]
}

/// An incoming SMS: `SmsSid`, `From`, `To`, `Body`, in the query or the form.
pub fn read_sms(request: &WebhookRequest<'_>) -> Result<InboundSms, WebhookError> {
    Fields::all(request)?.sms(&Names {
        id: &["SmsSid", "Sid"],
        from: &["From"],
        to: &["To"],
        text: &["Body"],
    })
}

/// The Passthru applet: `CallSid`, `CallFrom`, `CallTo` (and more, ignored).
pub fn read_missed_call(request: &WebhookRequest<'_>) -> Result<MissedCall, WebhookError> {
    Fields::all(request)?.call(&Names {
        id: &["CallSid"],
        from: &["CallFrom", "From"],
        to: &["CallTo", "To"],
        text: &[],
    })
}

/// A status callback, keyed on `Status` and the `DetailedStatus` string (the numeric codes
/// disagree between Exotel's pages). DND failures are opt-outs.
pub fn read_delivery(request: &WebhookRequest<'_>) -> Result<DeliveryReport, WebhookError> {
    let fields = Fields::all(request)?;
    let message_id = fields.required(&["SmsSid"], MAX_MESSAGE_ID)?;
    let detailed = fields.optional(&["DetailedStatus"], 64)?;
    let status = match fields.required(&["Status"], 32)?.as_str() {
        _ if detailed.as_deref() == Some("DELIVERED_TO_HANDSET") => DeliveryStatus::Delivered,
        "queued" => DeliveryStatus::Queued,
        "sending" | "submitted" => DeliveryStatus::Sent,
        "sent" => DeliveryStatus::Delivered,
        "failed" | "failed_dnd" => DeliveryStatus::Failed,
        other => return Err(WebhookError::Malformed(format!("unknown status {other:?}"))),
    };
    let opted_out = fields.get(&["Status"]) == Some("failed_dnd")
        || matches!(
            detailed.as_deref(),
            Some("FAILED_DND" | "FAILED_DLT_CONSENT")
        );
    Ok(DeliveryReport {
        message_id,
        status,
        reason: detailed,
        opted_out,
        mitan_id: None,
    })
}

/// An SMS or a status callback taken: an empty 200.
pub fn acknowledge() -> Response {
    StatusCode::OK.into_response()
}

/// The Passthru applet only needs a 200 to go on (and the call is not answered).
pub fn answer_missed_call() -> Response {
    StatusCode::OK.into_response()
}

#[derive(Deserialize)]
struct Sent {
    #[serde(rename = "SMSMessage")]
    message: Option<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    #[serde(rename = "Sid")]
    sid: String,
}

/// The account and its API key and token, or what is missing.
fn credentials(
    settings: &ExotelSettings,
) -> Result<(&str, &SecretString, &SecretString), SendResult> {
    match (
        &settings.account_sid,
        &settings.api_key,
        &settings.api_token,
    ) {
        (Some(sid), Some(key), Some(token)) => Ok((sid, key, token)),
        _ => Err(SendResult::unconfigured(
            "account_sid, api_key and api_token",
        )),
    }
}

/// `POST {base}/v1/Accounts/{sid}/Sms/send.json` with the DLT fields; the status callback is
/// `delivery_url`, the channel's delivery webhook.
pub async fn send(
    client: &reqwest::Client,
    settings: &ExotelSettings,
    delivery_url: &str,
    message: &OutboundSms<'_>,
) -> SendResult {
    let (sid, key, token) = match credentials(settings) {
        Ok(credentials) => credentials,
        Err(unconfigured) => return unconfigured,
    };
    let (Some(entity), Some(header)) = (&settings.entity_id, &settings.header) else {
        return SendResult::unconfigured("entity_id and header (TRAI DLT)");
    };
    let Some(template) = message.dlt_template_id.or(settings.template_id.as_deref()) else {
        return SendResult::unconfigured("template_id (TRAI DLT)");
    };
    let base = super::base_url(settings.base_url.as_ref(), Some(API)).unwrap_or_default();
    let encoding = match message.encoding {
        Encoding::Gsm7 => "plain",
        Encoding::Ucs2 => "unicode",
    };
    let request = client
        .post(format!("{base}/v1/Accounts/{sid}/Sms/send.json"))
        .basic_auth(key.expose_secret(), Some(token.expose_secret()))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[
            ("From", header.as_str()),
            ("To", message.to.e164()),
            ("Body", message.text),
            ("DltEntityId", entity.as_str()),
            ("DltTemplateId", template),
            ("EncodingType", encoding),
            ("StatusCallback", delivery_url),
        ]);
    let (status, body) = match super::exchange(request).await {
        Ok(answer) => answer,
        Err(failed) => return failed,
    };
    if !status.is_success() {
        return SendResult::from_status(status, &body);
    }
    match serde_json::from_str::<Sent>(&body)
        .ok()
        .and_then(|s| s.message)
    {
        Some(sent) => SendResult::Accepted {
            provider_id: sent.sid,
        },
        None => SendResult::permanent("accepted without an SMSMessage Sid", false),
    }
}

/// What a call needs, by key, beyond what a send needs: the ExoPhone it comes from.
pub fn needs_for_calling(settings: &ExotelSettings) -> Vec<(&'static str, bool)> {
    vec![
        ("account_sid", settings.account_sid.is_some()),
        ("api_key", settings.api_key.is_some()),
        ("api_token", settings.api_token.is_some()),
    ]
}

#[derive(Deserialize)]
struct Connected {
    #[serde(rename = "Call")]
    call: Option<ConnectedCall>,
}

#[derive(Deserialize)]
struct ConnectedCall {
    #[serde(rename = "Sid")]
    sid: String,
}

/// `POST {base}/v1/Accounts/{sid}/Calls/connect.json`: Exotel calls `From` (the villager) from
/// `CallerId` (the ExoPhone) and, once answered, fetches the flow at `Url`; `StatusCallback`
/// hears how the call ended.
pub async fn place_call(
    client: &reqwest::Client,
    settings: &ExotelSettings,
    caller_id: &str,
    call: &OutboundCall<'_>,
) -> SendResult {
    let (sid, key, token) = match credentials(settings) {
        Ok(credentials) => credentials,
        Err(unconfigured) => return unconfigured,
    };
    let base = super::base_url(settings.base_url.as_ref(), Some(API)).unwrap_or_default();
    let id = call.id.to_string();
    let request = client
        .post(format!("{base}/v1/Accounts/{sid}/Calls/connect.json"))
        .basic_auth(key.expose_secret(), Some(token.expose_secret()))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[
            ("From", call.to.e164()),
            ("CallerId", caller_id),
            ("Url", call.flow_url),
            ("CallType", "trans"),
            ("StatusCallback", call.status_url),
            ("StatusCallbackEvents[0]", "terminal"),
            ("CustomField", id.as_str()),
        ]);
    let (status, body) = match super::exchange(request).await {
        Ok(answer) => answer,
        Err(failed) => return failed,
    };
    if !status.is_success() {
        return SendResult::from_status(status, &body);
    }
    match serde_json::from_str::<Connected>(&body)
        .ok()
        .and_then(|c| c.call)
    {
        Some(call) => SendResult::Accepted {
            provider_id: call.sid,
        },
        None => SendResult::permanent("accepted without a Call Sid", false),
    }
}

/// A fetch of the call flow (ExoML): `CallSid`, and `digits` (in double quotes) after a key.
pub fn read_voice_step(request: &WebhookRequest<'_>) -> Result<VoiceStep, WebhookError> {
    let fields = Fields::all(request)?;
    Ok(VoiceStep {
        call_id: fields.optional(&["CallSid"], MAX_MESSAGE_ID)?,
        digits: super::voice::key(fields.get(&["digits", "Digits"])),
    })
}

/// A call's status callback: `CallSid` and `Status` (`completed`, `failed`, `busy`,
/// `no-answer`).
pub fn read_call_status(request: &WebhookRequest<'_>) -> Result<CallStatus, WebhookError> {
    let fields = Fields::all(request)?;
    let call_id = fields.required(&["CallSid"], MAX_MESSAGE_ID)?;
    let outcome = match fields.required(&["Status"], 32)?.as_str() {
        "completed" => CallOutcome::Completed,
        "busy" => CallOutcome::Busy,
        "no-answer" => CallOutcome::NoAnswer,
        "failed" => CallOutcome::Failed,
        "queued" | "ringing" | "in-progress" => CallOutcome::Ongoing,
        other => return Err(WebhookError::Malformed(format!("unknown status {other:?}"))),
    };
    Ok(CallStatus { call_id, outcome })
}

/// ExoML.
pub fn render_voice(answer: &VoiceAnswer) -> Response {
    super::voice::render(answer, "application/xml")
}

#[cfg(test)]
mod tests {
    use super::super::testing::Arrived;
    use super::*;

    #[test]
    fn an_incoming_sms_is_read_from_the_query_or_the_form() {
        let path = "/webhooks/exotel/sms";
        let sms = |id: Option<&str>, text: &str| InboundSms {
            message_id: id.map(str::to_string),
            from: "09876543210".into(),
            to: Some("CYBMTN".into()),
            text: text.into(),
        };
        let cases = [
            (
                Arrived::get(
                    path,
                    &[
                        ("SmsSid", "in-1"),
                        ("From", "09876543210"),
                        ("To", "CYBMTN"),
                        ("Body", "JOIN 482918"),
                        ("Date", "2026-11-02 10:00:00"),
                    ],
                ),
                Ok(sms(Some("in-1"), "JOIN 482918")),
            ),
            (
                Arrived::form(
                    path,
                    &[
                        ("Sid", "in-2"),
                        ("From", "09876543210"),
                        ("To", "CYBMTN"),
                        ("Body", ""),
                    ],
                ),
                Ok(sms(Some("in-2"), "")),
            ),
            (
                Arrived::get(path, &[("SmsSid", "in-3"), ("From", "09876543210")]),
                Err(WebhookError::MissingField("Body")),
            ),
            (
                Arrived::get(path, &[("SmsSid", "in-4"), ("Body", "HELP")]),
                Err(WebhookError::MissingField("From")),
            ),
        ];
        for (arrived, read) in cases {
            assert_eq!(read_sms(&arrived.request()), read, "{arrived:?}");
        }
    }

    #[test]
    fn the_passthru_applet_is_a_missed_call() {
        let path = "/webhooks/exotel/missed-call";
        let call = |id: &str| MissedCall {
            call_id: Some(id.into()),
            from: "09876543210".into(),
            to: Some("08047192000".into()),
        };
        let cases = [
            (
                Arrived::get(
                    path,
                    &[
                        ("CallSid", "c-1"),
                        ("CallFrom", "09876543210"),
                        ("CallTo", "08047192000"),
                        ("CallType", "call-attempt"),
                        ("Direction", "incoming"),
                    ],
                ),
                Ok(call("c-1")),
            ),
            (
                Arrived::form(
                    path,
                    &[
                        ("CallSid", "c-2"),
                        ("From", "09876543210"),
                        ("To", "08047192000"),
                    ],
                ),
                Ok(call("c-2")),
            ),
            (
                Arrived::get(path, &[("CallSid", "c-3"), ("CallTo", "08047192000")]),
                Err(WebhookError::MissingField("CallFrom")),
            ),
        ];
        for (arrived, read) in cases {
            assert_eq!(read_missed_call(&arrived.request()), read, "{arrived:?}");
        }
    }

    #[test]
    fn every_status_and_detailed_status_is_read_and_an_unknown_one_refused() {
        let report = |status: &str, detailed: Option<&str>| {
            let mut fields = vec![("SmsSid", "exo-1"), ("Status", status)];
            fields.extend(detailed.map(|detailed| ("DetailedStatus", detailed)));
            read_delivery(&Arrived::form("/webhooks/exotel/delivery", &fields).request())
        };
        let read = |status, detailed: Option<&str>, opted_out| {
            Ok(DeliveryReport {
                message_id: "exo-1".into(),
                mitan_id: None,
                status,
                reason: detailed.map(str::to_string),
                opted_out,
            })
        };
        use DeliveryStatus::{Delivered, Failed, Queued, Sent};
        let cases = [
            ("queued", None, read(Queued, None, false)),
            ("sending", None, read(Sent, None, false)),
            ("submitted", None, read(Sent, None, false)),
            ("sent", None, read(Delivered, None, false)),
            ("failed", None, read(Failed, None, false)),
            ("failed_dnd", None, read(Failed, None, true)),
            // The handset's word wins over the status.
            (
                "sending",
                Some("DELIVERED_TO_HANDSET"),
                read(Delivered, Some("DELIVERED_TO_HANDSET"), false),
            ),
            (
                "whatever",
                Some("DELIVERED_TO_HANDSET"),
                read(Delivered, Some("DELIVERED_TO_HANDSET"), false),
            ),
            (
                "failed",
                Some("FAILED_DND"),
                read(Failed, Some("FAILED_DND"), true),
            ),
            (
                "failed",
                Some("FAILED_DLT_CONSENT"),
                read(Failed, Some("FAILED_DLT_CONSENT"), true),
            ),
            (
                "failed",
                Some("FAILED_INVALID_NUMBER"),
                read(Failed, Some("FAILED_INVALID_NUMBER"), false),
            ),
            (
                "lost",
                None,
                Err(WebhookError::Malformed("unknown status \"lost\"".into())),
            ),
        ];
        for (status, detailed, read) in cases {
            assert_eq!(report(status, detailed), read, "{status} {detailed:?}");
        }
        let missing = |fields: &[(&str, &str)]| {
            read_delivery(&Arrived::get("/webhooks/exotel/delivery", fields).request())
        };
        assert_eq!(
            missing(&[("Status", "sent")]),
            Err(WebhookError::MissingField("SmsSid"))
        );
        assert_eq!(
            missing(&[("SmsSid", "exo-1")]),
            Err(WebhookError::MissingField("Status"))
        );
    }
}
