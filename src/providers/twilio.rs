//! Twilio: form-encoded webhooks signed with `X-Twilio-Signature`, TwiML
//! answers, status callbacks, the `Messages.json` send API, and calls (`Calls.json`, whose flow
//! mitan answers in TwiML and whose status callbacks are signed alike).
//!
//! The signature is `base64(HMAC-SHA1(auth_token, url + name1 + value1 + …))` over the
//! URL Twilio requested (`server.public_url`, path prefix included, followed by the path and
//! query mitan sees) and the POST parameters sorted by name, a repeated name's values sorted
//! too. The URL is tried with and without the scheme's default port, as Twilio's own validators
//! do. Failure is 403.

use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use sha1::Sha1;
use subtle::ConstantTimeEq as _;

use super::form::{Fields, Names};
use super::voice::{CallOutcome, CallStatus, OutboundCall, VoiceAnswer, VoiceStep};
use super::{
    DeliveryReport, DeliveryStatus, InboundSms, MissedCall, OutboundSms, SendResult, WebhookError,
    WebhookRequest, MAX_MESSAGE_ID,
};

pub const SIGNATURE_HEADER: &str = "x-twilio-signature";
/// Twilio's own middleware answers a bad signature with 403.
pub const SIGNATURE_REFUSED: StatusCode = StatusCode::FORBIDDEN;
/// The public API's origin.
const API: &str = "https://api.twilio.com";
/// Twilio's error codes: too many requests; unsubscribed recipient; invalid and non-mobile `To`.
const TOO_MANY_REQUESTS: i64 = 20429;
const UNSUBSCRIBED: i64 = 21610;
const BAD_NUMBER: [i64; 3] = [21211, 21612, 21614];

/// `channels.<name>.…` of a Twilio channel, beyond what every channel takes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TwilioSettings {
    /// Origin of the send API; unset: the public one.
    pub base_url: Option<url::Url>,
    /// The account SID.
    pub account_sid: Option<String>,
    /// The auth token: signs Twilio's webhooks (none is accepted without it) and
    /// authenticates sends.
    pub auth_token: Option<SecretString>,
    /// The sender number.
    pub from: Option<String>,
}

/// What a send needs, by key, and whether it was given.
pub fn needs_for_sending(settings: &TwilioSettings) -> Vec<(&'static str, bool)> {
    vec![
        ("account_sid", settings.account_sid.is_some()),
        ("auth_token", settings.auth_token.is_some()),
        ("from", settings.from.is_some()),
    ]
}

