//! Liveness, readiness and metrics.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::ApiError;
use crate::app::AppState;
use crate::store::Readiness;

/// 200 while the process runs.
pub(super) async fn healthz() -> &'static str {
    "ok\n"
}

/// 200 only when the database answers and every migration is applied.
pub(super) async fn readyz(State(state): State<Arc<AppState>>) -> Result<&'static str, ApiError> {
    match state.store.readiness().await {
        Readiness::Ready => Ok("ready\n"),
        not_ready => {
            tracing::warn!(?not_ready, "not ready");
            Err(ApiError::Unavailable)
        }
    }
}

/// Prometheus text exposition.
pub(super) async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
