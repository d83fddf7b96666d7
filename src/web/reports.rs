//! `GET /admin/reports`: fraud numbers villagers reported, once enough different people reported
//! one within the report window, with a CSV to enter them into Chakshu or the NCRP by hand.
//! Admins only; every view and download is audited. Made by the same code as
//! `GET /api/v1/fraud-reports`.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::page::{html, Chrome};
use super::session::AdminViewer;
use crate::api::fraud_reports::{csv_for, read_audited, FraudReports};
use crate::http::AppState;

#[derive(Template)]
#[template(path = "admin/reports.html")]
struct Page {
    chrome: Chrome,
    note: String,
    totals: String,
    rows: Vec<Row>,
}

struct Row {
    number: String,
    reporters: i64,
    first_day: String,
    last_day: String,
    media: String,
    kinds: String,
}

impl Row {
    fn of(chrome: &Chrome, reports: &FraudReports) -> Vec<Row> {
        reports
            .numbers
            .iter()
            .map(|n| Row {
                number: n.number.clone(),
                reporters: n.reporters,
                first_day: n.first_day.format("%d-%m-%Y").to_string(),
                last_day: n.last_day.format("%d-%m-%Y").to_string(),
                media: listed(chrome, &n.media),
                kinds: listed(chrome, &n.kinds),
            })
            .collect()
    }
}

/// Counts as `WhatsApp 2, SMS 1`, each name in the viewer's language.
fn listed(chrome: &Chrome, counts: &std::collections::BTreeMap<String, i64>) -> String {
    counts
        .iter()
        .map(|(name, n)| format!("{} {n}", chrome.t(&format!("admin-reports-{name}"))))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn page(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
) -> Response {
    let chrome = viewer.chrome(&state, "reports");
    let reports = match read_audited(&state, &viewer.principal).await {
        Ok(reports) => reports,
        Err(err) => return err.into_response(),
    };
    let note = chrome.t2(
        "admin-reports-note",
        ("reporters", &reports.reporters_to_show.to_string()),
        ("days", &reports.window_days.to_string()),
    );
    let totals = chrome.t2(
        "admin-reports-totals",
        ("numbers", &reports.numbers_reported.to_string()),
        ("reports", &reports.reports.to_string()),
    );
    let rows = Row::of(&chrome, &reports);
    html(
        StatusCode::OK,
        &Page {
            chrome,
            note,
            totals,
            rows,
        },
    )
}

/// `GET /admin/reports/fraud-reports.csv`.
pub async fn csv(State(state): State<Arc<AppState>>, AdminViewer(viewer): AdminViewer) -> Response {
    csv_for(&state, &viewer.principal)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}
