//! mitan's own JSON contract, for an Indian USSD aggregator or a small relay to connect to.
//!
//! Request: `POST` JSON `{"session_id": "…", "phone": "+91…", "service_code": "*384*25#",
//! "input": "<latest input only; empty on the first hop>", "hop": <optional hop number, 1 on the
//! first hop; a retry repeats it>}` with the header
//! `X-Mitan-Signature: sha256=<lowercase hex HMAC-SHA256 of the raw body under the channel secret>`.
//! Reply: `{"action": "continue" | "end", "text": "…"}`.
//!
//! SMS, on the same signature: inbound `POST …/sms` `{"message_id", "from", "to", "text"}`;
//! missed calls `POST …/missed-call` `{"call_id", "from", "to"}`; delivery reports
//! `POST …/delivery` `{"message_id", "id"?, "status": "queued" | "sent" | "delivered" | "failed",
//! "reason"?, "opted_out"?}` (`id`: mitan's id of the message, as sent; echo it where you can, so
//! a send whose answer was lost is settled too); each answered `{"status": "accepted"}`. Sending: mitan calls
//! `POST {base_url}/messages` with `{"id", "to", "text", "encoding": "gsm7" | "ucs2", "parts",
//! "dlt": {"entity_id", "template_id", "header"}}`, signed the same way, and expects 2xx with
//! `{"message_id": "…"}`; 429 and 5xx are retried; a 4xx with `{"error": "invalid_number"}` or
//! `{"error": "opted_out"}` suppresses the number.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{bounded, HopInput, UssdHop, UssdReply, UssdSessionEnd, WebhookError};
use super::{
    DeliveryReport, DeliveryStatus, InboundSms, MissedCall, OutboundSms, SendResult, WebhookRequest,
};
use super::{MAX_INPUT, MAX_MESSAGE_ID, MAX_PHONE_FIELD, MAX_SESSION_ID, MAX_SMS_TEXT};
use crate::encoding::Encoding;

pub const SIGNATURE_HEADER: &str = "x-mitan-signature";

/// `channels.<name>.…` of a generic channel, beyond what every channel takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenericSettings {
    /// Where mitan sends (`POST {base_url}/messages`): there is no public one.
    pub base_url: Option<url::Url>,
    /// The HMAC-SHA256 key both ways sign with; unset, every webhook is refused.
    pub secret: Option<SecretString>,
    /// TRAI DLT ids, passed on in every send's `dlt` (principal entity, sender header,
    /// content template for messages that do not carry their own).
    pub entity_id: Option<String>,
    pub header: Option<String>,
    pub template_id: Option<String>,
}

/// What a send needs, by key, and whether it was given.
pub fn needs_for_sending(settings: &GenericSettings) -> Vec<(&'static str, bool)> {
    vec![
        ("base_url", settings.base_url.is_some()),
        ("secret", settings.secret.is_some()),
    ]
}

/// The request's body, once its signature is checked.
fn signed<'a>(
    settings: &GenericSettings,
    request: &WebhookRequest<'a>,
) -> Result<&'a [u8], WebhookError> {
    verify(settings.secret.as_ref(), request.headers, request.body)?;
    Ok(request.body)
}

/// A USSD hop, signed.
pub fn read_ussd_hop(
    settings: &GenericSettings,
    request: &WebhookRequest<'_>,
) -> Result<UssdHop, WebhookError> {
    parse_ussd_hop(signed(settings, request)?)
}

/// The end of a USSD session, signed.
pub fn read_ussd_end(
    settings: &GenericSettings,
    request: &WebhookRequest<'_>,
) -> Result<UssdSessionEnd, WebhookError> {
    parse_ussd_end(signed(settings, request)?)
}

/// An inbound SMS, signed.
pub fn read_sms(
    settings: &GenericSettings,
    request: &WebhookRequest<'_>,
) -> Result<InboundSms, WebhookError> {
    parse_sms(signed(settings, request)?)
}

/// A missed call, signed.
pub fn read_missed_call(
    settings: &GenericSettings,
    request: &WebhookRequest<'_>,
) -> Result<MissedCall, WebhookError> {
    parse_call(signed(settings, request)?)
}

/// A delivery report, signed.
pub fn read_delivery(
    settings: &GenericSettings,
    request: &WebhookRequest<'_>,
) -> Result<DeliveryReport, WebhookError> {
    parse_delivery(signed(settings, request)?)
}

