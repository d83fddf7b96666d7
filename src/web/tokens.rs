//! `GET /admin/tokens`: the API tokens (never their text), a form to make one and a button to
//! revoke one. Admins only. A new token's text is shown once, on the page answering the form,
//! and nowhere else: the database keeps its hash, the audit log its id and role. Making and
//! revoking are the API's own (`api::tokens::issue`, `api::tokens::revoke_token`).

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;

use super::page::{html, Chrome, ErrorPage};
use super::session::AdminViewer;
use crate::api::tokens::{issue, revoke_token, TokenInput};
use crate::http::{ApiError, AppState};

/// Longest field a form may send (a name is at most 100 characters; anything far longer is
/// refused before it is looked at).
const MAX_FIELD: usize = 1_000;

pub struct Row {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub recruiter_id: Option<i64>,
    pub created: String,
    pub revoked: Option<String>,
    pub last_used: Option<String>,
}

/// What the form was given, shown again beside its problems.
#[derive(Default, Deserialize)]
pub struct NewToken {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    recruiter: String,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct Tokens {
    chrome: Chrome,
    rows: Vec<Row>,
    form: NewToken,
    /// Problems by field (`name`, `role`, `recruiter`), in words.
    problems: HashMap<String, String>,
}

impl Tokens {
    fn problem(&self, field: &str) -> Option<&String> {
        self.problems.get(field)
    }
}

#[derive(Template)]
#[template(path = "admin/token-created.html")]
struct Created {
    chrome: Chrome,
    name: String,
    token: String,
}

async fn list(
    state: &AppState,
    chrome: Chrome,
    form: NewToken,
    problems: HashMap<String, String>,
    status: StatusCode,
) -> Response {
    let tokens = match state.store.tokens().await {
        Ok(tokens) => tokens,
        Err(err) => return ApiError::from(err).into_response(),
    };
    let tz = state.settings.campaign.timezone.0;
    let time = |at: chrono::DateTime<chrono::Utc>| {
        at.with_timezone(&tz).format("%d-%m-%Y %H:%M").to_string()
    };
    let rows = tokens
        .into_iter()
        .map(|token| Row {
            id: token.id,
            role: chrome.t(&format!("admin-ops-role-{}", token.role.tag())),
            name: token.name,
            recruiter_id: token.recruiter_id,
            created: time(token.created_at),
            revoked: token.revoked_at.map(time),
            last_used: token.last_used_at.map(time),
        })
        .collect();
    let page = Tokens {
        chrome,
        rows,
        form,
        problems,
    };
    html(status, &page)
}

pub async fn page(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
) -> Response {
    let chrome = viewer.chrome(&state, "tokens");
    let form = NewToken {
        role: "officer".into(),
        ..NewToken::default()
    };
    list(&state, chrome, form, HashMap::new(), StatusCode::OK).await
}

/// `POST /admin/tokens` (`name`, `role`, `recruiter`): the new token's text on the answer, once;
/// or the form again with its problems (422), nothing made.
pub async fn create(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Form(form): Form<NewToken>,
) -> Response {
    let chrome = viewer.chrome(&state, "tokens");
    let mut problems = HashMap::new();
    for (field, value) in [
        ("name", &form.name),
        ("role", &form.role),
        ("recruiter", &form.recruiter),
    ] {
        if value.len() > MAX_FIELD {
            problems.insert(
                field.to_string(),
                format!("must be at most {MAX_FIELD} bytes"),
            );
        }
    }
    if problems.is_empty() {
        let input = TokenInput {
            name: &form.name,
            role: &form.role,
            recruiter: &form.recruiter,
        };
        match issue(&state, &viewer.principal, &input).await {
            Ok(issued) => {
                let page = Created {
                    chrome,
                    name: form.name.trim().to_string(),
                    token: issued.token,
                };
                return html(StatusCode::CREATED, &page);
            }
            Err(ApiError::Validation(errors)) => {
                for error in errors {
                    problems.entry(error.field).or_insert(error.detail);
                }
            }
            Err(err) => return err.into_response(),
        }
    }
    let form = NewToken {
        name: form.name.chars().take(200).collect(),
        role: form.role.chars().take(20).collect(),
        recruiter: form.recruiter.chars().take(20).collect(),
    };
    list(
        &state,
        chrome,
        form,
        problems,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await
}

/// `POST /admin/tokens/{id}/revoke`: it stops working at once; back to the list.
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    match revoke_token(&state, &viewer.principal, id).await {
        Ok(()) => Redirect::to("/admin/tokens").into_response(),
        Err(ApiError::NotFound) => ErrorPage::answer(
            viewer.chrome(&state, "tokens"),
            StatusCode::NOT_FOUND,
            "admin-not-found-title",
            "admin-not-found-detail",
        ),
        Err(err) => err.into_response(),
    }
}
