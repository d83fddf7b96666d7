//! Every webhook route of the real app, for every kind of channel, under thousands of
//! generated requests: malformed and valid-looking bodies, bodies just under and over
//! `server.max_body_bytes`, wrong content types and methods, hostile values, random bytes,
//! valid, missing, garbage and tampered signatures. No answer is a 5xx; each is the route's own
//! (a `CON `/`END ` screen, `{action, text}`, the provider's acknowledgement) or a 4xx
//! `application/problem+json`; none holds a test number. The counts are printed
//! (`cargo test --test api fuzz::webhooks -- --nocapture`); `FUZZ_SEED` draws other requests.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use figment::providers::Serialized;
use mitan::providers::{generic, twilio};
use proptest::prelude::*;

use super::hostile::{
    bytes, dialect_body, draw, seeded_runner, test_number, value, Route, Signature, ROUTES,
    STATUSES,
};
use crate::helpers::{content_type, holds_test_number, spawn_app_with, TestApp, GENERIC_SECRET};

const TWILIO_TOKEN: &str = "fuzz-twilio-token";
/// `server.max_body_bytes` of the app under fuzz: small, so bodies around it are cheap.
const MAX_BODY: usize = 8192;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Size {
    AsDrawn,
    /// Padded to just under the limit.
    JustUnder,
    /// Padded past the limit.
    Over,
}

/// One generated request.
#[derive(Debug, Clone)]
struct Case {
    channel: &'static str,
    route: Route,
    method: &'static str,
    content_type: Option<&'static str>,
    query: String,
    body: Vec<u8>,
    signature: Signature,
    size: Size,
}

const CONTENT_TYPES: [Option<&str>; 7] = [
    Some("application/x-www-form-urlencoded"),
    Some("application/x-www-form-urlencoded"),
    Some("application/json"),
    Some("text/plain; charset=utf-8"),
    Some("multipart/form-data; boundary=x"),
    Some("application/x-www-form-urlencoded; charset=ISO-8859-1"),
    None,
];

