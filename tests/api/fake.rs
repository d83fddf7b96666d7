//! A fake aggregator: a real HTTP server on 127.0.0.1:0 that records every request and answers
//! with scripted responses (status, body, delay), so sends are tested over real HTTP.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: String,
}

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
    requests: Vec<Recorded>,
}

pub struct FakeAggregator {
    pub url: String,
    script: Arc<Mutex<Script>>,
    server: tokio::task::JoinHandle<()>,
}

impl FakeAggregator {
    /// Starts the fake; it answers `otherwise` to anything not scripted with [`Self::then`].
    pub async fn start(otherwise: Canned) -> Self {
        let script = Arc::new(Mutex::new(Script {
            otherwise: Some(otherwise),
            ..Script::default()
        }));
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
    let canned = {
        let mut script = script.lock().unwrap();
        script.requests.push(Recorded {
            method,
            path: uri.path().to_string(),
            query: uri.query().unwrap_or_default().to_string(),
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let otherwise = script.otherwise.clone();
        let mut canned = script.next.pop_front().or(otherwise).unwrap();
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
