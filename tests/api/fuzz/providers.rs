//! Every provider's webhook readers under any request: the SMS, missed-call and delivery
//! readers of every kind (`providers::read_*`, signatures checked where the kind signs), and
//! the USSD hop and end parsers of Africa's Talking and generic. Arbitrary bytes, and bodies
//! built from the real field names with hostile values, sent signed and unsigned.

use axum::http::{HeaderMap, HeaderValue, Method};
use figment::providers::Serialized;
use mitan::config::Settings;
use mitan::providers::ChannelSettings;
use mitan::providers::{
    self, africastalking, generic, twilio, Channel, HopInput, WebhookError, WebhookRequest,
    MAX_INPUT, MAX_MESSAGE_ID, MAX_PHONE_FIELD, MAX_SESSION_ID, MAX_SMS_TEXT,
};
use proptest::prelude::*;

use super::hostile::{bytes, dialect_body, form, form_of, names, value, Route, Signature, ROUTES};
use crate::helpers::{holds_test_number, CHANNEL_KINDS, GENERIC_SECRET};

const TWILIO_TOKEN: &str = "test-twilio-token";
const PUBLIC_URL: &str = "https://mitan.example.org";

/// The default channels, with the credentials that let signed requests be signed.
fn channels() -> &'static std::collections::BTreeMap<String, ChannelSettings> {
    static CHANNELS: std::sync::OnceLock<std::collections::BTreeMap<String, ChannelSettings>> =
        std::sync::OnceLock::new();
    CHANNELS.get_or_init(|| {
        let figment = Settings::figment(None)
            .unwrap()
            .merge(Serialized::default(
                "channels.generic.secret",
                GENERIC_SECRET,
            ))
            .merge(Serialized::default(
                "channels.twilio.auth_token",
                TWILIO_TOKEN,
            ));
        Settings::from_figment(figment)
            .unwrap()
            .channels
            .into_iter()
            .collect()
    })
}

/// One webhook request as an aggregator (or anyone) might send it.
#[derive(Debug, Clone)]
struct Hostile {
    channel: &'static str,
    route: Route,
    post: bool,
    query: String,
    body: Vec<u8>,
    signature: Signature,
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let signature = proptest::sample::select(vec![
        Signature::Valid,
        Signature::Valid,
        Signature::Valid,
        Signature::Missing,
        Signature::Garbage,
        Signature::Tampered,
    ]);
    // One strategy per channel and route, built once (building them per case costs more
    // than the cases).
    let each = CHANNEL_KINDS.iter().flat_map(|&channel| {
        ROUTES.iter().map(move |&route| {
            let body = prop_oneof![
                1 => bytes(4096),
                1 => form().prop_map(String::into_bytes),
                4 => dialect_body(channel, route),
            ];
            let query = prop_oneof![
                3 => Just(String::new()),
                1 => form_of(names(channel, route)),
            ];
            (any::<bool>(), query, body)
                .prop_map(move |(post, query, body)| (channel, route, post, query, body))
                .boxed()
        })
    });
    (proptest::strategy::Union::new(each), signature).prop_map(
        |((channel, route, post, query, body), signature)| Hostile {
            channel,
            route,
            post,
            query,
            body,
            signature,
        },
    )
}

impl Hostile {
    fn path(&self) -> String {
        let path = format!("/webhooks/{}/{}", self.channel, self.route.path());
        if self.query.is_empty() {
            path
        } else {
            format!("{path}?{}", self.query)
        }
    }

    fn method(&self) -> Method {
        if self.post {
            Method::POST
        } else {
            Method::GET
        }
    }

