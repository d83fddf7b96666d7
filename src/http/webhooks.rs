//! Aggregator webhooks: find the channel, let its provider read the request, hand the result to
//! the domain, and answer in the provider's format.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::problem;
use crate::app::AppState;
use crate::providers::{africastalking, generic, ChannelKind, WebhookError};
use crate::ussd;

fn no_such_channel() -> Response {
    problem(StatusCode::NOT_FOUND, Some("no such channel"))
}

fn refused(channel: &str, err: WebhookError) -> Response {
    let status = match err {
        WebhookError::BadSignature | WebhookError::NoSecret => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    if err == WebhookError::NoSecret {
        tracing::warn!(channel, "refused a webhook: set channels.{channel}.secret");
    }
    metrics::counter!("webhooks_refused_total", "channel" => channel.to_string()).increment(1);
    problem(status, Some(&err.to_string()))
}

/// `POST /webhooks/{channel}/ussd`
pub(super) async fn ussd_hop(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(settings) = state.settings.channels.get(&name) else {
        return no_such_channel();
    };
    let parsed = match settings.kind {
        ChannelKind::Africastalking | ChannelKind::Console => africastalking::parse_ussd_hop(&body),
        ChannelKind::Generic => generic::verify(settings.secret.as_ref(), &headers, &body)
            .and_then(|()| generic::parse_ussd_hop(&body)),
    };
    let hop = match parsed {
        Ok(hop) => hop,
        Err(err) => return refused(&name, err),
    };
    let reply = ussd::serve_hop(&state, &name, hop).await;
    match settings.kind {
        ChannelKind::Africastalking | ChannelKind::Console => africastalking::render_ussd(&reply),
        ChannelKind::Generic => generic::render_ussd(&reply),
    }
}

/// `POST /webhooks/{channel}/ussd/end`
pub(super) async fn ussd_end(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(settings) = state.settings.channels.get(&name) else {
        return no_such_channel();
    };
    let parsed = match settings.kind {
        ChannelKind::Africastalking | ChannelKind::Console => africastalking::parse_ussd_end(&body),
        ChannelKind::Generic => generic::verify(settings.secret.as_ref(), &headers, &body)
            .and_then(|()| generic::parse_ussd_end(&body)),
    };
    let end = match parsed {
        Ok(end) => end,
        Err(err) => return refused(&name, err),
    };
    match ussd::end_session(&state, &name, &end).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(err) => super::ApiError::Internal(err).into_response(),
    }
}
