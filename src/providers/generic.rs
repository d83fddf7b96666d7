//! mitan's own JSON contract, for an Indian USSD aggregator or a small relay to connect to.
//!
//! Request: `POST` JSON `{"session_id": "…", "phone": "+91…", "service_code": "*384*25#",
//! "input": "<latest input only; empty on the first hop>", "hop": <optional hop number, 1 on the
//! first hop; a retry repeats it>}` with the header
//! `X-Mitan-Signature: sha256=<lowercase hex HMAC-SHA256 of the raw body under the channel secret>`.
//! Reply: `{"action": "continue" | "end", "text": "…"}`.

use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{bounded, HopInput, UssdHop, UssdReply, UssdSessionEnd, WebhookError};
use super::{MAX_INPUT, MAX_PHONE_FIELD, MAX_SESSION_ID};

pub const SIGNATURE_HEADER: &str = "x-mitan-signature";

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

pub fn parse_ussd_hop(body: &[u8]) -> Result<UssdHop, WebhookError> {
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

pub fn parse_ussd_end(body: &[u8]) -> Result<UssdSessionEnd, WebhookError> {
    let end: EndBody =
        serde_json::from_slice(body).map_err(|err| WebhookError::Malformed(err.to_string()))?;
    let session_id = end
        .session_id
        .ok_or(WebhookError::MissingField("session_id"))?;
    Ok(UssdSessionEnd {
        session_id: bounded(session_id, "session_id", MAX_SESSION_ID)?,
    })
}

#[derive(Serialize)]
struct ReplyBody<'a> {
    action: &'static str,
    text: &'a str,
}

pub fn render_ussd(reply: &UssdReply) -> Response {
    Json(ReplyBody {
        action: if reply.end { "end" } else { "continue" },
        text: &reply.text,
    })
    .into_response()
}

#[cfg(test)]
mod tests {
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
}
