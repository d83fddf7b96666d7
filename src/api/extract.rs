//! Request extractors that answer in problem+json: the bearer token, JSON bodies and query
//! strings that refuse unknown fields and name the field that is wrong.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use serde::de::value::{MapAccessDeserializer, MapDeserializer};
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::access::{bearer_token, token_hash, Principal, Role};
use crate::http::AppState;
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
            .principal_using_token(&token_hash(token), super::now(state))
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

/// A JSON body: `Content-Type: application/json` (else 415), well-formed (else 400), an object
/// with no unknown or invalid field (else 422 naming each), within `server.max_body_bytes` (else
/// 413).
///
/// The body is read as its members first, then `T` is made from them as from a map: serde's
/// derived structs also take an array and fill their fields by position, which a map can never
/// do. A nested struct refuses arrays through [`object`].
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
        // Well-formed JSON first (400), then its shape (422).
        serde_json::from_slice::<IgnoredAny>(&bytes).map_err(|err| not_json(&err))?;
        let Members(mut members) = serde_json::from_slice(&bytes).map_err(|err| {
            ApiError::Validation(vec![field_problem("", &without_position(&err.to_string()))])
        })?;
        every_field(&mut members, |members| {
            let map = MapDeserializer::<_, serde_json::Error>::new(
                members
                    .iter()
                    .map(|(name, value)| (name.as_str(), &**value)),
            );
            serde_path_to_error::deserialize(map)
        })
        .map(Json)
    }
}

/// The members of a JSON object, in order, each value still JSON text; a name given twice stays
/// twice, so that the struct made from them refuses it (`duplicate field`).
struct Members(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

/// For a struct inside a body (`#[serde(deserialize_with = "object")]`): read only from a JSON
/// object, never from an array by position.
pub(super) fn object<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Visit<T>(std::marker::PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for Visit<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map))
        }
    }
    deserializer.deserialize_map(Visit(std::marker::PhantomData))
}

fn not_json(err: &serde_json::Error) -> ApiError {
    ApiError::BadRequest(format!("the body is not JSON: {err}"))
}

/// A query string read into `T`: unknown or invalid parameters get 422 naming each.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let mut params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        every_field(&mut params, |params| {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params)
                .finish();
            let params =
                serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
            serde_path_to_error::deserialize(params)
        })
        .map(Query)
    }
}

/// A resource id in the path: a whole number from 1. Anything else (`1e3`, `abc`, `-1`, a number
/// too large) gets a 422 naming `id`, as a bad query value does.
pub struct PathId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let invalid = || ApiError::invalid("id", "must be a whole number from 1");
        let Path(text) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| invalid())?;
        match text.parse::<i64>() {
            Ok(id) if id >= 1 && !text.starts_with('+') => Ok(PathId(id)),
            _ => Err(invalid()),
        }
    }
}

/// Reads `T` from named members (a body's fields, a query's parameters) so that every bad one is
/// named: when a member fails it is set aside and the others are read again, until they read or
/// the failure is not one member's (a missing field). `T` comes back only if none failed.
fn every_field<M, T, E: std::fmt::Display>(
    members: &mut Vec<(String, M)>,
    read: impl Fn(&[(String, M)]) -> Result<T, serde_path_to_error::Error<E>>,
) -> Result<T, ApiError> {
    let mut problems = Vec::new();
    let mut set_aside: Vec<String> = Vec::new();
    loop {
        let err = match read(members) {
            Ok(value) if problems.is_empty() => return Ok(value),
            Ok(_) => break,
            Err(err) => err,
        };
        let message = without_position(&err.inner().to_string());
        let member = match err.path().iter().next() {
            Some(serde_path_to_error::Segment::Map { key }) => Some(key.clone()),
            _ => named_field(&message).map(str::to_string),
        };
        let problem = field_problem(&err.path().to_string(), &message);
        match member {
            Some(name) if members.iter().any(|(key, _)| *key == name) => {
                members.retain(|(key, _)| *key != name);
                set_aside.push(name);
                problems.push(problem);
            }
            // Missing only because it was set aside: already named.
            Some(name) if set_aside.contains(&name) => break,
            _ => {
                problems.push(problem);
                break;
            }
        }
    }
    Err(ApiError::Validation(problems))
}

/// The field a message of serde's names: ``unknown field `x` ``, ``missing field `x` ``,
/// ``duplicate field `x` ``.
fn named_field(message: &str) -> Option<&str> {
    ["unknown field", "missing field", "duplicate field"]
        .iter()
        .any(|start| message.starts_with(start))
        .then(|| message.split('`').nth(1))
        .flatten()
}

/// What is wrong with one field: the path when serde knows it, else the field the message names
/// (reported at the top level); the whole body is the field `""`.
fn field_problem(path: &str, message: &str) -> FieldError {
    let field = match (path, named_field(message)) {
        (_, Some(name)) => name,
        ("." | "", None) => "",
        (path, None) => path,
    };
    // serde quotes the value it refused (a phone number sent as a JSON number, say):
    // `FieldError::new` cuts any number from what goes back.
    FieldError::new(field, message)
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

    fn field(path: &str, message: &str) -> String {
        field_problem(path, message).field
    }

    #[test]
    fn unknown_missing_and_duplicate_fields_are_named() {
        assert_eq!(
            field(".", "unknown field `phon`, expected one of `phone`"),
            "phon"
        );
        assert_eq!(field(".", "missing field `name`"), "name");
        assert_eq!(field(".", "duplicate field `name`"), "name");
        assert_eq!(field("quota", "invalid type"), "quota");
    }

    #[test]
    fn a_number_serde_quotes_never_comes_back_in_a_field_error() {
        let problem = field_problem(
            "phone",
            "invalid type: integer `9876543210`, expected a string",
        );
        assert_eq!(
            problem.detail,
            "invalid type: integer `…`, expected a string"
        );
        assert_eq!(
            field_problem("quota", "must be from 1 to 200").detail,
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
