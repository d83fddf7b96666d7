//! Africa's Talking (PROTOCOLS.md §1): form-encoded USSD hops whose `text` holds every input so
//! far joined by `*`; replies are `text/plain` starting `CON ` or `END `.

use std::collections::HashMap;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::{bounded, HopInput, UssdHop, UssdReply, UssdSessionEnd, WebhookError};
use super::{MAX_INPUT, MAX_PHONE_FIELD, MAX_SESSION_ID};

fn form(body: &[u8]) -> Result<HashMap<String, String>, WebhookError> {
    serde_urlencoded::from_bytes(body).map_err(|err| WebhookError::Malformed(err.to_string()))
}

fn take(fields: &mut HashMap<String, String>, name: &'static str) -> Result<String, WebhookError> {
    fields.remove(name).ok_or(WebhookError::MissingField(name))
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
pub fn parse_ussd_end(body: &[u8]) -> Result<UssdSessionEnd, WebhookError> {
    let mut fields = form(body)?;
    let session_id = bounded(take(&mut fields, "sessionId")?, "sessionId", MAX_SESSION_ID)?;
    Ok(UssdSessionEnd { session_id })
}

pub fn render_ussd(reply: &UssdReply) -> Response {
    let prefix = if reply.end { "END" } else { "CON" };
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{prefix} {}", reply.text),
    )
        .into_response()
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
