//! The admin API's JSON bodies (every request DTO: areas, recruiters, event codes, tips,
//! broadcasts) under generated bodies, through the real extractor and handlers: JSON of any
//! shape, objects of the DTO's own field names with plausible and hostile values of any type,
//! invalid JSON, wrong content types. No answer is a 5xx; a 4xx is problem+json, a 2xx JSON;
//! none holds a test number. Counts are printed (`-- --nocapture`); `FUZZ_SEED` draws others.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{json, Value};

use super::hostile::{bytes, draw, json_value, seeded_runner, test_number, value};
use crate::helpers::{content_type, holds_test_number, spawn_app, TestApp};

/// A write route of the admin API and the fields of its body.
struct Route {
    method: &'static str,
    /// `{id}` is replaced by an id, existing or not.
    path: &'static str,
    fields: &'static [&'static str],
    /// A body the route takes (`{name}`: a fresh name), for one field of it to be spoiled.
    valid: &'static str,
}

const BROADCAST: &[&str] = &["segment", "tip_id", "drip", "texts", "send_at", "cron"];

const ROUTES: &[Route] = &[
    Route {
        method: "POST",
        path: "/areas",
        fields: &["kind", "name", "parent_id"],
        valid: r#"{"kind": "district", "name": "{name}"}"#,
    },
    Route {
        method: "PATCH",
        path: "/areas/{id}",
        fields: &["name"],
        valid: r#"{"name": "{name}"}"#,
    },
    Route {
        method: "POST",
        path: "/recruiters",
        fields: &["name", "kind", "phone", "area", "quota", "recruited_by"],
        valid: r#"{"name": "{name}", "kind": "police", "area": 1, "quota": 10}"#,
    },
    Route {
        method: "PATCH",
        path: "/recruiters/{id}",
        fields: &["name", "area", "quota"],
        valid: r#"{"name": "{name}", "quota": 12}"#,
    },
    Route {
        method: "POST",
        path: "/event-codes",
        fields: &["recruiter_id", "label", "expires_at", "max_uses"],
        valid: r#"{"recruiter_id": 1, "label": "{name}", "expires_at": "2030-01-01T00:00:00Z", "max_uses": 5}"#,
    },
    Route {
        method: "POST",
        path: "/tips",
        fields: &["category", "texts", "template_ids", "order", "active"],
        valid: r#"{"category": "otp_pin_sharing", "texts": {"en": "Never share your OTP, {name}. Call 1930.", "hi": "ओटीपी किसी को न बताएं। 1930 पर कॉल करें।"}, "template_ids": {"hi": "1107160000000012345"}, "order": 30}"#,
    },
    Route {
        method: "PATCH",
        path: "/tips/{id}",
        fields: &["category", "order", "active", "texts", "template_ids"],
        valid: r#"{"order": 7, "active": true, "texts": {"hne": "ओटीपी काकरो ल झन बतावव। 1930 म फोन करव।"}}"#,
    },
    Route {
        method: "POST",
        path: "/broadcasts",
        fields: BROADCAST,
        valid: r#"{"texts": {"hi": "ओटीपी किसी को न बताएं। 1930 पर कॉल करें।", "en": "Never share your OTP, {name}."}, "segment": {"areas": [1], "languages": ["hi", "en"]}, "send_at": "2026-12-02T11:00:00+05:30"}"#,
    },
    Route {
        method: "POST",
        path: "/broadcasts/dry-run",
        fields: BROADCAST,
        valid: r#"{"tip_id": 1, "segment": {}, "send_at": "2026-12-02T11:00:00+05:30"}"#,
    },
];

