//! What a broken or hostile aggregator (or anyone who finds a webhook's address) may send:
//! values, form and JSON bodies built from the real field names, raw bytes. Shared by the
//! fuzz properties and the HTTP fuzz.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::helpers::every_test_number;

/// How a request is signed, where its kind signs requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signature {
    Valid,
    Missing,
    Garbage,
    /// Signed right, then what the signature covers changed (the body, or a GET's URL).
    Tampered,
}

/// The field names of every dialect's webhooks (Africa's Talking and console, Twilio, Exotel,
/// Kannel, generic), with a few that belong to none.
pub const FIELDS: &[&str] = &[
    // Africa's Talking
    "sessionId",
    "serviceCode",
    "phoneNumber",
    "networkCode",
    "text",
    "from",
    "to",
    "id",
    "date",
    "linkId",
    "callerNumber",
    "destinationNumber",
    "isActive",
    "direction",
    "status",
    "failureReason",
    "input",
    // Twilio
    "MessageSid",
    "SmsMessageSid",
    "SmsSid",
    "AccountSid",
    "From",
    "To",
    "Body",
    "NumMedia",
    "CallSid",
    "Caller",
    "Called",
    "CallStatus",
    "MessageStatus",
    "SmsStatus",
    "ErrorCode",
    // Exotel
    "Sid",
    "CallFrom",
    "CallTo",
    "Status",
    "DetailedStatus",
    "DetailedStatusCode",
    // Kannel
    "sender",
    "receiver",
    "message",
    "reason",
    "answer",
    // generic
    "session_id",
    "phone",
    "service_code",
    "hop",
    "message_id",
    "call_id",
    "opted_out",
    // nobody's
    "",
    "sessionid",
    "FROM",
    "__proto__",
];

/// A webhook route, as every provider has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    UssdHop,
    UssdEnd,
    Sms,
    MissedCall,
    Delivery,
}

pub const ROUTES: [Route; 5] = [
    Route::UssdHop,
    Route::UssdEnd,
    Route::Sms,
    Route::MissedCall,
    Route::Delivery,
];

impl Route {
    /// The path under `/webhooks/{channel}/`.
    pub fn path(self) -> &'static str {
        match self {
            Route::UssdHop => "ussd",
            Route::UssdEnd => "ussd/end",
            Route::Sms => "sms",
            Route::MissedCall => "missed-call",
            Route::Delivery => "delivery",
        }
    }
}

/// The fields a kind of channel sends on a route (those it reads, and some it does not).
pub fn names(kind: &str, route: Route) -> &'static [&'static str] {
    match (kind, route) {
        ("africastalking" | "console", Route::UssdHop) => &[
            "sessionId",
            "serviceCode",
            "phoneNumber",
            "networkCode",
            "text",
        ],
        ("africastalking" | "console", Route::UssdEnd) => {
            &["sessionId", "phoneNumber", "status", "input", "networkCode"]
        }
        ("africastalking" | "console", Route::Sms) => {
            &["id", "from", "to", "text", "date", "linkId", "networkCode"]
        }
        ("africastalking" | "console", Route::MissedCall) => &[
            "sessionId",
            "id",
            "callerNumber",
            "from",
            "destinationNumber",
            "to",
            "isActive",
        ],
        ("africastalking" | "console", Route::Delivery) => &[
            "id",
            "status",
            "failureReason",
            "phoneNumber",
            "networkCode",
        ],
        ("twilio", Route::Sms) => &[
            "MessageSid",
            "SmsMessageSid",
            "SmsSid",
            "AccountSid",
            "From",
            "To",
            "Body",
        ],
        ("twilio", Route::MissedCall) => {
            &["CallSid", "From", "Caller", "To", "Called", "CallStatus"]
        }
        ("twilio", Route::Delivery) => &[
            "MessageSid",
            "SmsSid",
            "MessageStatus",
            "SmsStatus",
            "ErrorCode",
        ],
        ("exotel", Route::Sms) => &["SmsSid", "Sid", "From", "To", "Body"],
        ("exotel", Route::MissedCall) => &["CallSid", "CallFrom", "From", "CallTo", "To"],
        ("exotel", Route::Delivery) => {
            &["SmsSid", "Status", "DetailedStatus", "DetailedStatusCode"]
        }
        ("kannel", Route::Sms) => &["id", "sender", "from", "to", "receiver", "message", "text"],
        ("kannel", Route::Delivery) => &["id", "status", "reason", "answer"],
        ("generic", Route::UssdHop) => &["session_id", "phone", "service_code", "input", "hop"],
        ("generic", Route::UssdEnd) => &["session_id"],
        ("generic", Route::Sms) => &["message_id", "from", "to", "text"],
        ("generic", Route::MissedCall) => &["call_id", "from", "to"],
        ("generic", Route::Delivery) => &["message_id", "id", "status", "reason", "opted_out"],
        _ => FIELDS,
    }
}

/// A body in the kind's own dialect (a JSON object for generic, a form for the others), of
/// its own field names, each maybe missing or repeated, with hostile values.
pub fn dialect_body(kind: &str, route: Route) -> BoxedStrategy<Vec<u8>> {
    let names = names(kind, route);
    if kind == "generic" {
        json_object(names).prop_map(String::into_bytes).boxed()
    } else {
        form_of(names).prop_map(String::into_bytes).boxed()
    }
}