    /// The signature headers this request carries.
    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = match self.signature {
            Signature::Missing => return headers,
            Signature::Garbage => "sha256=00ff".to_string(),
            Signature::Valid | Signature::Tampered => match self.channel {
                "twilio" => twilio_signature(&self.method(), &self.path(), &self.body),
                _ => generic::sign(GENERIC_SECRET, &self.body),
            },
        };
        let name = match self.channel {
            "twilio" => twilio::SIGNATURE_HEADER,
            _ => generic::SIGNATURE_HEADER,
        };
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
        headers
    }

    /// The body as sent: tampered after signing if the case says so.
    fn sent_body(&self) -> Vec<u8> {
        let mut body = self.body.clone();
        if self.signature != Signature::Tampered {
            return body;
        }
        if self.channel == "twilio" {
            // Twilio signs the decoded fields, and bytes that decode alike (invalid UTF-8)
            // are the same request: tampering adds a field.
            body.extend_from_slice(b"&tampered=1");
            return body;
        }
        match body.first_mut() {
            Some(first) => *first = first.wrapping_add(1),
            None => body.push(b'x'),
        }
        body
    }
}

/// `X-Twilio-Signature` as Twilio computes it: the URL, then the POST form's pairs.
fn twilio_signature(method: &Method, path: &str, body: &[u8]) -> String {
    let params: Vec<(String, String)> = if *method == Method::POST {
        serde_urlencoded::from_bytes(body).unwrap_or_default()
    } else {
        Vec::new()
    };
    twilio::signature(TWILIO_TOKEN, &format!("{PUBLIC_URL}{path}"), &params)
}

/// What a reader made of a request, in a form the checks below can look at.
#[derive(Debug)]
enum Read {
    Sms(providers::InboundSms),
    Call(providers::MissedCall),
    Report(providers::DeliveryReport),
    Hop(providers::UssdHop),
    End(providers::UssdSessionEnd),
}

fn read(case: &Hostile) -> Result<Read, WebhookError> {
    let settings = &channels()[case.channel];
    let channel = Channel {
        name: case.channel,
        settings,
        public_url: PUBLIC_URL,
    };
    let method = case.method();
    let path = case.path();
    let headers = case.headers();
    let body = case.sent_body();
    let request = WebhookRequest {
        method: &method,
        path_and_query: &path,
        query: &case.query,
        headers: &headers,
        body: &body,
    };
    match case.route {
        Route::Sms => providers::read_sms(&channel, &request).map(Read::Sms),
        Route::MissedCall => providers::read_missed_call(&channel, &request).map(Read::Call),
        Route::Delivery => providers::read_delivery(&channel, &request).map(Read::Report),
        Route::UssdHop => providers::read_ussd_hop(&channel, &request).map(Read::Hop),
        Route::UssdEnd => providers::read_ussd_end(&channel, &request).map(Read::End),
    }
}

fn bounded(value: &str, max: usize, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(!value.is_empty(), "{what} is empty");
    prop_assert!(!value.contains('\0'), "{what} holds a NUL");
    prop_assert!(value.len() <= max, "{what} is {} bytes", value.len());
    Ok(())
}

/// What every reading must satisfy: required fields present and within bounds, ids non-empty.
fn check_read(read: &Read) -> Result<(), TestCaseError> {
    let optional = |value: &Option<String>, max, what: &str| match value {
        Some(value) => bounded(value, max, what),
        None => Ok(()),
    };
    match read {
        Read::Sms(sms) => {
            optional(&sms.message_id, MAX_MESSAGE_ID, "the message id")?;
            bounded(&sms.from, MAX_PHONE_FIELD, "the sender")?;
            optional(&sms.to, MAX_PHONE_FIELD, "the recipient")?;
            prop_assert!(sms.text.len() <= MAX_SMS_TEXT);
        }
        Read::Call(call) => {
            optional(&call.call_id, MAX_MESSAGE_ID, "the call id")?;
            bounded(&call.from, MAX_PHONE_FIELD, "the caller")?;
            optional(&call.to, MAX_PHONE_FIELD, "the number called")?;
        }
        Read::Report(report) => {
            bounded(&report.message_id, MAX_MESSAGE_ID, "the message id")?;
            if let Some(reason) = &report.reason {
                prop_assert!(reason.len() <= 128, "a reason of {} bytes", reason.len());
            }
        }
        Read::Hop(hop) => {
            bounded(hop.session_id.trim(), MAX_SESSION_ID, "the session id")?;
            prop_assert!(hop.phone.len() <= MAX_PHONE_FIELD);
            match &hop.input {
                HopInput::Path(path) => prop_assert!(path.len() <= MAX_INPUT * 8),
                HopInput::Latest { input, .. } => prop_assert!(input.len() <= MAX_INPUT),
            }
        }
        Read::End(end) => prop_assert!(end.session_id.len() <= MAX_SESSION_ID),
    }
    Ok(())
}