/// A value a person (or a script) might put in `field`: mostly of the right type and often
/// valid, sometimes a phone number, sometimes anything.
fn plausible(field: &'static str) -> BoxedStrategy<Value> {
    let id = prop_oneof![
        8 => (1..4i64).prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => (0..100u64).prop_map(|n| Value::from(919_876_500_000 + n)),
        1 => Just(json!("3")),
    ];
    let date = prop_oneof![
        Just(json!("2026-12-02T11:00:00+05:30")),
        Just(json!("2026-11-01T00:00:00Z")),
        Just(json!("2030-01-01T00:00:00Z")),
        Just(json!("2026-13-45T99:00:00Z")),
        Just(json!(20261202)),
    ];
    let text = prop_oneof![
        3 => Just(json!("Never share your OTP with anyone. Call 1930.")),
        1 => Just(json!("OTP kisi ko na batayein. 1930 par call karein.")),
        1 => Just(json!("ओटीपी किसी को न बताएं। 1930 पर कॉल करें।")),
        2 => value().prop_map(Value::from),
        // A good text with a control character in it (NUL cannot even be stored).
        3 => (prop_oneof![2 => Just("\0".to_string()), 1 => "[\\x01-\\x1f\\x7f]"], any::<bool>())
            .prop_map(|(c, hindi)| Value::from(if hindi {
                format!("ओटीपी किसी को न बताएं।{c} 1930 पर कॉल करें।")
            } else {
                format!("Never share your OTP.{c} Call 1930.")
            })),
        // Numbers where a tip's checks quote what they refuse: call-back numbers, links,
        // dial codes, template ids.
        2 => (test_number(), 0..4usize).prop_map(|(number, how)| {
            let digits: String = number.chars().filter(char::is_ascii_digit).collect();
            Value::from(match how {
                0 => format!("Never share your OTP. Call {number}."),
                1 => format!("Check https://{digits}.example.com first."),
                2 => format!("Dial *{digits}# to check."),
                _ => number,
            })
        }),
    ];
    let key = prop_oneof![
        8 => proptest::sample::select(vec!["hi", "hne", "en", "hi-Latn", "hne-Latn"])
            .prop_map(str::to_string),
        1 => proptest::sample::select(vec!["fr", "", "HI"]).prop_map(str::to_string),
        1 => test_number(),
    ];
    let one_text = (
        proptest::sample::select(vec!["hi", "hne", "en", "hi-Latn"]),
        text.clone(),
    )
        .prop_map(|(key, text)| json!({ key: text }));
    let texts = prop_oneof![
        one_text,
        proptest::collection::btree_map(key.clone(), text, 1..3).prop_map(|t| json!(t)),
    ];
    let template_id = prop_oneof![
        3 => "[0-9]{19}".prop_map(Value::from),
        1 => test_number().prop_map(Value::from),
        1 => value().prop_map(Value::from),
    ];
    let template_ids =
        proptest::collection::btree_map(key, template_id, 0..3).prop_map(|t| json!(t));
    let plausible: BoxedStrategy<Value> = match field {
        "kind" => proptest::sample::select(vec![
            "district", "thana", "village", "police", "ncc", "nss", "spo", "ngo", "mitan", "x",
        ])
        .prop_map(Value::from)
        .boxed(),
        "name" | "label" => prop_oneof![
            2 => "[A-Za-z ]{1,20}".prop_map(Value::from),
            1 => test_number().prop_map(|n| Value::from(format!("SI Verma {n}"))),
            1 => value().prop_map(Value::from),
        ]
        .boxed(),
        "category" => prop_oneof![
            Just(json!("otp_pin_sharing")),
            "[a-z_]{1,12}".prop_map(Value::from),
            value().prop_map(Value::from),
        ]
        .boxed(),
        "phone" => prop_oneof![
            3 => test_number().prop_map(Value::from),
            1 => (0..100u64).prop_map(|n| Value::from(919_876_500_000 + n)),
        ]
        .boxed(),
        "parent_id" | "area" | "recruited_by" | "recruiter_id" | "tip_id" => id.boxed(),
        "quota" | "max_uses" | "order" => prop_oneof![
            (0..100i64).prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
        ]
        .boxed(),
        "expires_at" | "send_at" => date.boxed(),
        "texts" => texts.boxed(),
        "template_ids" => template_ids.boxed(),
        "active" | "drip" => any::<bool>().prop_map(Value::from).boxed(),
        "cron" => {
            proptest::sample::select(vec!["0 11 * * WED#1", "0 11 * * *", "* * *", "61 25 * * *"])
                .prop_map(Value::from)
                .boxed()
        }
        "segment" => (
            proptest::collection::vec(id.clone(), 0..3),
            proptest::collection::vec(
                proptest::sample::select(vec!["hi", "hne", "en", "xx"]),
                0..3,
            ),
            proptest::collection::vec(
                proptest::sample::select(vec!["police", "mitan", "ncc", "?"]),
                0..2,
            ),
            proptest::option::of(date),
        )
            .prop_map(|(areas, languages, kinds, after)| {
                let mut segment = json!({"areas": areas, "languages": languages,
                    "recruiter_kinds": kinds});
                if let Some(after) = after {
                    segment["joined_after"] = after;
                }
                segment
            })
            .boxed(),
        _ => json_value().boxed(),
    };
    prop_oneof![9 => plausible, 1 => json_value()].boxed()
}

