//! `GET /voice/audio/{path}`: the recordings calls play, served to the provider with range
//! requests. Only a recording the library checked is served (a tip's or a prompt's, by the path
//! `tips::audio::Recording` names), never anything else in the folder.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;

use super::error::problem;
use crate::http::AppState;
use crate::tips::audio::Recording;

pub(super) async fn serve(
    State(state): State<Arc<AppState>>,
    Path(path): Path<String>,
    request: Request,
) -> Response {
    let audio = state.audio.current();
    let file = Recording::from_path(&path)
        .and_then(|(recording, language)| audio.get(&recording, language).cloned());
    let Some(file) = file else {
        return problem(StatusCode::NOT_FOUND, Some("no such recording"));
    };
    match tower_http::services::ServeFile::new(&file.path)
        .oneshot(request)
        .await
    {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    }
}
