//! The HTTP edge: routes, the middleware every request passes, and the one error type.

mod audio;
mod error;
mod health;
mod state;
mod webhooks;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tracing::Span;

pub(crate) use error::Problem;
pub use error::{ApiError, FieldError, PROBLEM_JSON};

pub use state::AppState;

/// Name used for requests that matched no route, in spans and metrics.
const UNMATCHED: &str = "unmatched";

/// Every route: health, metrics, the webhooks, and `api` (the admin API's routes, which the
/// wiring hands in, so that this module does not depend on the API built on it).
pub fn router(state: Arc<AppState>, api: Router<Arc<AppState>>) -> Router {
    let server = &state.settings.server;
    let limit = server.max_body_bytes;
    let timeout = Duration::from_secs(server.request_timeout_secs);
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/webhooks/{channel}/ussd", post(webhooks::ussd_hop))
        .route("/webhooks/{channel}/ussd/end", post(webhooks::ussd_end))
        .route(
            "/webhooks/{channel}/sms",
            post(webhooks::sms).get(webhooks::sms),
        )
        .route(
            "/webhooks/{channel}/missed-call",
            post(webhooks::missed_call).get(webhooks::missed_call),
        )
        .route(
            "/webhooks/{channel}/console/sent",
            get(webhooks::console_sent),
        )
        .route(
            "/webhooks/{channel}/delivery",
            post(webhooks::delivery).get(webhooks::delivery),
        )
        .route(
            "/webhooks/{channel}/voice",
            post(webhooks::voice).get(webhooks::voice),
        )
        .route(
            "/webhooks/{channel}/voice/status",
            post(webhooks::call_status).get(webhooks::call_status),
        )
        .route("/voice/audio/{*path}", get(audio::serve))
        .merge(api)
        .fallback(error::not_found)
        .layer(middleware::from_fn(record_metrics))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                // A 5xx is logged where it happens, with its cause (`ApiError`), or once per
                // episode when the database is unavailable (`store::health`); not again here.
                .on_failure(()),
        )
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(middleware::map_response(error::plain_errors_as_problems))
        .layer(CatchPanicLayer::custom(error::panicked))
        .with_state(state)
}

fn route_of(request: &Request) -> &str {
    request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
}

/// One span per request, named by the matched route. The raw URI is deliberately absent: paths
/// and query strings can carry phone numbers.
fn request_span<B>(request: &axum::http::Request<B>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str);
    tracing::info_span!(
        "request",
        otel.name = %format_args!("{} {route}", request.method()),
        method = %request.method(),
        route,
    )
}

/// `http_requests_total` and `http_request_duration_seconds`, by route, method and status.
async fn record_metrics(request: Request, next: Next) -> Response {
    let route = route_of(&request).to_owned();
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let labels = [
        ("route", route),
        ("method", method),
        ("status", response.status().as_u16().to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}
