//! One error type at the HTTP boundary, answered as `application/problem+json` (RFC 9457).
//! Details of a 5xx are logged with their whole cause chain, never returned.

use std::any::Any;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request is malformed: {0}")]
    BadRequest(String),
    #[error("a valid bearer token is required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("the body is larger than allowed")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    #[error("some fields are invalid")]
    Validation(Vec<FieldError>),
    /// The database cannot serve for now (`StoreError::Unavailable`): 503 with `Retry-After`, so
    /// that aggregators and clients retry; the write probe logs the cause once per episode.
    #[error("the service cannot take this now; try again shortly")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// What is wrong with one field of a request (an RFC 9457 extension member `errors`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's name, as in the request (`phone`, `quota`).
    pub field: String,
    /// A JSON pointer to it (`#/phone`).
    pub pointer: String,
    pub detail: String,
}

impl FieldError {
    /// `field` is `""` for the whole body (its pointer is `#`). The field and the detail are
    /// answered to the client, so neither keeps a number: a key or a value quoted from the
    /// request may be one.
    pub fn new(field: &str, detail: impl std::fmt::Display) -> Self {
        let field = crate::privacy::without_numbers(field);
        Self {
            pointer: match field.as_str() {
                "" => "#".to_string(),
                field => format!("#/{field}"),
            },
            field,
            detail: crate::privacy::without_numbers(&detail.to_string()),
        }
    }
}

impl ApiError {
    /// One invalid field.
    pub fn invalid(field: &str, detail: impl std::fmt::Display) -> Self {
        ApiError::Validation(vec![FieldError::new(field, detail)])
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Duplicate => ApiError::Conflict("it already exists".into()),
            StoreError::Unavailable(_) => ApiError::Unavailable,
            StoreError::Other(err) => ApiError::Internal(err),
        }
    }
}

/// An RFC 9457 problem, as every error is answered.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Problem<'a> {
    /// Always `about:blank`: the status says what kind of problem it is.
    r#type: &'a str,
    title: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
    /// For 422: each invalid field.
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

pub(crate) fn problem(status: StatusCode, detail: Option<&str>) -> Response {
    problem_with(status, detail, &[])
}

fn problem_with(status: StatusCode, detail: Option<&str>, errors: &[FieldError]) -> Response {
    let body = Problem {
        r#type: "about:blank",
        title: status.canonical_reason().unwrap_or("Error"),
        status: status.as_u16(),
        detail,
        errors,
    };
    (
        status,
        [(header::CONTENT_TYPE, PROBLEM_JSON)],
        serde_json::to_string(&body).unwrap_or_default(),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let detail = self.to_string();
        match self {
            ApiError::BadRequest(_) => problem(StatusCode::BAD_REQUEST, Some(&detail)),
            ApiError::Unauthorized => {
                let mut response = problem(StatusCode::UNAUTHORIZED, Some(&detail));
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"mitan\""),
                );
                response
            }
            ApiError::Forbidden(_) => problem(StatusCode::FORBIDDEN, Some(&detail)),
            ApiError::NotFound => problem(StatusCode::NOT_FOUND, None),
            ApiError::Conflict(_) => problem(StatusCode::CONFLICT, Some(&detail)),
            ApiError::PayloadTooLarge => problem(StatusCode::PAYLOAD_TOO_LARGE, Some(&detail)),
            ApiError::UnsupportedMediaType(_) => {
                problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, Some(&detail))
            }
            ApiError::Validation(errors) => {
                problem_with(StatusCode::UNPROCESSABLE_ENTITY, Some(&detail), &errors)
            }
            ApiError::Unavailable => unavailable(&detail),
            ApiError::Internal(err) if StoreError::is_unavailable_in(&err) => {
                tracing::debug!(
                    error = format!("{err:#}"),
                    "request refused: database unavailable"
                );
                unavailable(&ApiError::Unavailable.to_string())
            }
            ApiError::Internal(err) => {
                tracing::error!(error = format!("{err:#}"), "request failed");
                problem(StatusCode::INTERNAL_SERVER_ERROR, None)
            }
        }
    }
}

/// Seconds a client is asked to wait before trying again after a 503.
const RETRY_AFTER_SECS: &str = "5";

fn unavailable(detail: &str) -> Response {
    let mut response = problem(StatusCode::SERVICE_UNAVAILABLE, Some(detail));
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECS),
    );
    response
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A panic in a handler becomes a 500 and a log line, never a dropped connection.
pub(crate) fn panicked(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    problem(StatusCode::INTERNAL_SERVER_ERROR, None)
}

/// Error answers made by middleware or by axum itself (413 from the body limit, 405, 408) are
/// plain text or empty; they become problem+json too, keeping their other headers (`Allow`).
pub(crate) async fn plain_errors_as_problems(response: Response) -> Response {
    let status = response.status();
    // A problem already, or a page of the dashboard saying what went wrong: left as it is.
    let answered = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value == PROBLEM_JSON || value.starts_with("text/html"));
    if !(status.is_client_error() || status.is_server_error()) || answered {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let problem = problem(status, None);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    Response::from_parts(parts, problem.into_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_error_never_quotes_a_number_in_its_field_or_its_detail() {
        for number in [
            "+919876543210",
            "+91 98765 43210",
            "(+91) 98765-43210",
            "919876543210",
        ] {
            let error = FieldError::new(
                &format!("texts.{number}"),
                format!("category \"{number}\" must be lower-case letters"),
            );
            let all = format!("{} {} {}", error.field, error.pointer, error.detail);
            let digits: String = all.chars().filter(char::is_ascii_digit).collect();
            assert!(!digits.contains("9876543210"), "{all}");
        }
        let error = FieldError::new("quota", "must be from 1 to 200");
        assert_eq!(
            (error.field.as_str(), error.detail.as_str()),
            ("quota", "must be from 1 to 200")
        );
    }
}