/// `base64(HMAC-SHA1(token, url + sorted name/value pairs))`.
pub fn signature(token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = params.iter().collect();
    sorted.sort();
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(token.as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(url.as_bytes());
    for (name, value) in sorted {
        mac.update(name.as_bytes());
        mac.update(value.as_bytes());
    }
    BASE64.encode(mac.finalize().into_bytes())
}

/// The URL as Twilio may have signed it: `public_url` with its path prefix, if any (a proxy
/// serving mitan under `/mitan` strips it, so mitan never sees it in `path_and_query`), without
/// a trailing `/`, followed by the path and query as mitan was asked for them; as configured,
/// and without and with the scheme's default port. Never the origin without the prefix.
fn signed_urls(public_url: &str, path_and_query: &str) -> Vec<String> {
    let base = public_url.trim_end_matches('/');
    let mut urls = vec![format!("{base}{path_and_query}")];
    if let Ok(parsed) = url::Url::parse(base) {
        let (scheme, host) = (parsed.scheme(), parsed.host_str().unwrap_or_default());
        let prefix = parsed.path().trim_end_matches('/');
        let at = |port: Option<u16>| match port {
            Some(port) => format!("{scheme}://{host}:{port}{prefix}{path_and_query}"),
            None => format!("{scheme}://{host}{prefix}{path_and_query}"),
        };
        urls.push(at(parsed.port()));
        if let Some(port) = parsed.port_or_known_default() {
            urls.push(at(Some(port)));
            urls.push(at(None));
        }
    }
    urls.sort();
    urls.dedup();
    urls
}

/// Checks `X-Twilio-Signature` against the channel's auth token, in constant time, for a
/// request to `public_url` (the service's origin as Twilio calls it).
pub fn verify(
    settings: &TwilioSettings,
    public_url: &str,
    request: &WebhookRequest<'_>,
) -> Result<(), WebhookError> {
    let token = settings.auth_token.as_ref().ok_or(WebhookError::NoSecret)?;
    let given = header_value(request.headers).ok_or(WebhookError::BadSignature)?;
    let params = if *request.method == Method::POST {
        Fields::body(request.body)?.pairs().to_vec()
    } else if request.body.is_empty() {
        Vec::new()
    } else {
        // A GET is signed on its URL alone: a body on one is not Twilio's, and is not read.
        return Err(WebhookError::BadSignature);
    };
    let matches = signed_urls(public_url, request.path_and_query)
        .iter()
        .any(|url| {
            let expected = signature(token.expose_secret(), url, &params);
            bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
        });
    if matches {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

fn header_value(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|value| !value.is_empty())
}

/// An inbound SMS, signed.
pub fn read_sms(
    settings: &TwilioSettings,
    public_url: &str,
    request: &WebhookRequest<'_>,
) -> Result<InboundSms, WebhookError> {
    verify(settings, public_url, request)?;
    parse_sms(request)
}

fn parse_sms(request: &WebhookRequest<'_>) -> Result<InboundSms, WebhookError> {
    Fields::all(request)?.sms(&Names {
        id: &["MessageSid", "SmsMessageSid", "SmsSid"],
        from: &["From"],
        to: &["To"],
        text: &["Body"],
    })
}

/// A voice webhook for a call to the campaign's number, signed.
pub fn read_missed_call(
    settings: &TwilioSettings,
    public_url: &str,
    request: &WebhookRequest<'_>,
) -> Result<MissedCall, WebhookError> {
    verify(settings, public_url, request)?;
    parse_call(request)
}

fn parse_call(request: &WebhookRequest<'_>) -> Result<MissedCall, WebhookError> {
    Fields::all(request)?.call(&Names {
        id: &["CallSid"],
        from: &["From", "Caller"],
        to: &["To", "Called"],
        text: &[],
    })
}

/// A status callback, signed. `ErrorCode` 21610 means the recipient unsubscribed.
pub fn read_delivery(
    settings: &TwilioSettings,
    public_url: &str,
    request: &WebhookRequest<'_>,
) -> Result<DeliveryReport, WebhookError> {
    verify(settings, public_url, request)?;
    parse_delivery(request)
}

fn parse_delivery(request: &WebhookRequest<'_>) -> Result<DeliveryReport, WebhookError> {
    let fields = Fields::all(request)?;
    let message_id = fields.required(&["MessageSid", "SmsSid"], MAX_MESSAGE_ID)?;
    let status = match fields
        .required(&["MessageStatus", "SmsStatus"], 32)?
        .as_str()
    {
        "queued" | "accepted" | "scheduled" => DeliveryStatus::Queued,
        "sending" | "sent" | "partially_delivered" => DeliveryStatus::Sent,
        "delivered" | "read" => DeliveryStatus::Delivered,
        "failed" | "undelivered" | "canceled" => DeliveryStatus::Failed,
        other => return Err(WebhookError::Malformed(format!("unknown status {other:?}"))),
    };
    let code = fields.optional(&["ErrorCode"], 16)?;
    let opted_out = code.as_deref() == Some(&UNSUBSCRIBED.to_string());
    Ok(DeliveryReport {
        message_id,
        status,
        reason: code.map(|code| format!("ErrorCode {code}")),
        opted_out,
        mitan_id: None,
    })
}

const TWIML: &str = "text/xml; charset=utf-8";

/// TwiML that sends nothing, the answer to an SMS or a status callback taken: replies leave
/// through the outbox.
pub fn acknowledge() -> Response {
    (
        [(header::CONTENT_TYPE, TWIML)],
        r#"<?xml version="1.0" encoding="UTF-8"?><Response/>"#,
    )
        .into_response()
}

/// TwiML that rejects a call unanswered (a missed call costs the caller nothing).
pub fn answer_missed_call() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, TWIML)],
        r#"<?xml version="1.0" encoding="UTF-8"?><Response><Reject/></Response>"#,
    )
        .into_response()
}

