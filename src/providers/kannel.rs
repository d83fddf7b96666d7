//! Kannel's SMSC HTTP dialect (sendsms and an sms-service get-url), which many Indian
//! aggregators expose.
//!
//! Inbound (Kannel's `get-url`/`post-url`): `sender`, `message`, `id`, `to` in the query or form
//! (configure `max-messages = 0` so Kannel sends nothing back itself). Sending: `GET
//! {base}/cgi-bin/sendsms` with `username`, `password`, `from` (the DLT header), `to`, `text`
//! (UTF-8, `coding=2` for UCS-2), the DLT entity and template ids as SMPP TLVs in `meta-data`
//! (`PE_ID`, `TEMPLATE_ID`: name them so in the SMSC's `smpp-tlv` groups), and a `dlr-url` that
//! carries mitan's own message id, since Kannel's answer (`0: Accepted for delivery`) has none.
//! Delivery reports: `id` and `status` bits (1 delivered, 2 undelivered, 4 queued on the SMSC,
//! 8 delivered to the SMSC, 16 rejected).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;

use super::form::{Fields, Names};
use super::{
    DeliveryReport, DeliveryStatus, InboundSms, OutboundSms, SendResult, WebhookError,
    WebhookRequest, MAX_MESSAGE_ID,
};
use crate::encoding::Encoding;

/// `channels.<name>.…` of a Kannel channel, beyond what every channel takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KannelSettings {
    /// Kannel's `sendsms` service (`http://smsc.internal:13013`): there is no public one.
    pub base_url: Option<url::Url>,
    /// The `sendsms` user.
    pub username: Option<String>,
    pub password: Option<SecretString>,
    /// The sender, when no DLT `header` is set.
    pub from: Option<String>,
    /// TRAI DLT principal entity id (PE ID), sent as the `PE_ID` TLV.
    pub entity_id: Option<String>,
    /// TRAI DLT header (sender id), sent as `from`.
    pub header: Option<String>,
    /// TRAI DLT content template id for messages that do not carry their own.
    pub template_id: Option<String>,
}

/// What a send needs, by key, and whether it was given.
pub fn needs_for_sending(settings: &KannelSettings) -> Vec<(&'static str, bool)> {
    vec![
        ("base_url", settings.base_url.is_some()),
        ("username", settings.username.is_some()),
        ("password", settings.password.is_some()),
        (
            "header",
            settings.header.is_some() || settings.from.is_some(),
        ),
    ]
}

/// An inbound SMS from Kannel's `get-url`/`post-url`.
pub fn read_sms(request: &WebhookRequest<'_>) -> Result<InboundSms, WebhookError> {
    Fields::all(request)?.sms(&Names {
        id: &["id"],
        from: &["sender", "from"],
        to: &["to", "receiver"],
        text: &["message", "text"],
    })
}

pub fn read_delivery(request: &WebhookRequest<'_>) -> Result<DeliveryReport, WebhookError> {
    let fields = Fields::all(request)?;
    let message_id = fields.required(&["id"], MAX_MESSAGE_ID)?;
    let bits: u32 = fields
        .required(&["status"], 8)?
        .parse()
        .map_err(|_| WebhookError::Malformed("status is not a number".into()))?;
    let status = if bits & 1 != 0 {
        DeliveryStatus::Delivered
    } else if bits & (2 | 16) != 0 {
        DeliveryStatus::Failed
    } else if bits & (4 | 8) != 0 {
        DeliveryStatus::Sent
    } else {
        return Err(WebhookError::Malformed(format!("unknown status {bits}")));
    };
    Ok(DeliveryReport {
        status,
        reason: fields.optional(&["reason", "answer"], 128)?,
        opted_out: false,
        // The dlr-url carries mitan's own id (see `send`).
        mitan_id: message_id.parse().ok(),
        message_id,
    })
}

/// An SMS or a delivery report taken: an empty 200 (with `max-messages = 0`, Kannel sends
/// nothing back to the sender).
pub fn acknowledge() -> Response {
    StatusCode::OK.into_response()
}

/// Every delivery report type: delivered, undelivered, queued, to SMSC, rejected.
const DLR_MASK: &str = "31";

