//! Aggregator webhooks: find the channel, let its provider read the request, hand the result to
//! the domain, and answer in the provider's format.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::error::problem;
use crate::app::AppState;
use crate::config::ChannelSettings;
use crate::providers::WebhookRequest;
use crate::providers::{self, africastalking, generic, Channel, ChannelKind, WebhookError};
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

/// One SMS-side webhook, read by the channel's provider.
struct Incoming {
    name: String,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
}

impl Incoming {
    fn request(&self) -> WebhookRequest<'_> {
        WebhookRequest {
            method: &self.method,
            path_and_query: self.uri.path_and_query().map_or("/", |pq| pq.as_str()),
            query: self.uri.query().unwrap_or_default(),
            headers: &self.headers,
            body: &self.body,
        }
    }

    fn channel<'a>(&'a self, state: &'a AppState, settings: &'a ChannelSettings) -> Channel<'a> {
        Channel {
            name: &self.name,
            settings,
            public_url: &state.settings.server.public_url,
        }
    }
}

/// `POST|GET /webhooks/{channel}/sms`: an inbound SMS. Anything readable is acknowledged in the
/// channel's format (also a retry, a message from a short code, or one over the abuse limit);
/// the replies leave through the outbox.
pub(super) async fn sms(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = Incoming {
        name,
        method,
        uri,
        headers,
        body,
    };
    let Some(settings) = state.settings.channels.get(&incoming.name) else {
        return no_such_channel();
    };
    let channel = incoming.channel(&state, settings);
    let message = match providers::read_sms(&channel, &incoming.request()) {
        Ok(message) => message,
        Err(err) => return refused(channel.name, settings.kind, err),
    };
    match sms::receive_sms(&state, channel.name, &message).await {
        Ok(_) => providers::acknowledge(settings.kind),
        Err(err) => super::ApiError::Internal(err).into_response(),
    }
}

/// `POST|GET /webhooks/{channel}/missed-call`
pub(super) async fn missed_call(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = Incoming {
        name,
        method,
        uri,
        headers,
        body,
    };
    let Some(settings) = state.settings.channels.get(&incoming.name) else {
        return no_such_channel();
    };
    let channel = incoming.channel(&state, settings);
    let call = match providers::read_missed_call(&channel, &incoming.request()) {
        Ok(call) => call,
        Err(err) => return refused(channel.name, settings.kind, err),
    };
    match sms::receive_call(&state, channel.name, &call).await {
        Ok(_) => providers::answer_missed_call(settings.kind),
        Err(err) => super::ApiError::Internal(err).into_response(),
    }
}

/// `POST|GET /webhooks/{channel}/delivery`: a delivery report or status callback.
pub(super) async fn delivery(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let incoming = Incoming {
        name,
        method,
        uri,
        headers,
        body,
    };
    let Some(settings) = state.settings.channels.get(&incoming.name) else {
        return no_such_channel();
    };
    let channel = incoming.channel(&state, settings);
    let report = match providers::read_delivery(&channel, &incoming.request()) {
        Ok(report) => report,
        Err(err) => return refused(channel.name, settings.kind, err),
    };
    match sms::receive_report(&state, channel.name, &report).await {
        Ok(()) => providers::acknowledge(settings.kind),
        Err(err) => super::ApiError::Internal(err).into_response(),
    }
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