#[derive(Deserialize)]
struct Created {
    sid: Option<String>,
}

#[derive(Deserialize)]
struct Problem {
    code: Option<i64>,
    message: Option<String>,
}

/// `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`, HTTP Basic auth.
/// The status callback is `delivery_url`, the channel's delivery webhook.
pub async fn send(
    client: &reqwest::Client,
    settings: &TwilioSettings,
    delivery_url: &str,
    message: &OutboundSms<'_>,
) -> SendResult {
    let (Some(sid), Some(token), Some(from)) =
        (&settings.account_sid, &settings.auth_token, &settings.from)
    else {
        return SendResult::unconfigured("account_sid, auth_token and from");
    };
    let base = super::base_url(settings.base_url.as_ref(), Some(API)).unwrap_or_default();
    let request = client
        .post(format!("{base}/2010-04-01/Accounts/{sid}/Messages.json"))
        .basic_auth(sid, Some(token.expose_secret()))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[
            ("To", message.to.e164()),
            ("From", from.as_str()),
            ("Body", message.text),
            ("StatusCallback", delivery_url),
        ]);
    created(request).await
}

/// Twilio's answer to a create (a message or a call): its `sid`, or the error by its code.
async fn created(request: reqwest::RequestBuilder) -> SendResult {
    let (status, body) = match super::exchange(request).await {
        Ok(answer) => answer,
        Err(failed) => return failed,
    };
    if status.is_success() {
        return match serde_json::from_str::<Created>(&body)
            .ok()
            .and_then(|c| c.sid)
        {
            Some(sid) => SendResult::Accepted { provider_id: sid },
            None => SendResult::permanent("accepted without a sid", false),
        };
    }
    let problem = serde_json::from_str::<Problem>(&body).ok();
    let code = problem.as_ref().and_then(|p| p.code);
    let reason = format!(
        "HTTP {} code {} {}",
        status.as_u16(),
        code.unwrap_or_default(),
        problem.and_then(|p| p.message).unwrap_or_default()
    );
    match code {
        Some(TOO_MANY_REQUESTS) => SendResult::transient(reason),
        Some(UNSUBSCRIBED) => SendResult::permanent(reason, true),
        Some(code) if BAD_NUMBER.contains(&code) => SendResult::permanent(reason, true),
        _ => SendResult::from_status(status, &reason),
    }
}

/// What a call needs, by key: the account and token (the number is the channel's
/// `voice_number`).
pub fn needs_for_calling(settings: &TwilioSettings) -> Vec<(&'static str, bool)> {
    vec![
        ("account_sid", settings.account_sid.is_some()),
        ("auth_token", settings.auth_token.is_some()),
    ]
}

/// `POST {base}/2010-04-01/Accounts/{AccountSid}/Calls.json`: Twilio calls `To` from `From` and,
/// once answered, fetches the flow (TwiML) at `Url`; `StatusCallback` hears how it ended.
pub async fn place_call(
    client: &reqwest::Client,
    settings: &TwilioSettings,
    from: &str,
    call: &OutboundCall<'_>,
) -> SendResult {
    let (Some(sid), Some(token)) = (&settings.account_sid, &settings.auth_token) else {
        return SendResult::unconfigured("account_sid and auth_token");
    };
    let base = super::base_url(settings.base_url.as_ref(), Some(API)).unwrap_or_default();
    let request = client
        .post(format!("{base}/2010-04-01/Accounts/{sid}/Calls.json"))
        .basic_auth(sid, Some(token.expose_secret()))
        .header(reqwest::header::ACCEPT, "application/json")
        .form(&[
            ("To", call.to.e164()),
            ("From", from),
            ("Url", call.flow_url),
            ("Method", "POST"),
            ("StatusCallback", call.status_url),
            ("StatusCallbackMethod", "POST"),
        ]);
    created(request).await
}

