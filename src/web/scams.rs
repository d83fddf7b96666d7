//! `GET /admin/scams`: scams forwarded per kind per week, the last eight weeks. Admins only.
//! The store keeps only the kind, the day and a member's area of each check, so this is all
//! there is to show.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::page::{html, Chrome};
use super::session::AdminViewer;
use crate::http::AppState;

/// Weeks the page shows.
const WEEKS: u32 = 8;

pub struct Row {
    pub kind: String,
    pub counts: Vec<i64>,
}

#[derive(Template)]
#[template(path = "admin/scams.html")]
struct Page {
    chrome: Chrome,
    weeks: Vec<String>,
    rows: Vec<Row>,
    totals: Vec<i64>,
}

pub async fn page(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
) -> Response {
    let chrome = viewer.chrome(&state, "scams");
    let checks = match crate::api::scam_checks::weekly(&state, WEEKS).await {
        Ok(checks) => checks,
        Err(err) => return err.into_response(),
    };
    let mut kinds: Vec<String> = checks
        .weeks
        .iter()
        .flat_map(|week| week.kinds.keys().cloned())
        .collect();
    kinds.sort();
    kinds.dedup();
    let rows = kinds
        .into_iter()
        .map(|kind| Row {
            counts: checks
                .weeks
                .iter()
                .map(|week| week.kinds.get(&kind).copied().unwrap_or(0))
                .collect(),
            kind,
        })
        .collect();
    html(
        StatusCode::OK,
        &Page {
            chrome,
            weeks: checks
                .weeks
                .iter()
                .map(|week| week.week_of.format("%d-%m").to_string())
                .collect(),
            totals: checks.weeks.iter().map(|week| week.total).collect(),
            rows,
        },
    )
}
