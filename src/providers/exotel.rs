//! Exotel (PROTOCOLS.md §3.1), an Indian aggregator: incoming SMS and the missed-call
//! "Passthru" applet call with GET (or POST) fields; status callbacks report delivery; sends go
//! to `Sms/send.json` with HTTP Basic auth and the TRAI DLT entity id, template id and header on
//! every message. Exotel does not sign its callbacks: allow only its addresses at your proxy.

use secrecy::ExposeSecret as _;
use serde::Deserialize;

use super::form::{Fields, Names};
use super::{
    Channel, DeliveryReport, DeliveryStatus, InboundSms, MissedCall, OutboundSms, SendResult,
    WebhookError, WebhookRequest, MAX_MESSAGE_ID,
};
use crate::encoding::Encoding;

/// The public API's origin (the Mumbai cluster is `https://api.in.exotel.com`).
const API: &str = "https://api.exotel.com";

pub fn parse_sms(request: &WebhookRequest<'_>) -> Result<InboundSms, WebhookError> {
    Fields::all(request)?.sms(&Names {
        id: &["SmsSid", "Sid"],
        from: &["From"],
        to: &["To"],
        text: &["Body"],
    })
}

/// The Passthru applet: `CallSid`, `CallFrom`, `CallTo` (and more, ignored).
pub fn parse_call(request: &WebhookRequest<'_>) -> Result<MissedCall, WebhookError> {
    Fields::all(request)?.call(&Names {
        id: &["CallSid"],
        from: &["CallFrom", "From"],
        to: &["CallTo", "To"],
        text: &[],
    })
}

/// A status callback, keyed on `Status` and the `DetailedStatus` string (the numeric codes
/// disagree between Exotel's pages). DND failures are opt-outs.
pub fn parse_delivery(request: &WebhookRequest<'_>) -> Result<DeliveryReport, WebhookError> {
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

/// `POST {base}/v1/Accounts/{sid}/Sms/send.json` with the DLT fields.
pub async fn send(
    client: &reqwest::Client,
    channel: &Channel<'_>,
    message: &OutboundSms<'_>,
) -> SendResult {
    let settings = channel.settings;
    let (Some(sid), Some(key), Some(token)) = (
        &settings.account_sid,
        &settings.api_key,
        &settings.api_token,
    ) else {
        return SendResult::unconfigured("account_sid, api_key and api_token");
    };
    let (Some(entity), Some(header)) = (&settings.entity_id, &settings.header) else {
        return SendResult::unconfigured("entity_id and header (TRAI DLT)");
    };
    let Some(template) = message.dlt_template_id.or(settings.template_id.as_deref()) else {
        return SendResult::unconfigured("template_id (TRAI DLT)");
    };
    let base = super::base_url(channel, Some(API)).unwrap_or_default();
    let encoding = match message.encoding {
        Encoding::Gsm7 => "plain",
        Encoding::Ucs2 => "unicode",
    };
    let callback = channel.delivery_url();
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
            ("StatusCallback", callback.as_str()),
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