/// A fetch of the call flow, signed: `CallSid`, and `Digits` after a key.
pub fn read_voice_step(
    settings: &TwilioSettings,
    public_url: &str,
    request: &WebhookRequest<'_>,
) -> Result<VoiceStep, WebhookError> {
    verify(settings, public_url, request)?;
    let fields = Fields::all(request)?;
    Ok(VoiceStep {
        call_id: fields.optional(&["CallSid"], MAX_MESSAGE_ID)?,
        digits: super::voice::key(fields.get(&["Digits"])),
    })
}

/// A call's status callback, signed: `CallSid` and `CallStatus`.
pub fn read_call_status(
    settings: &TwilioSettings,
    public_url: &str,
    request: &WebhookRequest<'_>,
) -> Result<CallStatus, WebhookError> {
    verify(settings, public_url, request)?;
    let fields = Fields::all(request)?;
    let call_id = fields.required(&["CallSid"], MAX_MESSAGE_ID)?;
    let outcome = match fields.required(&["CallStatus"], 32)?.as_str() {
        "completed" => CallOutcome::Completed,
        "busy" => CallOutcome::Busy,
        "no-answer" => CallOutcome::NoAnswer,
        "failed" | "canceled" => CallOutcome::Failed,
        "queued" | "initiated" | "ringing" | "in-progress" => CallOutcome::Ongoing,
        other => return Err(WebhookError::Malformed(format!("unknown status {other:?}"))),
    };
    Ok(CallStatus { call_id, outcome })
}

/// TwiML.
pub fn render_voice(answer: &VoiceAnswer) -> Response {
    super::voice::render(answer, "text/xml; charset=utf-8")
}

#[cfg(test)]
mod tests {
    use super::super::testing::Arrived;
    use super::*;

    /// The published example of Twilio's webhook security documentation, from twilio-python's tests.
    const TOKEN: &str = "12345";
    const VECTOR: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";

    fn vector_params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn body(params: &[(String, String)]) -> String {
        serde_urlencoded::to_string(params).unwrap()
    }

    fn settings() -> TwilioSettings {
        TwilioSettings {
            auth_token: Some(TOKEN.into()),
            ..TwilioSettings::default()
        }
    }

    fn check(public_url: &str, path: &str, body: &str, signature: Option<&str>) -> bool {
        let mut headers = HeaderMap::new();
        if let Some(signature) = signature {
            headers.insert(SIGNATURE_HEADER, signature.parse().unwrap());
        }
        let request = WebhookRequest {
            method: &Method::POST,
            path_and_query: path,
            query: path.split_once('?').map_or("", |(_, q)| q),
            headers: &headers,
            body: body.as_bytes(),
        };
        verify(&settings(), public_url, &request).is_ok()
    }

    #[test]
    fn the_official_vector_signs_as_twilio_says() {
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(signature(TOKEN, url, &vector_params()), VECTOR);
        let mut reordered = vector_params();
        reordered.reverse();
        assert_eq!(signature(TOKEN, url, &reordered), VECTOR);
    }

    #[test]
    fn the_official_vector_verifies_with_and_without_the_default_port() {
        let body = body(&vector_params());
        let path = "/myapp.php?foo=1&bar=2";
        for origin in [
            "https://mycompany.com",
            "https://mycompany.com/",
            "https://mycompany.com:443",
        ] {
            assert!(check(origin, path, &body, Some(VECTOR)), "{origin}");
        }
        let mut reversed = vector_params();
        reversed.reverse();
        assert!(check(
            "https://mycompany.com",
            path,
            &super::tests::body(&reversed),
            Some(VECTOR)
        ));
    }

