//! For the readers' tables beside each provider: a webhook as it arrives, owned, so that one
//! case can be written as one expression.

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};

use super::WebhookRequest;

/// One request as an aggregator sends it.
#[derive(Debug, Clone)]
pub struct Arrived {
    method: Method,
    path_and_query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Arrived {
    /// A `GET` with its fields in the query string.
    pub fn get(path: &str, fields: &[(&str, &str)]) -> Self {
        let query = serde_urlencoded::to_string(fields).expect("fields encode");
        Self {
            method: Method::GET,
            path_and_query: format!("{path}?{query}"),
            headers: HeaderMap::new(),
            body: Vec::new(),
        }
    }

    /// A `POST` of a form.
    pub fn form(path: &str, fields: &[(&str, &str)]) -> Self {
        let body = serde_urlencoded::to_string(fields).expect("fields encode");
        Self::post(path, body.as_bytes())
    }

    /// A `POST` of these bytes.
    pub fn post(path: &str, body: &[u8]) -> Self {
        Self {
            method: Method::POST,
            path_and_query: path.to_string(),
            headers: HeaderMap::new(),
            body: body.to_vec(),
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).expect("a header value"),
        );
        self
    }

    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    pub fn request(&self) -> WebhookRequest<'_> {
        WebhookRequest {
            method: &self.method,
            path_and_query: &self.path_and_query,
            query: self
                .path_and_query
                .split_once('?')
                .map_or("", |(_, query)| query),
            headers: &self.headers,
            body: &self.body,
        }
    }
}

/// A channel of this kind, with nothing but its kind's settings.
pub fn channel_settings(provider: super::ProviderSettings) -> super::ChannelSettings {
    super::ChannelSettings {
        enabled: true,
        tps: 10,
        burst: None,
        optin_number: None,
        optout_number: None,
        voice_number: None,
        voice_cps: 1,
        provider,
    }
}

/// A response's status, content type and body.
pub async fn answered(response: axum::response::Response) -> (u16, Option<String>, String) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .map(|value| value.to_str().expect("a text header").to_string());
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .expect("a body");
    (
        status,
        content_type,
        String::from_utf8(body.to_vec()).expect("UTF-8"),
    )
}