/// A request an aggregator would send: every field it reads, with plausible values (numbers
/// of the suite, keywords, USSD paths, ids from a small pool so that some are retries).
fn realistic(channel: &'static str, route: Route) -> BoxedStrategy<Vec<u8>> {
    let id = prop_oneof!["id-[0-9]", "[A-Za-z0-9_-]{8,40}"];
    let text = prop_oneof![
        3 => proptest::sample::select(vec![
            "JOIN", "STOP", "YES", "haan", "HELP", "TIP", "LANG HI", "DELETE", "STATUS", "CODE",
            "START", "JOIN 5724", "INVITE 9876543210", "बंद", "5724",
        ])
        .prop_map(str::to_string),
        1 => value(),
    ];
    let path = "[0-9]{1,2}(\\*[0-9]{1,6}){0,5}|";
    let own: &[&str] = match channel {
        "twilio" => &[
            "queued",
            "sent",
            "delivered",
            "failed",
            "undelivered",
            "read",
        ],
        "exotel" => &[
            "queued",
            "sending",
            "submitted",
            "sent",
            "failed",
            "failed_dnd",
        ],
        "kannel" => &["1", "2", "4", "8", "16"],
        "generic" => &["queued", "sent", "delivered", "failed"],
        _ => &[
            "Success",
            "Sent",
            "Submitted",
            "Buffered",
            "Rejected",
            "Failed",
            "Expired",
        ],
    };
    let status = prop_oneof![
        3 => proptest::sample::select(own),
        1 => proptest::sample::select(STATUSES),
    ];
    let fields = (
        test_number(),
        test_number(),
        id,
        text,
        path,
        status,
        any::<u32>(),
    );
    // Sometimes one field (the `n`th) holds any hostile value instead.
    let spoiled = proptest::option::weighted(0.4, (any::<usize>(), value()));
    (fields, spoiled)
        .prop_map(move |((from, to, id, text, path, status, hop), spoiled)| {
            let session = format!("s-{}", hop % 8);
            let pairs: Vec<(&str, String)> = match (channel, route) {
                ("generic", Route::UssdHop) => {
                    let input = path.rsplit('*').next().unwrap_or_default().to_string();
                    let mut hop = serde_json::json!({
                        "session_id": session, "phone": from, "service_code": "*384*25#",
                        "input": input, "hop": hop % 6,
                    });
                    if let Some((n, hostile)) = spoiled {
                        let field = ["session_id", "phone", "input"][n % 3];
                        hop[field] = hostile.into();
                    }
                    return hop.to_string().into_bytes();
                }
                ("generic", Route::UssdEnd) => vec![("session_id", session)],
                ("generic", Route::Sms) => vec![
                    ("message_id", id),
                    ("from", from),
                    ("to", "56767".into()),
                    ("text", text),
                ],
                ("generic", Route::MissedCall) => {
                    vec![("call_id", id), ("from", from), ("to", to)]
                }
                ("generic", Route::Delivery) => vec![
                    ("message_id", id),
                    ("id", (hop % 50).to_string()),
                    ("status", status.to_string()),
                ],
                (_, Route::UssdHop) => vec![
                    ("sessionId", session),
                    ("serviceCode", "*384*25#".into()),
                    ("phoneNumber", from),
                    ("networkCode", "40445".into()),
                    ("text", path),
                ],
                (_, Route::UssdEnd) => vec![
                    ("sessionId", session),
                    ("phoneNumber", from),
                    ("status", "Incomplete".into()),
                ],
                ("twilio", Route::Sms) => {
                    vec![
                        ("MessageSid", id),
                        ("From", from),
                        ("To", to),
                        ("Body", text),
                    ]
                }
                ("twilio", Route::MissedCall) => vec![("CallSid", id), ("From", from), ("To", to)],
                ("twilio", Route::Delivery) => vec![
                    ("MessageSid", id),
                    ("MessageStatus", status.to_string()),
                    ("ErrorCode", "21610".into()),
                ],
                ("exotel", Route::Sms) => {
                    vec![("SmsSid", id), ("From", from), ("To", to), ("Body", text)]
                }
                ("exotel", Route::MissedCall) => {
                    vec![("CallSid", id), ("CallFrom", from), ("CallTo", to)]
                }
                ("exotel", Route::Delivery) => vec![
                    ("SmsSid", id),
                    ("Status", status.to_string()),
                    ("DetailedStatus", "DELIVERED_TO_HANDSET".into()),
                ],
                ("kannel", Route::Sms) => {
                    vec![("id", id), ("sender", from), ("to", to), ("message", text)]
                }
                ("kannel", Route::Delivery) => vec![("id", id), ("status", status.to_string())],
                (_, Route::Sms) => vec![("id", id), ("from", from), ("to", to), ("text", text)],
                (_, Route::MissedCall) => vec![
                    ("sessionId", id),
                    ("callerNumber", from),
                    ("destinationNumber", to),
                ],
                (_, Route::Delivery) => vec![
                    ("id", id),
                    ("status", status.to_string()),
                    ("failureReason", "UserInBlackList".into()),
                ],
            };
            let mut pairs = pairs;
            if let Some((n, hostile)) = spoiled {
                let n = n % pairs.len();
                pairs[n].1 = hostile;
            }
            if channel == "generic" {
                let object: serde_json::Map<String, serde_json::Value> = pairs
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.into()))
                    .collect();
                serde_json::Value::Object(object).to_string().into_bytes()
            } else {
                serde_urlencoded::to_string(pairs).unwrap().into_bytes()
            }
        })
        .boxed()
}