/// One change to one leaf of a valid body (a string, a number, a member of a nested object
/// such as `texts.hi` or `segment.areas.0`): a character slipped in, a phone number, an
/// extreme or a value of any type instead, or the leaf cut.
#[derive(Debug, Clone)]
struct Mutation {
    leaf: usize,
    at: usize,
    how: u8,
    slipped: String,
    instead: Value,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let slipped = prop_oneof![
        3 => Just("\0".to_string()),
        2 => "[\\x01-\\x1f\\x7f]",
        1 => "[\u{200B}-\u{200F}\u{202A}-\u{202E}\u{FEFF}]",
        1 => "[\"'\\\\<>&%{}#*]",
        1 => test_number(),
    ];
    let instead = prop_oneof![
        2 => test_number().prop_map(Value::from),
        1 => (0..100u64).prop_map(|n| Value::from(919_876_500_000 + n)),
        1 => proptest::sample::select(vec![i64::MAX, i64::MIN, -1, 0]).prop_map(Value::from),
        2 => json_value(),
    ];
    (any::<usize>(), any::<usize>(), 0..4u8, slipped, instead).prop_map(
        |(leaf, at, how, slipped, instead)| Mutation {
            leaf,
            at,
            how,
            slipped,
            instead,
        },
    )
}

impl Mutation {
    fn apply(&self, body: &mut Value) {
        let mut leaves = Vec::new();
        leaf_pointers(body, String::new(), &mut leaves);
        let Some(pointer) = leaves.get(self.leaf % leaves.len().max(1)) else {
            return;
        };
        let leaf = body.pointer_mut(pointer).expect("a leaf just found");
        match (self.how, &*leaf) {
            (0 | 1, Value::String(text)) => {
                let chars: Vec<char> = text.chars().collect();
                let at = self.at % (chars.len() + 1);
                let mut spoiled: String = chars[..at].iter().collect();
                spoiled.push_str(&self.slipped);
                spoiled.extend(&chars[at..]);
                *leaf = Value::String(spoiled);
            }
            (2, Value::String(text)) => {
                let chars: Vec<char> = text.chars().collect();
                *leaf = Value::String(chars[..self.at % (chars.len() + 1)].iter().collect());
            }
            _ => *leaf = self.instead.clone(),
        }
    }
}

/// JSON pointers to every string, number and boolean in `value`.
fn leaf_pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (name, member) in members {
                leaf_pointers(member, format!("{at}/{name}"), out);
            }
        }
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                leaf_pointers(item, format!("{at}/{index}"), out);
            }
        }
        _ => out.push(at),
    }
}

/// One request: a route, an id for its path, a body and its content type.
#[derive(Debug, Clone)]
struct Case {
    route: usize,
    id: &'static str,
    body: Vec<u8>,
    content_type: Option<&'static str>,
}

fn cases() -> impl Strategy<Value = Case> {
    let each = ROUTES.iter().enumerate().map(|(route, spec)| {
        // The route's valid body with one field spoiled (given any plausible or hostile value,
        // or left out) or a stranger added; or some fields written out by hand (repeats and
        // strangers too); or JSON of any shape; or not JSON at all.
        let valid = spec.valid;
        let field_and_value = proptest::strategy::Union::new(
            spec.fields
                .iter()
                .map(|&field| plausible(field).prop_map(move |value| (field, value))),
        );
        let spoiled = ("[A-Za-z]{4,12}", field_and_value, mutation(), 0..4u8).prop_map(
            move |(name, (field, value), mutation, how)| {
                let mut body: Value = serde_json::from_str(&valid.replace("{name}", &name))
                    .expect("a valid body is JSON");
                match how {
                    0 => mutation.apply(&mut body),
                    1 => body[field] = value,
                    2 => {
                        body.as_object_mut().unwrap().remove(field);
                    }
                    _ => body["stranger"] = value,
                }
                body.to_string().into_bytes()
            },
        );
        let pairs = proptest::collection::vec(
            (
                prop_oneof![
                    4 => proptest::sample::select(spec.fields).prop_map(str::to_string),
                    1 => test_number(),
                    1 => "[a-z_]{1,8}",
                ],
                prop_oneof![3 => value().prop_map(Value::from), 2 => json_value()],
            ),
            0..6,
        )
        .prop_map(|pairs| {
            let members: Vec<String> = pairs
                .into_iter()
                .map(|(name, value)| format!("{}:{value}", Value::from(name)))
                .collect();
            format!("{{{}}}", members.join(",")).into_bytes()
        });
        let body = prop_oneof![
            6 => spoiled,
            2 => pairs,
            1 => json_value().prop_map(|v| v.to_string().into_bytes()),
            1 => bytes(512),
            1 => Just(b"{\"name\": ".to_vec()),
        ];
        let id = proptest::sample::select(vec![
            "1",
            "1",
            "2",
            "3",
            "0",
            "-1",
            "99999999999",
            "abc",
            "%2B919876543210",
            "9876543210",
        ]);
        let content_type = proptest::sample::select(vec![
            Some("application/json"),
            Some("application/json"),
            Some("application/json"),
            Some("application/json; charset=utf-8"),
            Some("application/problem+json"),
            Some("application/json"),
            Some("application/json"),
            Some("application/json"),
            Some("application/json"),
            Some("text/plain"),
            None,
        ]);
        (body, id, content_type)
            .prop_map(move |(body, id, content_type)| Case {
                route,
                id,
                body,
                content_type,
            })
            .boxed()
    });
    proptest::strategy::Union::new(each)
}

