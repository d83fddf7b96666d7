//! One error type at the HTTP boundary, answered as `application/problem+json` (RFC 9457).
//! Details of a 5xx are logged with their whole cause chain, never returned.

use std::any::Any;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("not found")]
    NotFound,
    #[error("the service is not ready")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

#[derive(Serialize)]
struct Problem<'a> {
    r#type: &'a str,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

pub(crate) fn problem(status: StatusCode, detail: Option<&str>) -> Response {
    let body = Problem {
        r#type: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        serde_json::to_string(&body).unwrap_or_default(),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::NotFound => problem(StatusCode::NOT_FOUND, None),
            ApiError::Unavailable => problem(StatusCode::SERVICE_UNAVAILABLE, None),
            ApiError::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "request failed");
                problem(StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        }
    }
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A panic in a handler becomes a 500 and a log line, never a dropped connection.
pub(crate) fn panicked(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    problem(StatusCode::INTERNAL_SERVER_ERROR, None)
}