/// Every request of one test, for its channels: one strategy per channel and route, built once.
fn cases(channels: &[&'static str]) -> impl Strategy<Value = Case> {
    let each = channels.iter().flat_map(|&channel| {
        ROUTES.iter().map(move |&route| {
            let body = prop_oneof![
                4 => realistic(channel, route),
                3 => dialect_body(channel, route),
                1 => dialect_body("generic", route),
                1 => dialect_body("africastalking", route),
                2 => bytes(1024),
            ];
            let query = prop_oneof![
                6 => Just(String::new()),
                2 => realistic(channel, route).prop_map(|q| String::from_utf8_lossy(&q).into_owned()),
                1 => dialect_body("twilio", route).prop_map(|q| String::from_utf8_lossy(&q).into_owned()),
            ];
            (query, body)
                .prop_map(move |(query, body)| (channel, route, query, body))
                .boxed()
        })
    });
    let method = proptest::sample::select(vec![
        "POST", "POST", "POST", "POST", "POST", "POST", "GET", "GET", "GET", "PUT", "DELETE",
    ]);
    let signature = proptest::sample::select(vec![
        Signature::Valid,
        Signature::Valid,
        Signature::Valid,
        Signature::Valid,
        Signature::Missing,
        Signature::Garbage,
        Signature::Tampered,
    ]);
    let size = proptest::sample::select(vec![
        Size::AsDrawn,
        Size::AsDrawn,
        Size::AsDrawn,
        Size::AsDrawn,
        Size::AsDrawn,
        Size::AsDrawn,
        Size::AsDrawn,
        Size::AsDrawn,
        Size::JustUnder,
        Size::Over,
    ]);
    (
        proptest::strategy::Union::new(each),
        method,
        proptest::sample::select(CONTENT_TYPES.to_vec()),
        signature,
        size,
    )
        .prop_map(
            |((channel, route, query, body), method, content_type, signature, size)| {
                // A GET carries its fields in the query, as aggregators send them.
                let (query, body) = if method == "GET" && query.is_empty() {
                    (String::from_utf8_lossy(&body).into_owned(), Vec::new())
                } else {
                    (query, body)
                };
                Case {
                    channel,
                    route,
                    method,
                    content_type,
                    query,
                    body,
                    signature,
                    size,
                }
            },
        )
}

impl Case {
    /// The body as it goes on the wire, padded where the case says so. A form is padded with
    /// a field of its own, so a padded request is still well formed.
    fn wire_body(&self) -> Vec<u8> {
        let target = match self.size {
            Size::AsDrawn => return self.body.clone(),
            Size::JustUnder => MAX_BODY - 1,
            Size::Over => MAX_BODY + 1 + self.body.len() % MAX_BODY,
        };
        let mut body = self.body.clone();
        if body.len() < target {
            let pad = if self.channel == "generic" {
                b' '
            } else {
                b'x'
            };
            if self.channel != "generic" {
                body.extend_from_slice(b"&pad=");
            }
            body.resize(target.max(body.len()), pad);
        }
        body.truncate(target.max(1));
        body
    }

    /// Whether the request reaches the route's handler with a signature it can check (the
    /// channel checks none, or this one is right).
    fn signed(&self) -> bool {
        match self.channel {
            "twilio" | "generic" => self.signature == Signature::Valid,
            _ => true,
        }
    }
}

/// What the fuzz saw.
#[derive(Default)]
struct Tally {
    cases: usize,
    by_status: BTreeMap<u16, usize>,
    server_errors: usize,
    malformed: usize,
    numbers: usize,
    /// Per channel and route: requests, and those taken (answered 200).
    per_route: BTreeMap<(&'static str, &'static str), (usize, usize)>,
    failures: Vec<String>,
}

impl Tally {
    fn fail(&mut self, index: usize, case: &Case, what: &str, answer: &Answer) {
        if self.failures.len() < 8 {
            let clip = |text: &str| text.chars().take(300).collect::<String>();
            let body = clip(&String::from_utf8_lossy(&case.wire_body()));
            let text = clip(&answer.body);
            self.failures.push(format!(
                "case {index}: {what}: {} /webhooks/{}/{}?{} ({:?}, {:?}, {:?}) body {body:?} \
                 → {} {:?} {text:?}",
                case.method,
                case.channel,
                case.route.path(),
                case.query,
                case.content_type,
                case.signature,
                case.size,
                answer.status,
                answer.content_type,
            ));
        }
    }
}

struct Answer {
    status: u16,
    content_type: String,
    headers: String,
    body: String,
}

/// Sends one case as an aggregator would, signing it where the channel checks signatures.
async fn send(app: &TestApp, case: &Case) -> Answer {
    let body = case.wire_body();
    let mut url =
        url::Url::parse(&app.url(&format!("/webhooks/{}/{}", case.channel, case.route.path())))
            .unwrap();
    if !case.query.is_empty() {
        url.set_query(Some(&case.query));
    }
    // What the server will see as the path and query, which Twilio's signature covers.
    let path_and_query = &url[url::Position::BeforePath..];
    let public_url = &app.state.settings.server.public_url;
    // A tampered request was signed with another body (Twilio: a form with one more field,
    // since it signs the decoded fields; a GET, another URL).
    let tampered = case.signature == Signature::Tampered;
    let signed_body = match (tampered, case.channel) {
        (true, "generic") => {
            let mut other = body.clone();
            match other.first_mut() {
                Some(first) => *first = first.wrapping_add(1),
                None => other.push(b'x'),
            }
            other
        }
        (true, _) => [&body[..], b"&tampered=1"].concat(),
        (false, _) => body.clone(),
    };
    let signed_path = if tampered && case.method != "POST" {
        format!("{path_and_query}&x=1")
    } else {
        path_and_query.to_string()
    };
    let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
    let mut request = app.client.request(method, url.clone()).body(body);
    if let Some(content_type) = case.content_type {
        request = request.header("content-type", content_type);
    }
    let signature = match (case.channel, case.signature) {
        (_, Signature::Missing) => None,
        (_, Signature::Garbage) => Some("sha256=deadbeef".to_string()),
        ("twilio", _) => {
            let params: Vec<(String, String)> = if case.method == "POST" {
                serde_urlencoded::from_bytes(&signed_body).unwrap_or_default()
            } else {
                Vec::new()
            };
            let url = format!("{public_url}{signed_path}");
            Some(twilio::signature(TWILIO_TOKEN, &url, &params))
        }
        _ => Some(generic::sign(GENERIC_SECRET, &signed_body)),
    };
    if let Some(signature) = signature {
        let header = match case.channel {
            "twilio" => twilio::SIGNATURE_HEADER,
            _ => generic::SIGNATURE_HEADER,
        };
        request = request.header(header, signature);
    }
    let response = request.send().await.expect("the app answers");
    let status = response.status().as_u16();
    let content_type = content_type(response.headers()).to_string();
    let headers = format!("{:?}", response.headers());
    let body = response.text().await.unwrap_or_default();
    Answer {
        status,
        content_type,
        headers,
        body,
    }
}

/// Whether the answer is what this route of this kind answers; `None` if it is.
fn malformed(case: &Case, answer: &Answer) -> Option<&'static str> {
    let status = answer.status;
    if case.size == Size::Over && status != 413 {
        return Some("a body over the limit was not refused with 413");
    }
    if (400..500).contains(&status) {
        let problem: Option<serde_json::Value> = serde_json::from_str(&answer.body).ok();
        let well_formed = answer.content_type == mitan::http::PROBLEM_JSON
            && problem.is_some_and(|p| p["status"] == status && p["title"].is_string());
        return (!well_formed).then_some("a 4xx that is not problem+json");
    }
    if status != 200 {
        return Some("neither 200 nor a 4xx");
    }
    if case.size == Size::Over {
        return Some("a body over the limit was not refused with 413");
    }
    if !case.signed() {
        return Some("taken without a valid signature");
    }
    let json = || serde_json::from_str::<serde_json::Value>(&answer.body).ok();
    let kind = case.channel;
    let ok = match (kind, case.route) {
        ("africastalking" | "console", Route::UssdHop) => {
            answer.content_type.starts_with("text/plain")
                && (answer.body.starts_with("CON ") || answer.body.starts_with("END "))
                && answer.body.len() > 4
        }
        ("generic", Route::UssdHop) => json().is_some_and(|reply| {
            matches!(reply["action"].as_str(), Some("continue" | "end"))
                && reply["text"].as_str().is_some_and(|t| !t.is_empty())
        }),
        (_, Route::UssdEnd) => answer.body.is_empty(),
        ("twilio", Route::MissedCall) => {
            answer.content_type.starts_with("text/xml") && answer.body.contains("<Reject/>")
        }
        ("twilio", _) => {
            answer.content_type.starts_with("text/xml") && answer.body.ends_with("<Response/>")
        }
        ("generic", _) => json().is_some_and(|ack| ack["status"] == "accepted"),
        ("africastalking", Route::MissedCall) => {
            answer.content_type == "application/xml" && answer.body.contains("<Reject/>")
        }
        _ => answer.body.is_empty(),
    };
    (!ok).then_some("not this route's answer")
}