/// Checks `X-Mitan-Signature` against the raw body, in constant time.
pub fn verify(
    secret: Option<&SecretString>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), WebhookError> {
    let secret = secret.ok_or(WebhookError::NoSecret)?;
    let given = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("sha256="))
        .and_then(|hex_sig| hex::decode(hex_sig.trim()).ok())
        .ok_or(WebhookError::BadSignature)?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.expose_secret().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| WebhookError::BadSignature)
}

/// The header value a sender computes (for relays, tests and `mitan simulate`).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[derive(Deserialize)]
struct HopBody {
    session_id: Option<String>,
    phone: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    service_code: Option<String>,
    input: Option<String>,
    #[serde(default)]
    hop: Option<u64>,
}

pub(super) fn parse_ussd_hop(body: &[u8]) -> Result<UssdHop, WebhookError> {
    let hop: HopBody =
        serde_json::from_slice(body).map_err(|err| WebhookError::Malformed(err.to_string()))?;
    let session_id = hop
        .session_id
        .filter(|id| !id.trim().is_empty())
        .ok_or(WebhookError::MissingField("session_id"))?;
    let session_id = bounded(session_id, "session_id", MAX_SESSION_ID)?;
    let phone = bounded(
        hop.phone.ok_or(WebhookError::MissingField("phone"))?,
        "phone",
        MAX_PHONE_FIELD,
    )?;
    let input = bounded(
        hop.input.ok_or(WebhookError::MissingField("input"))?,
        "input",
        MAX_INPUT,
    )?;
    Ok(UssdHop {
        session_id,
        phone,
        input: HopInput::Latest {
            input,
            seq: hop.hop,
        },
    })
}

#[derive(Deserialize)]
struct EndBody {
    session_id: Option<String>,
}

pub(super) fn parse_ussd_end(body: &[u8]) -> Result<UssdSessionEnd, WebhookError> {
    let end: EndBody =
        serde_json::from_slice(body).map_err(|err| WebhookError::Malformed(err.to_string()))?;
    Ok(UssdSessionEnd {
        session_id: required(end.session_id, "session_id", MAX_SESSION_ID)?,
    })
}

#[derive(Serialize)]
struct ReplyBody<'a> {
    action: &'static str,
    text: &'a str,
}

/// `{"action": "continue" | "end", "text": "…"}`.
pub fn render_ussd_reply(reply: &UssdReply) -> Response {
    Json(ReplyBody {
        action: if reply.end { "end" } else { "continue" },
        text: &reply.text,
    })
    .into_response()
}

fn json<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, WebhookError> {
    serde_json::from_slice(body).map_err(|err| WebhookError::Malformed(err.to_string()))
}

fn required(
    value: Option<String>,
    field: &'static str,
    max: usize,
) -> Result<String, WebhookError> {
    let value = value
        .filter(|v| !v.trim().is_empty())
        .ok_or(WebhookError::MissingField(field))?;
    bounded(value, field, max)
}

