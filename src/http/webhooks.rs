//! Aggregator webhooks: find the channel, let its provider read the request, hand the result to
//! the domain, and answer in the provider's format.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::error::problem;
use crate::app::AppState;
use crate::providers::{
    self, africastalking, generic, Channel, ChannelKind, WebhookError, WebhookRequest,
};
use crate::{sms, ussd};

fn no_such_channel() -> Response {
    problem(StatusCode::NOT_FOUND, Some("no such channel"))
}

fn refused(channel: &str, kind: ChannelKind, err: WebhookError) -> Response {
    let status = match err {
        // Twilio's own middleware answers a bad signature with 403.
        WebhookError::BadSignature | WebhookError::NoSecret if kind == ChannelKind::Twilio => {
            StatusCode::FORBIDDEN
        }
        WebhookError::BadSignature | WebhookError::NoSecret => StatusCode::UNAUTHORIZED,
        WebhookError::Unsupported => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    if err == WebhookError::NoSecret {
        tracing::warn!(
            channel,
            "refused a webhook: set the channel's secret or auth token"
        );
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
        _ => Err(WebhookError::Unsupported),
    };
    let hop = match parsed {
        Ok(hop) => hop,
        Err(err) => return refused(&name, settings.kind, err),
    };
    let reply = ussd::serve_hop(&state, &name, hop).await;
    match settings.kind {
        ChannelKind::Generic => generic::render_ussd(&reply),
        _ => africastalking::render_ussd(&reply),
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
        _ => Err(WebhookError::Unsupported),
    };
    let end = match parsed {
        Ok(end) => end,
        Err(err) => return refused(&name, settings.kind, err),
    };
    match ussd::end_session(&state, &name, &end).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(err) => super::ApiError::Internal(err).into_response(),
    }
}

/// The SMS-side webhooks: what each is, for [`sms_side`].
#[derive(Debug, Clone, Copy)]
enum Hook {
    Sms,
    MissedCall,
    Delivery,
}

/// Reads an SMS-side webhook with the channel's provider, hands it to [`sms`], and answers in the
/// channel's format. Anything readable is acknowledged (also a retry, a message from a short
/// code, or one over the abuse limit), so the aggregator does not retry; replies leave through
/// the outbox.
async fn sms_side(state: &AppState, name: &str, hook: Hook, request: Request) -> Response {
    let Some(settings) = state.settings.channels.get(name) else {
        return no_such_channel();
    };
    let (parts, body) = request.into_parts();
    // The body limit layer has already bounded the body.
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return problem(StatusCode::BAD_REQUEST, Some("unreadable body"));
    };
    let request = WebhookRequest {
        method: &parts.method,
        path_and_query: parts.uri.path_and_query().map_or("/", |pq| pq.as_str()),
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        body: &body,
    };
    let channel = Channel {
        name,
        settings,
        public_url: &state.settings.server.public_url,
    };
    let kind = settings.kind;
    let done = match hook {
        Hook::Sms => match providers::read_sms(&channel, &request) {
            Ok(message) => sms::receive_sms(state, name, &message)
                .await
                .map(|_| providers::acknowledge(kind)),
            Err(err) => return refused(name, kind, err),
        },
        Hook::MissedCall => match providers::read_missed_call(&channel, &request) {
            Ok(call) => sms::receive_call(state, name, &call)
                .await
                .map(|_| providers::answer_missed_call(kind)),
            Err(err) => return refused(name, kind, err),
        },
        Hook::Delivery => match providers::read_delivery(&channel, &request) {
            Ok(report) => crate::dispatcher::receive_report(state, name, &report)
                .await
                .map(|()| providers::acknowledge(kind)),
            Err(err) => return refused(name, kind, err),
        },
    };
    done.unwrap_or_else(|err| super::ApiError::Internal(err).into_response())
}

/// `POST|GET /webhooks/{channel}/sms`: an inbound SMS.
pub(super) async fn sms(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    sms_side(&state, &name, Hook::Sms, request).await
}

/// `POST|GET /webhooks/{channel}/missed-call`: a missed call, rejected unanswered.
pub(super) async fn missed_call(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    sms_side(&state, &name, Hook::MissedCall, request).await
}

/// `POST|GET /webhooks/{channel}/delivery`: a delivery report or status callback.
pub(super) async fn delivery(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    sms_side(&state, &name, Hook::Delivery, request).await
}

/// `GET /webhooks/{channel}/console/sent?to=…`: what a console channel sent to one number, for
/// `mitan simulate --sms`. Other kinds of channel have no such page.
pub(super) async fn console_sent(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    uri: Uri,
) -> Response {
    let Some(settings) = state.settings.channels.get(&name) else {
        return no_such_channel();
    };
    if settings.kind != ChannelKind::Console {
        return no_such_channel();
    }
    let to: Option<String> =
        serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or_default())
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "to").map(|(_, v)| v));
    let region = state.settings.phone.default_region.0;
    let Some(phone) = to.and_then(|to| crate::privacy::Msisdn::parse(&to, region).ok()) else {
        return problem(
            StatusCode::BAD_REQUEST,
            Some("`to` must be a mobile number"),
        );
    };
    providers::console::render_sent(state.console.to(phone.e164()))
}