/// Every status word of every dialect's delivery reports, and numeric Kannel bits.
pub const STATUSES: &[&str] = &[
    "Success",
    "Sent",
    "Submitted",
    "Buffered",
    "Rejected",
    "Failed",
    "Expired",
    "delivered",
    "sent",
    "failed",
    "queued",
    "accepted",
    "scheduled",
    "sending",
    "partially_delivered",
    "read",
    "undelivered",
    "canceled",
    "submitted",
    "failed_dnd",
    "DELIVERED_TO_HANDSET",
    "FAILED_DND",
    "FAILED_DLT_CONSENT",
    "UserInBlackList",
    "UserNotSubscribedToProduct",
    "21610",
    "0",
    "1",
    "2",
    "4",
    "8",
    "16",
    "31",
    "4294967296",
    "-1",
];

/// A test number in one of the ways people and aggregators write numbers.
pub fn test_number() -> impl Strategy<Value = String> {
    let numbers = every_test_number();
    (proptest::sample::select(numbers), 0..8usize).prop_map(|(e164, form)| {
        let national = &e164[3..];
        match form {
            0 | 1 => e164.clone(),
            2 => format!("0{national}"),
            3 => national.to_string(),
            4 => e164[1..].to_string(),
            5 => format!("+91 {} {}", &national[..5], &national[5..]),
            6 => format!("0091-{national}"),
            _ => format!("(+91) {}-{}", &national[..5], &national[5..]),
        }
    })
}

/// One value of a field: test numbers, words the dialects use, USSD paths, edges of every
/// length limit, and anything at all.
pub fn value() -> BoxedStrategy<String> {
    prop_oneof![
        4 => test_number(),
        2 => proptest::sample::select(STATUSES).prop_map(str::to_string),
        2 => "[0-9*#]{0,24}",
        1 => "[0-9]{1,3}(\\*[0-9]{1,6}){0,12}",
        2 => any::<String>(),
        1 => "[\\u{0900}-\\u{097F}\\u{200C}\\u{200D} ]{0,40}",
        1 => "[\\x00-\\x1f\\x7f\"'<>&%\\\\{}\\[\\]]{0,12}",
        1 => ("[a-zA-Z0-9_-]{0,12}", "[a-zA-Z0-9]{0,4}").prop_map(|(a, b)| format!("{a}\0{b}")),
        1 => Just(String::new()),
        1 => "[ \t\r\n]{1,4}",
        1 => (0..6usize, "[a-zA-Z0-9]").prop_map(|(edge, c)| {
            // Around every bound the readers keep: ids and phones 128, USSD input 1024 and
            // 8192, SMS text 1600.
            let len = [127, 128, 129, 1025, 1601, 8193][edge];
            c.repeat(len)
        }),
        1 => Just("1e400".to_string()),
        1 => Just("99999999999999999999".to_string()),
    ]
    .boxed()
}

/// How one name or value is written into a form: percent-encoded as browsers do, raw (so `&`,
/// `=` and `%` in it mean what they mean), or with broken escapes and invalid UTF-8.
pub fn form_text() -> impl Strategy<Value = String> {
    (value(), 0..10usize, "%[0-9A-Fa-fG-Zg-z]{0,2}").prop_map(|(value, how, escape)| match how {
        0..=5 => form_urlencoded::byte_serialize(value.as_bytes()).collect(),
        6 | 7 => value,
        8 => format!("{value}{escape}"),
        _ => format!("%FF%FE{value}%C3%28%ED%A0%80"),
    })
}

/// A form body (or query string) of real field names with hostile values: missing, repeated
/// and unknown fields, names in the wrong case.
pub fn form() -> impl Strategy<Value = String> {
    form_of(FIELDS)
}

/// A form of `names`, each maybe missing, repeated or without a value.
pub fn form_of(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let pair = (proptest::sample::select(names), form_text(), 0..8u8);
    proptest::collection::vec(pair, 0..names.len().min(8) + 4).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(name, value, bare)| {
                if bare == 0 {
                    name.to_string()
                } else {
                    format!("{name}={value}")
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// A JSON value of any shape, a few levels deep.
pub fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        (0..100usize).prop_map(|n| Value::from(919_876_500_000_u64 + n as u64)),
        value().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((proptest::sample::select(FIELDS), inner), 0..6).prop_map(
                |pairs| Value::Object(
                    pairs
                        .into_iter()
                        .map(|(name, value)| (name.to_string(), value))
                        .collect()
                )
            ),
        ]
    })
}

/// A JSON object written by hand from real field names, so that a name may come twice, with
/// values of any type: what a broken relay sends to the generic channel.
pub fn json_object(names: &'static [&'static str]) -> impl Strategy<Value = String> {
    let member = prop_oneof![
        3 => value().prop_map(serde_json::Value::String),
        1 => json_value(),
    ];
    let pair = (proptest::sample::select(names), member);
    proptest::collection::vec(pair, 0..names.len().min(8) + 3).prop_map(|pairs| {
        let members: Vec<String> = pairs
            .into_iter()
            .map(|(name, value)| format!("{}:{value}", serde_json::Value::from(name)))
            .collect();
        format!("{{{}}}", members.join(","))
    })
}

/// Bytes of any kind, sometimes long.
pub fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..256),
        1 => proptest::collection::vec(any::<u8>(), 0..max),
    ]
}

/// A runner that draws the same values every run: a failure names its seed and case, and
/// `FUZZ_SEED=<seed>` draws another sequence.
pub fn seeded_runner(default_seed: u64) -> (TestRunner, u64) {
    let seed = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(default_seed);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    (TestRunner::new_with_rng(Config::default(), rng), seed)
}

/// One value drawn from `strategy`.
pub fn draw<S: Strategy>(runner: &mut TestRunner, strategy: &S) -> S::Value {
    use proptest::strategy::ValueTree as _;
    strategy
        .new_tree(runner)
        .expect("strategies here never reject")
        .current()
}