    #[test]
    fn a_path_prefix_in_the_public_url_is_signed_and_cannot_be_left_out() {
        let body = body(&vector_params());
        let path = "/webhooks/twilio/sms";
        let signed = |url: &str| signature(TOKEN, url, &vector_params());
        let prefixed = signed("https://example.org/mitan/webhooks/twilio/sms");
        for origin in [
            "https://example.org/mitan",
            "https://example.org/mitan/",
            "https://example.org:443/mitan",
        ] {
            assert!(check(origin, path, &body, Some(&prefixed)), "{origin}");
            for wrong in [
                "https://example.org/webhooks/twilio/sms",
                "https://example.org:443/webhooks/twilio/sms",
                "https://example.org/mitan//webhooks/twilio/sms",
            ] {
                assert!(
                    !check(origin, path, &body, Some(&signed(wrong))),
                    "{origin} {wrong}"
                );
            }
        }
        let with_port = signed("https://example.org:443/mitan/webhooks/twilio/sms");
        assert!(check(
            "https://example.org/mitan",
            path,
            &body,
            Some(&with_port)
        ));
    }

    #[test]
    fn forged_truncated_and_misplaced_signatures_are_refused() {
        let good = body(&vector_params());
        let path = "/myapp.php?foo=1&bar=2";
        let origin = "https://mycompany.com";
        let forged = good.replace("Digits=1234", "Digits=1235");
        let added = format!("{good}&Extra=1");
        let truncated = &VECTOR[..VECTOR.len() - 4];
        let cases: [(&str, &str, &str, Option<&str>); 8] = [
            (origin, path, &forged, Some(VECTOR)),
            (origin, path, &added, Some(VECTOR)),
            (origin, path, &good, Some(truncated)),
            (origin, path, &good, Some("")),
            (origin, path, &good, None),
            (origin, "/myapp.php?foo=1&bar=3", &good, Some(VECTOR)),
            (origin, "/myapp.php?bar=2&foo=1", &good, Some(VECTOR)),
            ("http://mycompany.com", path, &good, Some(VECTOR)),
        ];
        for (origin, path, body, signature) in cases {
            assert!(
                !check(origin, path, body, signature),
                "{origin}{path} {body} {signature:?}"
            );
        }
        let lower = VECTOR.to_ascii_lowercase();
        assert!(!check(origin, path, &good, Some(&lower)));
    }