/// A refusal is answered to whoever sent the request: it never holds a number.
fn check_refusal(err: &WebhookError) -> Result<(), TestCaseError> {
    let text = err.to_string();
    prop_assert!(
        !holds_test_number(&text),
        "the refusal {text:?} holds a number"
    );
    Ok(())
}

/// How a reader refuses `value` in `field`, if it does: too long, or holding a NUL.
fn refusal(field: &'static str, value: Option<&String>, max: usize) -> Option<WebhookError> {
    let value = value?;
    if value.len() > max {
        Some(WebhookError::TooLong(field))
    } else if value.contains('\0') {
        Some(WebhookError::Nul(field))
    } else {
        None
    }
}

fn signs(channel: &str) -> bool {
    matches!(channel, "twilio" | "generic")
}

proptest! {
    #![proptest_config(super::config(2048))]

    #[test]
    fn every_reader_of_every_kind_reads_any_request_into_its_types_or_refuses_it(
        case in hostile(),
    ) {
        match read(&case) {
            Ok(read) => {
                prop_assert!(
                    !signs(case.channel) || case.signature == Signature::Valid,
                    "read without a valid signature: {read:?}"
                );
                check_read(&read)?;
            }
            Err(err) => check_refusal(&err)?,
        }
    }

}

proptest! {
    #![proptest_config(super::config(512))]

    #[test]
    fn a_signed_twilio_request_is_read_only_from_what_its_signature_covers(
        route in proptest::sample::select(vec![Route::Sms, Route::MissedCall, Route::Delivery]),
        query in form_of(names("twilio", Route::Sms)),
        body in form_of(names("twilio", Route::Delivery)),
    ) {
        // Twilio signs a GET's URL only; a body added to a signed GET is not Twilio's.
        let signed = Hostile {
            channel: "twilio",
            route,
            post: false,
            query,
            body: Vec::new(),
            signature: Signature::Valid,
        };
        let forged = Hostile { body: body.into_bytes(), ..signed.clone() };
        // The headers Twilio signed the URL with, on both.
        let headers = signed.headers();
        let answer = |case: &Hostile| {
            let settings = &channels()["twilio"];
            let channel = Channel { name: "twilio", settings, public_url: PUBLIC_URL };
            let (method, path) = (case.method(), case.path());
            let request = WebhookRequest {
                method: &method,
                path_and_query: &path,
                query: &case.query,
                headers: &headers,
                body: &case.body,
            };
            match case.route {
                Route::Sms => format!("{:?}", providers::read_sms(&channel, &request)),
                Route::MissedCall => format!("{:?}", providers::read_missed_call(&channel, &request)),
                _ => format!("{:?}", providers::read_delivery(&channel, &request)),
            }
        };
        let read_forged = answer(&forged);
        prop_assert!(
            read_forged == answer(&signed) || read_forged.starts_with("Err"),
            "an unsigned body changed what was read: {read_forged}"
        );
    }

}

