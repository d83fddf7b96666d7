//! The dashboard's files, built into the binary: it works on a LAN with no internet.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// Each file: its name under `/admin/assets/`, its type and its bytes.
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "htmx.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/htmx.min.js"),
    ),
    (
        "simulator.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/simulator.js"),
    ),
    (
        "mitan.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/mitan.css"),
    ),
];

/// `GET /admin/assets/{file}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(file, _, _)| *file == name) {
        Some((_, kind, bytes)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