/// `GET {base}/cgi-bin/sendsms`; Kannel reports delivery to `delivery_url` (the channel's
/// delivery webhook) with mitan's id of the message.
pub async fn send(
    client: &reqwest::Client,
    settings: &KannelSettings,
    delivery_url: &str,
    message: &OutboundSms<'_>,
) -> SendResult {
    let Some(base) = super::base_url(settings.base_url.as_ref(), None) else {
        return SendResult::unconfigured("base_url");
    };
    let (Some(username), Some(password)) = (&settings.username, &settings.password) else {
        return SendResult::unconfigured("username and password");
    };
    let Some(from) = settings.header.as_ref().or(settings.from.as_ref()) else {
        return SendResult::unconfigured("header (TRAI DLT) or from");
    };
    let id = message.id.to_string();
    let dlr_url = format!("{delivery_url}?id={id}&status=%d");
    let mut meta = Vec::new();
    if let Some(entity) = &settings.entity_id {
        meta.push(("PE_ID", entity.as_str()));
    }
    if let Some(template) = message.dlt_template_id.or(settings.template_id.as_deref()) {
        meta.push(("TEMPLATE_ID", template));
    }
    let meta = format!(
        "?smpp?{}",
        serde_urlencoded::to_string(&meta).unwrap_or_default()
    );
    let coding = match message.encoding {
        Encoding::Gsm7 => "0",
        Encoding::Ucs2 => "2",
    };
    let request = client.get(format!("{base}/cgi-bin/sendsms")).query(&[
        ("username", username.as_str()),
        ("password", password.expose_secret()),
        ("from", from.as_str()),
        ("to", message.to.e164()),
        ("text", message.text),
        ("charset", "UTF-8"),
        ("coding", coding),
        ("dlr-mask", DLR_MASK),
        ("dlr-url", dlr_url.as_str()),
        ("meta-data", meta.as_str()),
    ]);
    let (status, body) = match super::exchange(request).await {
        Ok(answer) => answer,
        Err(failed) => return failed,
    };
    let accepted = body.starts_with("0:") || body.starts_with("3:");
    if status.is_success() && accepted {
        SendResult::Accepted { provider_id: id }
    } else if status.is_success() {
        SendResult::permanent(format!("refused: {}", body.trim()), false)
    } else {
        SendResult::from_status(status, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::Arrived;
    use super::*;

    #[test]
    fn an_inbound_sms_is_read_from_get_url_or_post_url() {
        let path = "/webhooks/kannel/sms";
        let sms = |id: Option<&str>, to: Option<&str>, text: &str| InboundSms {
            message_id: id.map(str::to_string),
            from: "+919876543210".into(),
            to: to.map(str::to_string),
            text: text.into(),
        };
        let cases = [
            (
                Arrived::get(
                    path,
                    &[
                        ("sender", "+919876543210"),
                        ("to", "CYBMTN"),
                        ("message", "JOIN 482918"),
                        ("id", "k-1"),
                    ],
                ),
                Ok(sms(Some("k-1"), Some("CYBMTN"), "JOIN 482918")),
            ),
            (
                Arrived::form(
                    path,
                    &[
                        ("from", "+919876543210"),
                        ("receiver", "56767"),
                        ("text", ""),
                    ],
                ),
                Ok(sms(None, Some("56767"), "")),
            ),
            (
                Arrived::get(path, &[("sender", "+919876543210"), ("id", "k-3")]),
                Err(WebhookError::MissingField("message")),
            ),
            (
                Arrived::get(path, &[("message", "HELP")]),
                Err(WebhookError::MissingField("sender")),
            ),
        ];
        for (arrived, read) in cases {
            assert_eq!(read_sms(&arrived.request()), read, "{arrived:?}");
        }
    }

    #[test]
    fn every_status_bit_is_read_and_mitan_s_own_id_comes_back() {
        let report = |fields: &[(&str, &str)]| {
            read_delivery(&Arrived::get("/webhooks/kannel/delivery", fields).request())
        };
        let read = |status, reason: Option<&str>| {
            Ok(DeliveryReport {
                message_id: "42".into(),
                mitan_id: Some(42),
                status,
                reason: reason.map(str::to_string),
                opted_out: false,
            })
        };
        use DeliveryStatus::{Delivered, Failed, Sent};
        for (bits, status) in [
            ("1", Delivered),
            ("2", Failed),
            ("4", Sent),
            ("8", Sent),
            ("16", Failed),
            // Delivered wins over "to the SMSC" when both come.
            ("9", Delivered),
            ("18", Failed),
        ] {
            assert_eq!(
                report(&[("id", "42"), ("status", bits)]),
                read(status, None),
                "{bits}"
            );
        }
        let cases = [
            (
                vec![("id", "42"), ("status", "2"), ("reason", "NACK/0x0000000b")],
                read(Failed, Some("NACK/0x0000000b")),
            ),
            (
                vec![("id", "42"), ("status", "16"), ("answer", "Rejected")],
                read(Failed, Some("Rejected")),
            ),
            (
                vec![("id", "42"), ("status", "0")],
                Err(WebhookError::Malformed("unknown status 0".into())),
            ),
            (
                vec![("id", "42"), ("status", "ok")],
                Err(WebhookError::Malformed("status is not a number".into())),
            ),
            (vec![("status", "1")], Err(WebhookError::MissingField("id"))),
            (
                vec![("id", "42")],
                Err(WebhookError::MissingField("status")),
            ),
            (
                vec![("id", "42"), ("status", "123456789")],
                Err(WebhookError::TooLong("status")),
            ),
        ];
        for (fields, read) in cases {
            assert_eq!(report(&fields), read, "{fields:?}");
        }
        // An id that is not mitan's (a report set up by hand) still names the message.
        let theirs = report(&[("id", "smsc-7"), ("status", "1")]).unwrap();
        assert_eq!(
            (theirs.message_id.as_str(), theirs.mitan_id),
            ("smsc-7", None)
        );
    }
}