fn optional(
    value: Option<String>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, WebhookError> {
    value.map(|v| bounded(v, field, max)).transpose()
}

/// An aggregator's id: an empty one is none (else every message sent without an id would be
/// a retry of the first).
fn optional_id(
    value: Option<String>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, WebhookError> {
    optional(value.filter(|id| !id.is_empty()), field, max)
}

#[derive(Deserialize)]
struct SmsBody {
    message_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    text: Option<String>,
}

pub(super) fn parse_sms(body: &[u8]) -> Result<InboundSms, WebhookError> {
    let sms: SmsBody = json(body)?;
    Ok(InboundSms {
        message_id: optional_id(sms.message_id, "message_id", MAX_MESSAGE_ID)?,
        from: required(sms.from, "from", MAX_PHONE_FIELD)?,
        to: optional(sms.to, "to", MAX_PHONE_FIELD)?,
        // May be empty, not missing (nor null).
        text: bounded(
            sms.text.ok_or(WebhookError::MissingField("text"))?,
            "text",
            MAX_SMS_TEXT,
        )?,
    })
}

#[derive(Deserialize)]
struct CallBody {
    call_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

pub(super) fn parse_call(body: &[u8]) -> Result<MissedCall, WebhookError> {
    let call: CallBody = json(body)?;
    Ok(MissedCall {
        call_id: optional_id(call.call_id, "call_id", MAX_MESSAGE_ID)?,
        from: required(call.from, "from", MAX_PHONE_FIELD)?,
        to: optional(call.to, "to", MAX_PHONE_FIELD)?,
    })
}

#[derive(Deserialize)]
struct DeliveryBody {
    message_id: Option<String>,
    /// mitan's id of the message, as sent in `id`.
    id: Option<String>,
    status: Option<String>,
    reason: Option<String>,
    #[serde(default)]
    opted_out: bool,
}

pub(super) fn parse_delivery(body: &[u8]) -> Result<DeliveryReport, WebhookError> {
    let report: DeliveryBody = json(body)?;
    let status = match required(report.status, "status", 32)?.as_str() {
        "queued" => DeliveryStatus::Queued,
        "sent" => DeliveryStatus::Sent,
        "delivered" => DeliveryStatus::Delivered,
        "failed" => DeliveryStatus::Failed,
        other => return Err(WebhookError::Malformed(format!("unknown status {other:?}"))),
    };
    Ok(DeliveryReport {
        message_id: required(report.message_id, "message_id", MAX_MESSAGE_ID)?,
        status,
        reason: optional(report.reason, "reason", 128)?,
        opted_out: report.opted_out,
        mitan_id: report
            .id
            .map(|id| {
                id.parse().map_err(|_| {
                    WebhookError::Malformed("id is not a message id of mitan's".into())
                })
            })
            .transpose()?,
    })
}

/// `{"status": "accepted"}`: taken (or recognised as a retry, or dropped on purpose).
pub fn acknowledge() -> Response {
    Json(serde_json::json!({ "status": "accepted" })).into_response()
}

/// A missed call is acknowledged like any other webhook: the relay rejects the call itself.
pub fn answer_missed_call() -> Response {
    acknowledge()
}

#[derive(Serialize)]
struct SendBody<'a> {
    id: String,
    to: &'a str,
    text: &'a str,
    encoding: &'static str,
    parts: usize,
    dlt: Dlt<'a>,
}

#[derive(Serialize)]
struct Dlt<'a> {
    entity_id: Option<&'a str>,
    template_id: Option<&'a str>,
    header: Option<&'a str>,
}

#[derive(Deserialize)]
struct SendAnswer {
    message_id: Option<String>,
    error: Option<String>,
}

/// `POST {base_url}/messages`, signed like the webhooks.
pub async fn send(
    client: &reqwest::Client,
    settings: &GenericSettings,
    message: &OutboundSms<'_>,
) -> SendResult {
    let Some(base) = super::base_url(settings.base_url.as_ref(), None) else {
        return SendResult::unconfigured("base_url");
    };
    let Some(secret) = &settings.secret else {
        return SendResult::unconfigured("secret");
    };
    let body = SendBody {
        id: message.id.to_string(),
        to: message.to.e164(),
        text: message.text,
        encoding: match message.encoding {
            Encoding::Gsm7 => "gsm7",
            Encoding::Ucs2 => "ucs2",
        },
        parts: message.parts,
        dlt: Dlt {
            entity_id: settings.entity_id.as_deref(),
            template_id: message.dlt_template_id.or(settings.template_id.as_deref()),
            header: settings.header.as_deref(),
        },
    };
    let body = serde_json::to_vec(&body).expect("a send body serialises");
    let request = client
        .post(format!("{base}/messages"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, sign(secret.expose_secret(), &body))
        .body(body);
    let (status, text) = match super::exchange(request).await {
        Ok(answer) => answer,
        Err(failed) => return failed,
    };
    let answer = serde_json::from_str::<SendAnswer>(&text).ok();
    if status.is_success() {
        return match answer.and_then(|a| a.message_id) {
            Some(id) => SendResult::Accepted { provider_id: id },
            None => SendResult::permanent("accepted without a message_id", false),
        };
    }
    match answer.and_then(|a| a.error).as_deref() {
        Some(error @ ("invalid_number" | "opted_out")) if status.is_client_error() => {
            SendResult::permanent(format!("HTTP {}: {error}", status.as_u16()), true)
        }
        _ => SendResult::from_status(status, &text),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::Arrived;
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, value.parse().unwrap());
        headers
    }

    #[test]
    fn a_correctly_signed_body_is_accepted_and_anything_else_is_not() {
        let secret = SecretString::from("s3cret");
        let body = br#"{"session_id":"a","phone":"+919876543210","input":""}"#;
        let good = sign("s3cret", body);
        assert_eq!(verify(Some(&secret), &headers(&good), body), Ok(()));
        let tampered = br#"{"session_id":"b","phone":"+919876543210","input":""}"#;
        assert_eq!(
            verify(Some(&secret), &headers(&good), tampered),
            Err(WebhookError::BadSignature)
        );
        for bad in [
            "",
            "sha256=",
            "sha256=zz",
            &good.replace("sha256=", "sha1="),
            &good[..20],
        ] {
            assert_eq!(
                verify(Some(&secret), &headers(bad), body),
                Err(WebhookError::BadSignature),
                "{bad}"
            );
        }
        assert_eq!(
            verify(Some(&secret), &HeaderMap::new(), body),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(None, &headers(&good), body),
            Err(WebhookError::NoSecret)
        );
    }

    #[test]
    fn an_empty_id_is_no_id_so_messages_without_one_are_never_taken_for_retries() {
        let sms = parse_sms(br#"{"message_id":"","from":"+919876543210","text":"STOP"}"#);
        assert_eq!(sms.unwrap().message_id, None);
        let call = parse_call(br#"{"call_id":"","from":"+919876543210"}"#);
        assert_eq!(call.unwrap().call_id, None);
        assert_eq!(
            parse_ussd_end(br#"{"session_id":" "}"#),
            Err(WebhookError::MissingField("session_id"))
        );
    }

    #[test]
    fn the_hop_number_identifies_retries() {
        let hop = parse_ussd_hop(br#"{"session_id":"a","phone":"1","input":"3","hop":2}"#).unwrap();
        assert_eq!(
            hop.input,
            HopInput::Latest {
                input: "3".into(),
                seq: Some(2)
            }
        );
        assert_eq!(
            parse_ussd_hop(br#"{"session_id":"a","input":""}"#),
            Err(WebhookError::MissingField("phone"))
        );
    }

    const SECRET: &str = "s3cret";

    fn settings() -> GenericSettings {
        GenericSettings {
            secret: Some(SECRET.into()),
            ..GenericSettings::default()
        }
    }

    /// A JSON body posted to `path`, signed right.
    fn signed(path: &str, body: &str) -> Arrived {
        Arrived::post(path, body.as_bytes())
            .header(SIGNATURE_HEADER, &sign(SECRET, body.as_bytes()))
    }

    /// The signed request with its body changed after signing.
    fn tampered(arrived: &Arrived) -> Arrived {
        let mut body = arrived.body().to_vec();
        body.insert(1, b' ');
        let mut changed = Arrived::post(arrived.path_and_query(), &body);
        if let Some(signature) = arrived.request().headers.get(SIGNATURE_HEADER) {
            changed = changed.header(SIGNATURE_HEADER, signature.to_str().unwrap());
        }
        changed
    }

    /// Every signed case, then the same requests unsigned, signed with another secret, and
    /// tampered with: each of those refused, whatever its body.
    fn check_table<T: PartialEq + std::fmt::Debug>(
        read: fn(&GenericSettings, &WebhookRequest<'_>) -> Result<T, WebhookError>,
        cases: Vec<(Arrived, Result<T, WebhookError>)>,
    ) {
        for (arrived, expected) in &cases {
            assert_eq!(
                &read(&settings(), &arrived.request()),
                expected,
                "{arrived:?}"
            );
            let unsigned = Arrived::post(arrived.path_and_query(), arrived.body());
            let forged = Arrived::post(arrived.path_and_query(), arrived.body())
                .header(SIGNATURE_HEADER, &sign("another", arrived.body()));
            for refused in [unsigned, forged, tampered(arrived)] {
                assert_eq!(
                    read(&settings(), &refused.request()),
                    Err(WebhookError::BadSignature),
                    "{refused:?}"
                );
            }
            assert_eq!(
                read(&GenericSettings::default(), &arrived.request()),
                Err(WebhookError::NoSecret)
            );
        }
    }

    #[test]
    fn a_signed_hop_is_read_with_its_hop_number() {
        let path = "/webhooks/generic/ussd";
        let hop = |input: &str, seq| UssdHop {
            session_id: "g-1".into(),
            phone: "+919876543210".into(),
            input: HopInput::Latest {
                input: input.into(),
                seq,
            },
        };
        check_table(
            read_ussd_hop,
            vec![
                (
                    signed(
                        path,
                        r#"{"session_id": "g-1", "phone": "+919876543210", "service_code": "*384*25#", "input": "", "hop": 1}"#,
                    ),
                    Ok(hop("", Some(1))),
                ),
                (
                    signed(
                        path,
                        r#"{"session_id": "g-1", "phone": "+919876543210", "input": "3"}"#,
                    ),
                    Ok(hop("3", None)),
                ),
                (
                    signed(path, r#"{"phone": "+919876543210", "input": ""}"#),
                    Err(WebhookError::MissingField("session_id")),
                ),
                (
                    signed(path, r#"{"session_id": "g-1", "input": ""}"#),
                    Err(WebhookError::MissingField("phone")),
                ),
                (
                    signed(path, r#"{"session_id": "g-1", "phone": "+919876543210"}"#),
                    Err(WebhookError::MissingField("input")),
                ),
            ],
        );
    }

    #[test]
    fn a_signed_end_of_session_is_read() {
        let path = "/webhooks/generic/ussd/end";
        check_table(
            read_ussd_end,
            vec![
                (
                    signed(path, r#"{"session_id": "g-1"}"#),
                    Ok(UssdSessionEnd {
                        session_id: "g-1".into(),
                    }),
                ),
                (
                    signed(path, "{}"),
                    Err(WebhookError::MissingField("session_id")),
                ),
            ],
        );
    }

    #[test]
    fn a_signed_sms_and_missed_call_are_read() {
        let sms = |id: Option<&str>, text: &str| InboundSms {
            message_id: id.map(str::to_string),
            from: "+919876543210".into(),
            to: Some("CYBMTN".into()),
            text: text.into(),
        };
        let path = "/webhooks/generic/sms";
        check_table(
            read_sms,
            vec![
                (
                    signed(
                        path,
                        r#"{"message_id": "m-1", "from": "+919876543210", "to": "CYBMTN", "text": "JOIN 482918"}"#,
                    ),
                    Ok(sms(Some("m-1"), "JOIN 482918")),
                ),
                (
                    signed(
                        path,
                        r#"{"from": "+919876543210", "to": "CYBMTN", "text": ""}"#,
                    ),
                    Ok(sms(None, "")),
                ),
                (
                    signed(path, r#"{"message_id": "m-3", "from": "+919876543210"}"#),
                    Err(WebhookError::MissingField("text")),
                ),
                (
                    signed(path, r#"{"message_id": "m-4", "text": "HELP"}"#),
                    Err(WebhookError::MissingField("from")),
                ),
            ],
        );
        let path = "/webhooks/generic/missed-call";
        check_table(
            read_missed_call,
            vec![
                (
                    signed(
                        path,
                        r#"{"call_id": "c-1", "from": "+919876543210", "to": "+918047192000"}"#,
                    ),
                    Ok(MissedCall {
                        call_id: Some("c-1".into()),
                        from: "+919876543210".into(),
                        to: Some("+918047192000".into()),
                    }),
                ),
                (
                    signed(path, r#"{"call_id": "c-2"}"#),
                    Err(WebhookError::MissingField("from")),
                ),
            ],
        );
    }

    #[test]
    fn every_signed_delivery_status_is_read_and_an_unknown_one_refused() {
        let path = "/webhooks/generic/delivery";
        let report = |status, mitan_id, reason: Option<&str>, opted_out| {
            Ok(DeliveryReport {
                message_id: "g-9".into(),
                mitan_id,
                status,
                reason: reason.map(str::to_string),
                opted_out,
            })
        };
        use DeliveryStatus::{Delivered, Failed, Queued, Sent};
        let mut cases: Vec<_> = [
            ("queued", Queued),
            ("sent", Sent),
            ("delivered", Delivered),
            ("failed", Failed),
        ]
        .into_iter()
        .map(|(word, status)| {
            let body = format!(r#"{{"message_id": "g-9", "status": "{word}"}}"#);
            (signed(path, &body), report(status, None, None, false))
        })
        .collect();
        cases.extend([
            (
                signed(
                    path,
                    r#"{"message_id": "g-9", "id": "42", "status": "failed", "reason": "DND", "opted_out": true}"#,
                ),
                report(Failed, Some(42), Some("DND"), true),
            ),
            (
                signed(path, r#"{"message_id": "g-9", "status": "lost"}"#),
                Err(WebhookError::Malformed("unknown status \"lost\"".into())),
            ),
            (
                signed(path, r#"{"message_id": "g-9", "id": "x", "status": "sent"}"#),
                Err(WebhookError::Malformed("id is not a message id of mitan's".into())),
            ),
            (
                signed(path, r#"{"status": "sent"}"#),
                Err(WebhookError::MissingField("message_id")),
            ),
            (
                signed(path, r#"{"message_id": "g-9"}"#),
                Err(WebhookError::MissingField("status")),
            ),
        ]);
        check_table(read_delivery, cases);
    }
}
