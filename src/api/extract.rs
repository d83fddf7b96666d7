//! Request extractors that answer in problem+json: the bearer token, JSON bodies and query
//! strings that refuse unknown fields and name the field that is wrong.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::DeserializeOwned;

use crate::access::{bearer_token, token_hash, Principal, Role};
use crate::app::AppState;
use crate::http::{ApiError, FieldError};

impl FromRequestParts<Arc<AppState>> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(bearer_token)
            .ok_or(ApiError::Unauthorized)?;
        state
            .store
            .principal_by_token_hash(&token_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized)
    }
}

/// A principal whose token has the `admin` role; anyone else gets 403.
pub struct Admin(pub Principal);

impl FromRequestParts<Arc<AppState>> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        match principal.role {
            Role::Admin => Ok(Admin(principal)),
            Role::Officer => Err(ApiError::Forbidden("this needs an admin token")),
        }
    }
}

/// A JSON body: `Content-Type: application/json` (else 415), well-formed (else 400), no unknown
/// or invalid field (else 422 naming it), within `server.max_body_bytes` (else 413).
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::UnsupportedMediaType(
                "the body must be JSON (Content-Type: application/json)",
            ));
        }
        let bytes =
            Bytes::from_request(request, state)
                .await
                .map_err(|rejection| match rejection.status() {
                    StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
                    _ => ApiError::BadRequest(rejection.body_text()),
                })?;
        let mut json = serde_json::Deserializer::from_slice(&bytes);
        let value = serde_path_to_error::deserialize(&mut json).map_err(|err| {
            let path = err.path().to_string();
            let inner = err.into_inner();
            if inner.is_data() {
                field_error(&path, &without_position(&inner.to_string()))
            } else {
                not_json(&inner)
            }
        })?;
        json.end().map_err(|err| not_json(&err))?;
        Ok(Json(value))
    }
}

fn not_json(err: &serde_json::Error) -> ApiError {
    ApiError::BadRequest(format!("the body is not JSON: {err}"))
}

/// A query string read into `T`: unknown or invalid parameters get 422 naming them.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let params = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(params)
            .map(Query)
            .map_err(|err| field_error(&err.path().to_string(), &err.inner().to_string()))
    }
}

/// A 422 naming the field: the path when serde knows it, else the field a message names
/// (``unknown field `x` `` and ``missing field `x` `` are reported at the top level).
fn field_error(path: &str, message: &str) -> ApiError {
    let named = message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("unknown field") || message.starts_with("missing field"));
    let field = match (path, named) {
        (_, Some(name)) => name,
        ("." | "", None) => "",
        (path, None) => path,
    };
    ApiError::Validation(vec![FieldError::new(
        &redact_digits(field),
        redact_digits(message),
    )])
}

/// serde quotes the value it refused; a phone number sent as a JSON number would come back in
/// full. Runs of five or more digits become `…`.
fn redact_digits(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut digits = String::new();
    for c in message.chars().chain(std::iter::once('\0')) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        if digits.len() >= 5 {
            out.push('…');
        } else {
            out.push_str(&digits);
        }
        digits.clear();
        if c != '\0' {
            out.push(c);
        }
    }
    out
}

/// serde_json's messages end in ` at line 1 column 9`; the field name says more.
fn without_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(err: ApiError) -> Vec<String> {
        match err {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let err = field_error(".", "unknown field `phon`, expected one of `phone`");
        assert_eq!(fields(err), ["phon"]);
        assert_eq!(fields(field_error(".", "missing field `name`")), ["name"]);
        assert_eq!(fields(field_error("quota", "invalid type")), ["quota"]);
    }

    #[test]
    fn long_runs_of_digits_never_come_back_in_a_message() {
        assert_eq!(
            redact_digits("invalid type: integer `9876543210`, expected a string"),
            "invalid type: integer `…`, expected a string"
        );
        assert_eq!(
            redact_digits("must be from 1 to 200"),
            "must be from 1 to 200"
        );
    }

    #[test]
    fn positions_are_dropped_from_messages() {
        assert_eq!(
            without_position("invalid type: string \"x\", expected i64 at line 1 column 12"),
            "invalid type: string \"x\", expected i64"
        );
    }
}
