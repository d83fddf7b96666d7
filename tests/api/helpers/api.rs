//! The admin API as tests call it: tokens made as `mitan token create` makes them, and calls
//! whose every answer is scanned for test numbers.

use mitan::access::{Role, TokenRequest};

use super::app::TestApp;
use super::numbers::assert_no_number_in;

impl TestApp {
    /// A new admin token, made the way `mitan token create --role admin` makes one.
    pub async fn admin_token(&self) -> String {
        self.token(Role::Admin, None).await
    }

    /// A new officer token seeing `recruiter_id`'s subtree.
    pub async fn officer_token(&self, recruiter_id: i64) -> String {
        self.token(Role::Officer, Some(recruiter_id)).await
    }

    async fn token(&self, role: Role, recruiter_id: Option<i64>) -> String {
        self.state
            .store
            .issue_token(&TokenRequest {
                role,
                recruiter_id,
                name: "test desk",
                actor: "cli",
                at: chrono::Utc::now(),
            })
            .await
            .expect("the store answers")
            .expect("a token can be made")
            .token
    }

    /// An admin API call. Every answer is checked for test numbers in any form: the suite's
    /// scan that no response holds a phone number.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> ApiResponse {
        let mut request = self.client.request(method.clone(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("API response body");
        assert_no_number_in(&text, &format!("the answer to {method} {path}"));
        ApiResponse {
            status,
            headers,
            text,
        }
    }

    pub async fn api_get(&self, path: &str, token: &str) -> ApiResponse {
        self.api(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn api_post(&self, path: &str, token: &str, body: serde_json::Value) -> ApiResponse {
        self.api(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn api_patch(&self, path: &str, token: &str, body: serde_json::Value) -> ApiResponse {
        self.api(reqwest::Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn api_delete(&self, path: &str, token: &str) -> ApiResponse {
        self.api(reqwest::Method::DELETE, path, Some(token), None)
            .await
    }

    /// Adds a recruiter through the API; returns its id and code.
    pub async fn add_recruiter(&self, token: &str, body: serde_json::Value) -> (i64, String) {
        let response = self.api_post("/api/v1/recruiters", token, body).await;
        assert_eq!(response.status, 201, "{}", response.text);
        let json = response.json();
        (
            json["id"].as_i64().unwrap(),
            json["code"].as_str().unwrap().to_string(),
        )
    }
}

/// An answer of the admin API, its body already read (and scanned).
pub struct ApiResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl ApiResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.text))
    }

    pub fn content_type(&self) -> &str {
        content_type(&self.headers)
    }
}

/// The `content-type` an answer declared; empty if none (or not text).
pub fn content_type(headers: &reqwest::header::HeaderMap) -> &str {
    headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}
