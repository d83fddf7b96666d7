//! Aggregator webhooks: find the channel, let its provider read the request, hand the result to
//! the domain, and answer in the provider's format.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::error::problem;
use crate::http::AppState;
use crate::providers::{self, Channel, WebhookError, WebhookRequest};
use crate::voice::{CallError, CallQuery};
use crate::{sms, ussd, voice};

fn no_such_channel() -> Response {
    problem(StatusCode::NOT_FOUND, Some("no such channel"))
}

fn refused(channel: &Channel<'_>, err: WebhookError) -> Response {
    let status = providers::refusal_status(channel, &err);
    if err == WebhookError::NoSecret {
        tracing::warn!(
            channel = channel.name,
            "refused a webhook: set the channel's secret or auth token"
        );
    }
    metrics::counter!("webhooks_refused_total", "channel" => channel.name.to_string()).increment(1);
    problem(status, Some(&err.to_string()))
}

/// The channel named in the path, as its provider sees it; `None` when there is none enabled.
fn channel<'a>(state: &'a AppState, name: &'a str) -> Option<Channel<'a>> {
    let settings = state.settings.channels.get(name)?;
    Some(Channel {
        name,
        settings,
        public_url: &state.settings.server.public_url,
    })
}

/// A USSD webhook as its provider reads it.
fn ussd_request<'a>(
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
) -> WebhookRequest<'a> {
    WebhookRequest {
        method,
        path_and_query: uri.path_and_query().map_or("/", |pq| pq.as_str()),
        query: uri.query().unwrap_or_default(),
        headers,
        body,
    }
}

/// `POST /webhooks/{channel}/ussd`
pub(super) async fn ussd_hop(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(channel) = channel(&state, &name) else {
        return no_such_channel();
    };
    let request = ussd_request(&method, &uri, &headers, &body);
    let hop = match providers::read_ussd_hop(&channel, &request) {
        Ok(hop) => hop,
        Err(err) => return refused(&channel, err),
    };
    let reply = ussd::serve_hop(&state.ussd(), &name, hop).await;
    providers::render_ussd_reply(&channel, &reply)
}

/// `POST /webhooks/{channel}/ussd/end`
pub(super) async fn ussd_end(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(channel) = channel(&state, &name) else {
        return no_such_channel();
    };
    let request = ussd_request(&method, &uri, &headers, &body);
    let end = match providers::read_ussd_end(&channel, &request) {
        Ok(end) => end,
        Err(err) => return refused(&channel, err),
    };
    match ussd::end_session(&state.ussd(), &name, &end).await {
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
    let Some(channel) = channel(state, name) else {
        return no_such_channel();
    };
    let (parts, body) = request.into_parts();
    // The body limit layer has already bounded the body.
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return problem(StatusCode::BAD_REQUEST, Some("unreadable body"));
    };
    let request = webhook_request(&parts, &body);
    let done = match hook {
        Hook::Sms => match providers::read_sms(&channel, &request) {
            Ok(message) => sms::receive_sms(&state.sms(), name, &message)
                .await
                .map(|_| providers::acknowledge(&channel)),
            Err(err) => return refused(&channel, err),
        },
        Hook::MissedCall => match providers::read_missed_call(&channel, &request) {
            Ok(call) => sms::receive_call(&state.sms(), name, &call)
                .await
                .map(|_| providers::answer_missed_call(&channel)),
            Err(err) => return refused(&channel, err),
        },
        Hook::Delivery => match providers::read_delivery(&channel, &request) {
            Ok(report) => crate::dispatcher::receive_report(&state.dispatch(), name, &report)
                .await
                .map(|()| providers::acknowledge(&channel)),
            Err(err) => return refused(&channel, err),
        },
    };
    done.unwrap_or_else(|err| super::ApiError::Internal(err).into_response())
}

/// A webhook whose body has been read, as its provider reads it.
fn webhook_request<'a>(
    parts: &'a axum::http::request::Parts,
    body: &'a [u8],
) -> WebhookRequest<'a> {
    WebhookRequest {
        method: &parts.method,
        path_and_query: parts.uri.path_and_query().map_or("/", |pq| pq.as_str()),
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        body,
    }
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
    if !settings.provider.is_console() {
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

/// A call webhook's request as its provider reads it, and mitan's own fields of its URL.
fn call_request(parts: &axum::http::request::Parts) -> Option<CallQuery> {
    serde_urlencoded::from_str(parts.uri.query().unwrap_or_default()).ok()
}

fn call_refused(err: &CallError) -> Response {
    match err {
        CallError::Unknown => problem(StatusCode::NOT_FOUND, Some("no such call")),
        CallError::BadStage => problem(StatusCode::BAD_REQUEST, Some(&err.to_string())),
        CallError::Failed(err) => {
            super::ApiError::Internal(anyhow::anyhow!("{err:#}")).into_response()
        }
    }
}

/// The call webhooks: what each is, for [`call_side`].
#[derive(Debug, Clone, Copy)]
enum CallHook {
    Flow,
    Status,
}

/// Reads a call webhook (the channel, mitan's fields of the URL, the provider's fields), hands it
/// to [`voice`], and answers in the channel's format.
async fn call_side(state: &AppState, name: &str, hook: CallHook, request: Request) -> Response {
    let Some(channel) = channel(state, name) else {
        return no_such_channel();
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return problem(StatusCode::BAD_REQUEST, Some("unreadable body"));
    };
    let Some(query) = call_request(&parts) else {
        return problem(
            StatusCode::NOT_FOUND,
            Some("no such call: the URL must carry `call` and `key`"),
        );
    };
    let request = webhook_request(&parts, &body);
    let done = match hook {
        CallHook::Flow => match providers::read_voice_step(&channel, &request) {
            Ok(step) => voice::serve_flow(&state.voice(), name, &query, &step)
                .await
                .map(|answer| providers::render_voice(&channel, &answer)),
            Err(err) => return refused(&channel, err),
        },
        CallHook::Status => match providers::read_call_status(&channel, &request) {
            Ok(status) => voice::receive_status(&state.voice(), name, &query, &status)
                .await
                .map(|()| providers::acknowledge(&channel)),
            Err(err) => return refused(&channel, err),
        },
    };
    done.unwrap_or_else(|err| call_refused(&err))
}

/// `POST|GET /webhooks/{channel}/voice?call=…&key=…&at=…`: the call flow, fetched by the provider
/// when the call is answered and after each key; answered in ExoML or TwiML.
pub(super) async fn voice(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    call_side(&state, &name, CallHook::Flow, request).await
}

/// `POST|GET /webhooks/{channel}/voice/status?call=…&key=…`: how a placed call ended.
pub(super) async fn call_status(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    request: Request,
) -> Response {
    call_side(&state, &name, CallHook::Status, request).await
}