/// Runs `count` generated requests against a fresh app with `channels` configured, checks
/// every answer, prints the counts and fails on any 5xx, malformed answer or number.
async fn fuzz(name: &str, channels: &[&'static str], count: usize, seed: u64) {
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default("server.max_body_bytes", MAX_BODY))
            .merge(Serialized::default(
                "channels.twilio.auth_token",
                TWILIO_TOKEN,
            ))
    })
    .await;
    let (mut runner, seed) = seeded_runner(seed);
    let strategy = cases(channels);
    let mut tally = Tally::default();
    for index in 0..count {
        let case = draw(&mut runner, &strategy);
        let answer = send(&app, &case).await;
        tally.cases += 1;
        *tally.by_status.entry(answer.status).or_default() += 1;
        let per_route = tally
            .per_route
            .entry((case.channel, case.route.path()))
            .or_default();
        per_route.0 += 1;
        per_route.1 += usize::from(answer.status == 200);
        if answer.status >= 500 {
            tally.server_errors += 1;
            tally.fail(index, &case, "a 5xx", &answer);
        } else if let Some(what) = malformed(&case, &answer) {
            tally.malformed += 1;
            tally.fail(index, &case, what, &answer);
        }
        if answer.body.contains(mitan::ussd::texts::BUSY) {
            tally.malformed += 1;
            tally.fail(
                index,
                &case,
                "a hop answered busy while the database is up",
                &answer,
            );
        }
        if holds_test_number(&answer.body) || holds_test_number(&answer.headers) {
            tally.numbers += 1;
            tally.fail(index, &case, "a number in the answer", &answer);
        }
    }
    let mut report = format!(
        "webhook fuzz {name} (seed {seed}): {} requests, {} 5xx, {} malformed, {} with a \
         number; by status {:?}; requests/taken per route:",
        tally.cases, tally.server_errors, tally.malformed, tally.numbers, tally.by_status
    );
    for ((channel, route), (cases, taken)) in &tally.per_route {
        let _ = write!(report, " {channel}/{route} {cases}/{taken}");
    }
    eprintln!("{report}");
    assert!(
        tally.failures.is_empty(),
        "{report}\n{}",
        tally.failures.join("\n")
    );
    // The fuzz reached the domain behind every route the kind has, not only its refusals.
    for ((channel, route), (cases, taken)) in &tally.per_route {
        let unsupported = matches!(
            (*channel, *route),
            ("twilio" | "exotel" | "kannel", "ussd" | "ussd/end") | ("kannel", "missed-call")
        );
        assert!(
            unsupported || *taken >= 5,
            "{channel}/{route}: {taken} of {cases} taken"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn africastalking_and_console_webhooks_answer_any_request_in_their_format_or_a_4xx() {
    fuzz(
        "africastalking+console",
        &["africastalking", "console"],
        2000,
        1,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twilio_exotel_and_kannel_webhooks_answer_any_request_in_their_format_or_a_4xx() {
    fuzz(
        "twilio+exotel+kannel",
        &["twilio", "exotel", "kannel"],
        2000,
        2,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generic_webhooks_answer_any_request_in_their_format_or_a_4xx() {
    fuzz("generic", &["generic"], 1200, 3).await;
}
