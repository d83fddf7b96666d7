//! Webhooks signed the way their aggregators sign them: mitan's generic JSON dialect
//! (`X-Mitan-Signature`) and Twilio's forms (`X-Twilio-Signature`).

use mitan::providers::{generic, twilio};

use super::app::TestApp;

/// `server.public_url` in tests (the default): the address Twilio signs, with the path.
const PUBLIC_URL: &str = "http://127.0.0.1:8080";

/// A generic-dialect JSON webhook to `path`, signed with `secret` if one is given.
pub fn generic_request(
    app: &TestApp,
    path: &str,
    body: &serde_json::Value,
    secret: Option<&str>,
) -> reqwest::RequestBuilder {
    let body = body.to_string();
    let mut request = app
        .client
        .post(app.url(path))
        .header("content-type", "application/json");
    if let Some(secret) = secret {
        request = request.header(
            generic::SIGNATURE_HEADER,
            generic::sign(secret, body.as_bytes()),
        );
    }
    request.body(body)
}

/// `X-Twilio-Signature` for a form of `fields` posted to `path`, as Twilio computes it with
/// the account's `token`.
pub fn twilio_signature<K: AsRef<str>, V: AsRef<str>>(
    token: &str,
    path: &str,
    fields: &[(K, V)],
) -> String {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
        .collect();
    twilio::signature(token, &format!("{PUBLIC_URL}{path}"), &fields)
}
