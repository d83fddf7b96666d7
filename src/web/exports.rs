//! `GET /admin/exports`: the API's CSV exports, downloaded with the session cookie rather than a
//! bearer token. Admins only. Each file is made by the same code as `GET /api/v1/exports/*.csv`
//! and audited the same way (`export.csv`, the user as actor).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::page::{html, Chrome};
use super::session::AdminViewer;
use crate::api::exports::{areas_csv, recruiters_csv};
use crate::http::AppState;

#[derive(Template)]
#[template(path = "admin/exports.html")]
struct Exports {
    chrome: Chrome,
}

pub async fn page(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
) -> Response {
    let page = Exports {
        chrome: viewer.chrome(&state, "exports"),
    };
    html(StatusCode::OK, &page)
}

/// `GET /admin/exports/areas.csv`.
pub async fn areas(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
) -> Response {
    areas_csv(&state, &viewer.principal)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// `GET /admin/exports/recruiters.csv`.
pub async fn recruiters(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
) -> Response {
    recruiters_csv(&state, &viewer.principal)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}
