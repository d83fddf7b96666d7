//! A fake aggregator: a real HTTP server on 127.0.0.1:0 that records every request and answers
//! with scripted responses (status, body, delay), so sends are tested over real HTTP; or, with
//! [`Faults`], fails and hangs at random (seeded) like a struggling aggregator.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng as _, SeedableRng as _};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// One answer the fake gives. `{request}` in its body becomes the request's number (1 for the
/// first request the fake received), so that one canned answer can hand out distinct ids, and
/// `{to}` the recipient the request named (as aggregators repeat it in their errors).
#[derive(Debug, Clone)]
pub struct Canned {
    pub status: u16,
    pub body: String,
    pub delay: Duration,
}

impl Canned {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            delay: Duration::ZERO,
        }
    }

    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self::new(status, body.to_string())
    }

    /// The same answer, after `delay` (to prove timeouts).
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// One request the fake received, when, and what it answered.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: String,
    pub at: Instant,
    /// The time on the clock the fake was given to stamp with ([`FakeAggregator::stamping`]).
    pub stamped: Option<chrono::DateTime<chrono::Utc>>,
    /// The status it answered with, or would have after `delay`.
    pub status: u16,
    pub delay: Duration,
}

/// How often a struggling aggregator fails a request with 503 or takes it and never answers
/// (for an hour: far past any send timeout). Drawn per request from `seed`, in arrival order.
#[derive(Debug, Clone, Copy)]
pub struct Faults {
    pub fail: f64,
    pub hang: f64,
    pub seed: u64,
}

/// How long a hanging request waits before its answer.
pub const HANG: Duration = Duration::from_secs(3600);

impl Recorded {
    /// A field of the form body, or else of the query string.
    pub fn field(&self, name: &str) -> Option<String> {
        let read = |text: &str| -> Vec<(String, String)> {
            serde_urlencoded::from_str(text).unwrap_or_default()
        };
        let mut pairs = read(&self.body);
        pairs.extend(read(&self.query));
        pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
}

#[derive(Default)]
struct Script {
    next: VecDeque<Canned>,
    otherwise: Option<Canned>,
    faults: Option<(Faults, rand::rngs::StdRng)>,
    stamp: Option<mitan::clock::ManualClock>,
    requests: Vec<Recorded>,
}

impl Script {
    /// The answer to the next request: scripted, else `otherwise` (failed or hung as the
    /// faults say).
    fn next_answer(&mut self) -> Canned {
        if let Some(canned) = self.next.pop_front() {
            return canned;
        }
        let otherwise = self.otherwise.clone().unwrap();
        match &mut self.faults {
            Some((faults, rng)) => {
                let draw: f64 = rng.gen();
                if draw < faults.hang {
                    otherwise.after(HANG)
                } else if draw < faults.hang + faults.fail {
                    Canned::new(503, "Service Unavailable")
                } else {
                    otherwise
                }
            }
            None => otherwise,
        }
    }
}

pub struct FakeAggregator {
    pub url: String,
    script: Arc<Mutex<Script>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeAggregator {
    /// Starts the fake; it answers `otherwise` to anything not scripted with [`Self::then`].
    pub async fn start(otherwise: Canned) -> Self {
        Self::serve(Script {
            otherwise: Some(otherwise),
            ..Script::default()
        })
        .await
    }

    /// Starts a fake that answers `otherwise` and stamps each request with `clock`'s time, so
    /// that a test counts requests in windows of a clock it moves itself.
    pub async fn stamping(otherwise: Canned, clock: mitan::clock::ManualClock) -> Self {
        Self::serve(Script {
            otherwise: Some(otherwise),
            stamp: Some(clock),
            ..Script::default()
        })
        .await
    }

    /// Starts a fake that answers `otherwise`, but fails and hangs as `faults` say.
    pub async fn struggling(otherwise: Canned, faults: Faults) -> Self {
        let rng = rand::rngs::StdRng::seed_from_u64(faults.seed);
        Self::serve(Script {
            otherwise: Some(otherwise),
            faults: Some((faults, rng)),
            ..Script::default()
        })
        .await
    }

    async fn serve(script: Script) -> Self {
        let script = Arc::new(Mutex::new(script));
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            script,
            server,
        }
    }

    /// The next request gets `canned` (queued in order).
    pub fn then(&self, canned: Canned) -> &Self {
        self.script.lock().unwrap().next.push_back(canned);
        self
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.script.lock().unwrap().requests.clone()
    }
}

impl Drop for FakeAggregator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(
    State(script): State<Arc<Mutex<Script>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let canned = {
        let mut script = script.lock().unwrap();
        let mut canned = script.next_answer();
        let stamped = script.stamp.as_ref().map(mitan::clock::Clock::now);
        script.requests.push(Recorded {
            method,
            path: uri.path().to_string(),
            query: uri.query().unwrap_or_default().to_string(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            at,
            stamped,
            status: canned.status,
            delay: canned.delay,
        });
        let request = script.requests.last().expect("just recorded");
        let to = serde_json::from_str::<serde_json::Value>(&request.body)
            .ok()
            .and_then(|json| json["to"].as_str().map(str::to_string))
            .or_else(|| request.field("To"))
            .or_else(|| request.field("to"))
            .unwrap_or_default();
        canned.body = canned
            .body
            .replace("{request}", &script.requests.len().to_string())
            .replace("{to}", &to);
        canned
    };
    tokio::time::sleep(canned.delay).await;
    let status = StatusCode::from_u16(canned.status).unwrap();
    let content_type = if canned.body.starts_with('{') {
        "application/json"
    } else {
        "text/plain"
    };
    (status, [("content-type", content_type)], canned.body).into_response()
}
