//! Wire shapes shared by several resources: counts that may be hidden, the enums of the domain
//! as JSON strings, and the problem+json answers every route documents.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize, Serializer};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{IntoResponses, PartialSchema, ToSchema};

use crate::enrollment::figures::{shown, Shown, StatusCounts, SMALLEST_SHOWN};
use crate::http::ApiError;

/// A count of people: a number, or `"<5"` where an exact small number could single someone out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count(pub Shown);

impl Count {
    pub fn of(count: i64, hide_small: bool) -> Self {
        Count(shown(count, hide_small))
    }

    /// As a CSV cell.
    pub fn cell(self) -> String {
        match self.0 {
            Shown::Exact(n) => n.to_string(),
            Shown::FewerThanSmallest => format!("<{SMALLEST_SHOWN}"),
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Shown::Exact(n) => write!(f, "{n}"),
            Shown::FewerThanSmallest => write!(f, "<{SMALLEST_SHOWN}"),
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Shown::Exact(n) => serializer.serialize_i64(n),
            Shown::FewerThanSmallest => serializer.serialize_str(&self.cell()),
        }
    }
}

impl PartialSchema for Count {
    fn schema() -> RefOr<Schema> {
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["<5"])),
            )
            .description(Some(
                "A count; \"<5\" for officers where it describes fewer than five people of one \
                 village",
            ))
            .into()
    }
}

impl ToSchema for Count {}

/// People by status, each count maybe hidden.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusFigures {
    /// Everyone credited, erased people included (their row stays, anonymous).
    pub total: Count,
    pub active: Count,
    pub opted_out: Count,
    pub erased: Count,
}

impl StatusFigures {
    pub fn of(counts: StatusCounts, hide_small: bool) -> Self {
        Self {
            total: Count::of(counts.total(), hide_small),
            active: Count::of(counts.active, hide_small),
            opted_out: Count::of(counts.opted_out, hide_small),
            erased: Count::of(counts.erased, hide_small),
        }
    }
}

/// A JSON enum mirroring a domain enum: lowercase tags, conversions both ways.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident <=> $domain:ty { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl From<$domain> for $name {
            fn from(value: $domain) -> Self {
                match value { $(<$domain>::$variant => $name::$variant),+ }
            }
        }

        impl From<$name> for $domain {
            fn from(value: $name) -> Self {
                match value { $($name::$variant => <$domain>::$variant),+ }
            }
        }
    };
}

wire_enum!(
    /// `district`, `thana` (police station) or `village` (or ward).
    AreaKind <=> crate::enrollment::AreaKind { District, Thana, Village }
);
wire_enum!(
    RecruiterKind <=> crate::enrollment::RecruiterKind { Police, Ncc, Nss, Spo, Ngo, Mitan }
);
wire_enum!(Role <=> crate::access::Role { Admin, Officer });
wire_enum!(PersonStatus <=> crate::enrollment::PersonStatus { Active, OptedOut, Erased });

/// `hi` (Hindi), `hne` (Chhattisgarhi) or `en` (English).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum Language {
    #[serde(rename = "hi")]
    Hindi,
    #[serde(rename = "hne")]
    Chhattisgarhi,
    #[serde(rename = "en")]
    English,
}

impl From<crate::enrollment::Language> for Language {
    fn from(value: crate::enrollment::Language) -> Self {
        use crate::enrollment::Language as L;
        match value {
            L::Hindi => Language::Hindi,
            L::Chhattisgarhi => Language::Chhattisgarhi,
            L::English => Language::English,
        }
    }
}

impl From<Language> for crate::enrollment::Language {
    fn from(value: Language) -> Self {
        match value {
            Language::Hindi => Self::Hindi,
            Language::Chhattisgarhi => Self::Chhattisgarhi,
            Language::English => Self::English,
        }
    }
}

fn problem_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .into()
}

fn problems(codes: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    codes
        .iter()
        .map(|(code, description)| (code.to_string(), problem_response(description)))
        .collect()
}

const UNAUTHORIZED: (&str, &str) = ("401", "No token, or an unknown or revoked one");
const FORBIDDEN: (&str, &str) = ("403", "The token's role does not allow this");
const INVALID: (&str, &str) = (
    "422",
    "Invalid or unknown fields or query parameters, every one listed in `errors`; a body that \
     is not a JSON object (field `\"\"`, pointer `#`); a path `id` that is not a whole number \
     from 1 (field `id`)",
);

/// The errors of a read: no or bad token, outside the role, bad query parameters.
pub struct ReadProblems;

impl IntoResponses for ReadProblems {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[UNAUTHORIZED, FORBIDDEN, INVALID])
    }
}

/// The errors of a write with a JSON body.
pub struct WriteProblems;

impl IntoResponses for WriteProblems {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[
            ("400", "The body is not JSON"),
            UNAUTHORIZED,
            FORBIDDEN,
            ("404", "No such resource"),
            ("409", "It already exists"),
            ("413", "The body is larger than allowed"),
            ("415", "The body is not declared as JSON"),
            INVALID,
        ])
    }
}

/// The errors of an action on one resource without a body.
pub struct ActionProblems;

impl IntoResponses for ActionProblems {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(&[
            UNAUTHORIZED,
            FORBIDDEN,
            ("404", "No such resource"),
            INVALID,
        ])
    }
}

/// Largest page a list returns.
pub const MAX_PAGE: i64 = 200;
/// Page size when none is asked for.
pub const DEFAULT_PAGE: i64 = 50;

/// A page size within bounds, or a 422 naming `limit`.
pub fn page_limit(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit.unwrap_or(DEFAULT_PAGE) {
        limit @ 1..=MAX_PAGE => Ok(limit),
        _ => Err(ApiError::invalid(
            "limit",
            format!("must be from 1 to {MAX_PAGE}"),
        )),
    }
}

/// The cursor for the page after `items`: the last id when the page is full, else none.
pub fn next_cursor<T>(items: &[T], limit: i64, id: impl Fn(&T) -> i64) -> Option<i64> {
    (items.len() as i64 == limit)
        .then(|| items.last().map(id))
        .flatten()
}

/// Collects field errors, then fails with all of them at once.
#[derive(Default)]
pub struct Invalid(Vec<crate::http::FieldError>);

impl Invalid {
    pub fn add(&mut self, field: &str, detail: impl std::fmt::Display) {
        self.0.push(crate::http::FieldError::new(field, detail));
    }

    /// `Some(value)` if `result` is ok, else records the error under `field`.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        result.map_err(|err| self.add(field, err)).ok()
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}