proptest! {
    #![proptest_config(super::config(1024))]

    #[test]
    fn a_form_with_every_field_once_is_read_exactly_as_sent(
        channel in proptest::sample::select(vec!["africastalking", "console", "exotel", "kannel", "twilio"]),
        id in value(),
        from in value(),
        to in value(),
        text in value(),
    ) {
        let (id_name, from_name, to_name, text_name) = match channel {
            "twilio" => ("MessageSid", "From", "To", "Body"),
            "exotel" => ("SmsSid", "From", "To", "Body"),
            "kannel" => ("id", "sender", "to", "message"),
            _ => ("id", "from", "to", "text"),
        };
        let body = serde_urlencoded::to_string([
            (id_name, &id),
            (from_name, &from),
            (to_name, &to),
            (text_name, &text),
        ])
        .unwrap();
        let case = Hostile {
            channel,
            route: Route::Sms,
            post: true,
            query: String::new(),
            body: body.into_bytes(),
            signature: Signature::Valid,
        };
        let mut refusals = Vec::new();
        if from.is_empty() {
            refusals.push(WebhookError::MissingField(from_name));
        }
        for (name, value, max) in [
            (id_name, &id, MAX_MESSAGE_ID),
            (from_name, &from, MAX_PHONE_FIELD),
            (to_name, &to, MAX_PHONE_FIELD),
            (text_name, &text, MAX_SMS_TEXT),
        ] {
            refusals.extend(refusal(name, Some(value), max));
        }
        let some = |value: &String| (!value.is_empty()).then(|| value.clone());
        match read(&case) {
            Ok(Read::Sms(sms)) => {
                prop_assert!(refusals.is_empty(), "read despite {refusals:?}");
                prop_assert_eq!(sms.message_id, some(&id));
                prop_assert_eq!(sms.from, from);
                prop_assert_eq!(sms.to, some(&to));
                prop_assert_eq!(sms.text, text);
            }
            Ok(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
            Err(err) => prop_assert!(refusals.contains(&err), "{err:?}, expected one of {refusals:?}"),
        }
    }

    #[test]
    fn a_generic_json_message_is_read_exactly_as_sent(
        message_id in proptest::option::of(value()),
        from in value(),
        to in proptest::option::of(value()),
        text in proptest::option::of(value()),
    ) {
        let body = serde_json::json!({
            "message_id": message_id, "from": from, "to": to, "text": text,
        })
        .to_string();
        let case = Hostile {
            channel: "generic",
            route: Route::Sms,
            post: true,
            query: String::new(),
            body: body.into_bytes(),
            signature: Signature::Valid,
        };
        let mut refusals = Vec::new();
        for (name, value, max) in [
            ("message_id", &message_id, MAX_MESSAGE_ID),
            ("to", &to, MAX_PHONE_FIELD),
            ("text", &text, MAX_SMS_TEXT),
        ] {
            refusals.extend(refusal(name, value.as_ref(), max));
        }
        if from.trim().is_empty() {
            refusals.push(WebhookError::MissingField("from"));
        } else {
            refusals.extend(refusal("from", Some(&from), MAX_PHONE_FIELD));
        }
        // A message without its text (absent or null) is refused; an empty text is taken.
        if text.is_none() {
            refusals.push(WebhookError::MissingField("text"));
        }
        match read(&case) {
            Ok(Read::Sms(sms)) => {
                prop_assert!(refusals.is_empty(), "read despite {refusals:?}");
                prop_assert_eq!(sms.message_id, message_id.filter(|id| !id.is_empty()));
                prop_assert_eq!(sms.from, from);
                prop_assert_eq!(sms.to, to);
                prop_assert_eq!(sms.text, text.unwrap_or_default());
            }
            Ok(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
            Err(err) => prop_assert!(refusals.contains(&err), "{err:?}, expected one of {refusals:?}"),
        }
    }

    #[test]
    fn an_africastalking_hop_keeps_the_path_as_typed(
        session in "[A-Za-z0-9_]{1,64}",
        phone in value(),
        text in value(),
    ) {
        let body = serde_urlencoded::to_string([
            ("sessionId", session.as_str()),
            ("serviceCode", "*384*25#"),
            ("phoneNumber", &phone),
            ("text", &text),
        ])
        .unwrap();
        match africastalking::parse_ussd_hop(body.as_bytes()) {
            Ok(hop) => {
                prop_assert_eq!(hop.session_id, session);
                prop_assert_eq!(hop.phone, phone);
                prop_assert_eq!(hop.input, HopInput::Path(text));
            }
            Err(err) => {
                let refusals: Vec<_> = [
                    refusal("phoneNumber", Some(&phone), MAX_PHONE_FIELD),
                    refusal("text", Some(&text), MAX_INPUT * 8),
                ]
                .into_iter()
                .flatten()
                .collect();
                prop_assert!(refusals.contains(&err), "{err:?}, expected one of {refusals:?}");
                check_refusal(&err)?;
            }
        }
    }
}
