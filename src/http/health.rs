//! Liveness, readiness and metrics.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::problem;
use crate::http::AppState;
use crate::store::Readiness;

/// 200 while the process runs.
pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 only when the database answers, every migration is applied and writes work. Not logged:
/// load balancers ask every few seconds, and the write probe logs an episode once.
pub(super) async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let why = match state.store.readiness().await {
        Readiness::Ready => return "ready\n".into_response(),
        Readiness::DatabaseDown => "the database does not answer",
        Readiness::WritesFailing => "the database takes no writes",
        Readiness::MigrationsPending => "a database migration is not applied",
    };
    problem(StatusCode::SERVICE_UNAVAILABLE, Some(why))
}

/// Prometheus text exposition.
pub(super) async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