    #[test]
    fn a_body_on_a_signed_get_is_refused_for_the_signature_does_not_cover_it() {
        let (settings, origin) = (settings(), "https://mycompany.com");
        let path = "/webhooks/twilio/sms?MessageSid=SM1&Body=HELP";
        let signed = signature(TOKEN, &format!("https://mycompany.com{path}"), &[]);
        let mut headers = HeaderMap::new();
        headers.insert(SIGNATURE_HEADER, signed.parse().unwrap());
        let request = |body: &'static [u8]| WebhookRequest {
            method: &Method::GET,
            path_and_query: path,
            query: path.split_once('?').map_or("", |(_, q)| q),
            headers: &headers,
            body,
        };
        assert_eq!(verify(&settings, origin, &request(b"")), Ok(()));
        assert_eq!(
            verify(&settings, origin, &request(b"From=%2B919876543210")),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn repeated_names_are_signed_with_their_values_sorted() {
        let url = "https://example.com/hook";
        let one: Vec<(String, String)> = [("A", "2"), ("A", "1"), ("B", "")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut other = one.clone();
        other.swap(0, 1);
        assert_eq!(signature("t", url, &one), signature("t", url, &other));
        // An empty value still contributes its name.
        let without_b: Vec<_> = one.iter().take(2).cloned().collect();
        assert_ne!(signature("t", url, &one), signature("t", url, &without_b));
    }

    #[test]
    fn a_channel_without_an_auth_token_refuses_everything() {
        let settings = TwilioSettings::default();
        let request = WebhookRequest {
            method: &Method::POST,
            path_and_query: "/",
            query: "",
            headers: &HeaderMap::new(),
            body: b"",
        };
        assert_eq!(
            verify(&settings, "https://mycompany.com", &request),
            Err(WebhookError::NoSecret)
        );
    }

    /// The service's origin as Twilio calls it, in the readers' tables.
    const ORIGIN: &str = "https://mitan.example.org";

    /// A form Twilio posts to `path`, signed as Twilio signs it (or not, or badly).
    fn posted(path: &str, fields: &[(&str, &str)], signed: Option<&str>) -> Arrived {
        let arrived = Arrived::form(path, fields);
        let pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let good = signature(TOKEN, &format!("{ORIGIN}{path}"), &pairs);
        match signed {
            Some("good") => arrived.header(SIGNATURE_HEADER, &good),
            Some(other) => arrived.header(SIGNATURE_HEADER, other),
            None => arrived,
        }
    }

    /// A `GET` with its fields in the query, signed on its URL alone.
    fn fetched(path: &str, fields: &[(&str, &str)]) -> Arrived {
        let arrived = Arrived::get(path, fields);
        let good = signature(TOKEN, &format!("{ORIGIN}{}", arrived.path_and_query()), &[]);
        arrived.header(SIGNATURE_HEADER, &good)
    }

    #[test]
    fn an_inbound_sms_is_read_once_its_signature_is_checked() {
        let path = "/webhooks/twilio/sms";
        let sms = |id: Option<&str>, text: &str| InboundSms {
            message_id: id.map(str::to_string),
            from: "+919876543210".into(),
            to: Some("+15005550006".into()),
            text: text.into(),
        };
        let full = [
            ("MessageSid", "SM0001"),
            ("AccountSid", "AC123"),
            ("From", "+919876543210"),
            ("To", "+15005550006"),
            ("Body", "JOIN 482918"),
            ("NumMedia", "0"),
        ];
        let cases = [
            (
                posted(path, &full, Some("good")),
                Ok(sms(Some("SM0001"), "JOIN 482918")),
            ),
            (
                posted(
                    path,
                    &[
                        ("SmsSid", "SM0002"),
                        ("From", "+919876543210"),
                        ("To", "+15005550006"),
                        ("Body", ""),
                    ],
                    Some("good"),
                ),
                Ok(sms(Some("SM0002"), "")),
            ),
            (
                fetched(
                    path,
                    &[
                        ("MessageSid", "SM0003"),
                        ("From", "+919876543210"),
                        ("To", "+15005550006"),
                        ("Body", "HELP"),
                    ],
                ),
                Ok(sms(Some("SM0003"), "HELP")),
            ),
            (
                posted(
                    path,
                    &[
                        ("MessageSid", "SM0004"),
                        ("From", "+919876543210"),
                        ("To", "+15005550006"),
                    ],
                    Some("good"),
                ),
                Err(WebhookError::MissingField("Body")),
            ),
            (
                posted(
                    path,
                    &[("MessageSid", "SM0005"), ("Body", "HELP")],
                    Some("good"),
                ),
                Err(WebhookError::MissingField("From")),
            ),
            (posted(path, &full, None), Err(WebhookError::BadSignature)),
            (
                posted(path, &full, Some(VECTOR)),
                Err(WebhookError::BadSignature),
            ),
        ];
        for (arrived, read) in cases {
            assert_eq!(
                read_sms(&settings(), ORIGIN, &arrived.request()),
                read,
                "{arrived:?}"
            );
        }
        let unconfigured = posted(path, &full, Some("good"));
        assert_eq!(
            read_sms(&TwilioSettings::default(), ORIGIN, &unconfigured.request()),
            Err(WebhookError::NoSecret)
        );
    }

    #[test]
    fn a_voice_webhook_is_a_missed_call() {
        let path = "/webhooks/twilio/missed-call";
        let call = |id: &str| MissedCall {
            call_id: Some(id.into()),
            from: "+919876543210".into(),
            to: Some("+15005550006".into()),
        };
        let cases = [
            (
                posted(
                    path,
                    &[
                        ("CallSid", "CA01"),
                        ("From", "+919876543210"),
                        ("To", "+15005550006"),
                        ("CallStatus", "ringing"),
                    ],
                    Some("good"),
                ),
                Ok(call("CA01")),
            ),
            (
                posted(
                    path,
                    &[
                        ("CallSid", "CA02"),
                        ("Caller", "+919876543210"),
                        ("Called", "+15005550006"),
                    ],
                    Some("good"),
                ),
                Ok(call("CA02")),
            ),
            (
                posted(
                    path,
                    &[("CallSid", "CA03"), ("To", "+15005550006")],
                    Some("good"),
                ),
                Err(WebhookError::MissingField("From")),
            ),
            (
                posted(
                    path,
                    &[("CallSid", "CA04"), ("From", "+919876543210")],
                    Some("garbage"),
                ),
                Err(WebhookError::BadSignature),
            ),
        ];
        for (arrived, read) in cases {
            assert_eq!(
                read_missed_call(&settings(), ORIGIN, &arrived.request()),
                read,
                "{arrived:?}"
            );
        }
    }

    #[test]
    fn every_message_status_is_read_and_an_unknown_one_refused() {
        let path = "/webhooks/twilio/delivery";
        let report = |fields: &[(&str, &str)]| {
            read_delivery(
                &settings(),
                ORIGIN,
                &posted(path, fields, Some("good")).request(),
            )
        };
        let read = |status, reason: Option<&str>, opted_out| {
            Ok(DeliveryReport {
                message_id: "SM0001".into(),
                mitan_id: None,
                status,
                reason: reason.map(str::to_string),
                opted_out,
            })
        };
        use DeliveryStatus::{Delivered, Failed, Queued, Sent};
        for (word, status) in [
            ("queued", Queued),
            ("accepted", Queued),
            ("scheduled", Queued),
            ("sending", Sent),
            ("sent", Sent),
            ("partially_delivered", Sent),
            ("delivered", Delivered),
            ("read", Delivered),
            ("failed", Failed),
            ("undelivered", Failed),
            ("canceled", Failed),
        ] {
            assert_eq!(
                report(&[("MessageSid", "SM0001"), ("MessageStatus", word)]),
                read(status, None, false),
                "{word}"
            );
        }
        let cases = [
            (
                vec![
                    ("MessageSid", "SM0001"),
                    ("MessageStatus", "undelivered"),
                    ("ErrorCode", "21610"),
                ],
                read(Failed, Some("ErrorCode 21610"), true),
            ),
            (
                vec![
                    ("MessageSid", "SM0001"),
                    ("MessageStatus", "undelivered"),
                    ("ErrorCode", "30003"),
                ],
                read(Failed, Some("ErrorCode 30003"), false),
            ),
            (
                vec![("SmsSid", "SM0001"), ("SmsStatus", "delivered")],
                read(Delivered, None, false),
            ),
            (
                vec![("MessageSid", "SM0001"), ("MessageStatus", "lost")],
                Err(WebhookError::Malformed("unknown status \"lost\"".into())),
            ),
            (
                vec![("MessageStatus", "delivered")],
                Err(WebhookError::MissingField("MessageSid")),
            ),
            (
                vec![("MessageSid", "SM0001")],
                Err(WebhookError::MissingField("MessageStatus")),
            ),
        ];
        for (fields, read) in cases {
            assert_eq!(report(&fields), read, "{fields:?}");
        }
        let unsigned = posted(
            path,
            &[("MessageSid", "SM0001"), ("MessageStatus", "delivered")],
            None,
        );
        assert_eq!(
            read_delivery(&settings(), ORIGIN, &unsigned.request()),
            Err(WebhookError::BadSignature)
        );
    }
}