async fn send(app: &TestApp, token: &str, case: &Case) -> (u16, String, String) {
    let route = &ROUTES[case.route];
    let path = format!("/api/v1{}", route.path.replace("{id}", case.id));
    let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
    let mut request = app
        .client
        .request(method, app.url(&path))
        .bearer_auth(token)
        .body(case.body.clone());
    if let Some(content_type) = case.content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.expect("the API answers");
    let status = response.status().as_u16();
    let content_type = content_type(response.headers()).to_string();
    (
        status,
        content_type,
        response.text().await.unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_write_answers_any_json_body_with_a_problem_or_its_resource() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    // Something for the ids in paths and bodies to find: a recruiter, a broadcast.
    let recruiter = app
        .api_post(
            "/api/v1/recruiters",
            &token,
            json!({"name": "SI Verma", "kind": "police"}),
        )
        .await;
    assert_eq!(recruiter.status, 201, "{}", recruiter.text);

    let (mut runner, seed) = seeded_runner(4);
    let strategy = cases();
    let count = 1500;
    let mut by_status: BTreeMap<u16, usize> = BTreeMap::new();
    let mut taken: BTreeMap<&str, usize> = BTreeMap::new();
    let (mut server_errors, mut malformed, mut numbers) = (0, 0, 0);
    let mut failures = Vec::new();
    for index in 0..count {
        let case = draw(&mut runner, &strategy);
        let (status, content_type, text) = send(&app, &token, &case).await;
        *by_status.entry(status).or_default() += 1;
        let route = &ROUTES[case.route];
        let problem = serde_json::from_str::<Value>(&text)
            .ok()
            .filter(|p| p["status"] == status && p["title"].is_string());
        let failure = if status >= 500 {
            server_errors += 1;
            Some("a 5xx")
        } else if (400..500).contains(&status)
            && !(content_type == mitan::http::PROBLEM_JSON && problem.is_some())
        {
            malformed += 1;
            Some("a 4xx that is not problem+json")
        } else if (200..300).contains(&status) && serde_json::from_str::<Value>(&text).is_err() {
            malformed += 1;
            Some("a 2xx that is not JSON")
        } else if !(200..300).contains(&status) && !(400..500).contains(&status) {
            malformed += 1;
            Some("neither a 2xx nor a 4xx")
        } else if holds_test_number(&text) {
            numbers += 1;
            Some("a number in the answer")
        } else {
            None
        };
        if (200..300).contains(&status) {
            *taken.entry(route.path).or_default() += 1;
        }
        if let (Some(what), true) = (failure, failures.len() < 8) {
            let body: String = String::from_utf8_lossy(&case.body)
                .chars()
                .take(300)
                .collect();
            let text: String = text.chars().take(300).collect();
            failures.push(format!(
                "case {index}: {what}: {} {} ({:?}) {body:?} → {status} {text:?}",
                route.method,
                route.path.replace("{id}", case.id),
                case.content_type
            ));
        }
    }
    let report = format!(
        "admin JSON fuzz (seed {seed}): {count} requests, {server_errors} 5xx, {malformed} \
         malformed, {numbers} with a number; by status {by_status:?}; taken per route {taken:?}"
    );
    eprintln!("{report}");
    assert!(failures.is_empty(), "{report}\n{}", failures.join("\n"));
    // The bodies reached the handlers' checks and their success paths, not only the parser.
    assert!(
        by_status.get(&422).is_some_and(|n| *n > count / 10),
        "{report}"
    );
    for route in ["/areas", "/recruiters", "/tips", "/broadcasts/dry-run"] {
        assert!(
            taken.get(route).is_some_and(|n| *n >= 3),
            "{route}: {report}"
        );
    }
}
