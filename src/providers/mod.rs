//! The only code that knows an aggregator's wire format: one file per kind of channel, each
//! holding the kind's own settings and parsing its webhooks (and checking their signatures)
//! into mitan's own types, rendering replies back, sending SMS through its API and reading its
//! delivery reports. This file holds mitan's side of every exchange and the one place that
//! chooses by kind: one `match` on [`ProviderSettings`] per operation, so that each kind's code
//! gets its own settings and no other's, and a new kind is a compile error in every operation
//! until it answers it.

pub mod africastalking;
pub mod console;
pub mod exotel;
pub mod generic;
pub mod kannel;
mod settings;
pub mod twilio;
mod voice;

mod form;
#[cfg(test)]
mod testing;

use std::time::Duration;

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Deserializer};

pub use settings::ChannelSettings;
pub use voice::{CallOutcome, CallStatus, Gather, OutboundCall, VoiceAnswer, VoiceStep};

use crate::encoding::Encoding;
use crate::privacy::{without_numbers, Msisdn};

/// The kinds of channel mitan can speak: `channels.<name>.kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChannelKind {
    /// Africa's Talking: form-encoded webhooks, `CON`/`END` USSD replies.
    Africastalking,
    /// Twilio: form-encoded webhooks signed with `X-Twilio-Signature`, TwiML replies.
    Twilio,
    /// Exotel (India): SMS status callbacks and the missed-call "Passthru" applet.
    Exotel,
    /// The Kannel SMSC HTTP dialect many Indian aggregators expose.
    Kannel,
    /// mitan's own JSON contract, signed with `X-Mitan-Signature` (HMAC-SHA256).
    Generic,
    /// Development: the Africa's Talking dialect, unauthenticated, for `mitan simulate`.
    Console,
}

impl ChannelKind {
    /// The kind as it is written in the settings.
    pub fn name(self) -> &'static str {
        match self {
            ChannelKind::Africastalking => "africastalking",
            ChannelKind::Twilio => "twilio",
            ChannelKind::Exotel => "exotel",
            ChannelKind::Kannel => "kannel",
            ChannelKind::Generic => "generic",
            ChannelKind::Console => "console",
        }
    }
}

/// A channel's kind with the settings of its own (credentials, sender, send API, DLT ids),
/// one struct per kind in the kind's file; what every channel has, whatever its kind, is in
/// [`ChannelSettings`].
#[derive(Debug, Clone)]
pub enum ProviderSettings {
    Africastalking(africastalking::AfricasTalkingSettings),
    Twilio(twilio::TwilioSettings),
    Exotel(exotel::ExotelSettings),
    Kannel(kannel::KannelSettings),
    Generic(generic::GenericSettings),
    Console(console::ConsoleSettings),
}

impl ProviderSettings {
    pub fn kind(&self) -> ChannelKind {
        match self {
            ProviderSettings::Africastalking(_) => ChannelKind::Africastalking,
            ProviderSettings::Twilio(_) => ChannelKind::Twilio,
            ProviderSettings::Exotel(_) => ChannelKind::Exotel,
            ProviderSettings::Kannel(_) => ChannelKind::Kannel,
            ProviderSettings::Generic(_) => ChannelKind::Generic,
            ProviderSettings::Console(_) => ChannelKind::Console,
        }
    }

    /// Reads the settings of a channel of `kind` from its own keys (those every channel takes
    /// already set aside); a key the kind does not take is refused.
    pub fn deserialize_as<'de, D: Deserializer<'de>>(
        kind: ChannelKind,
        keys: D,
    ) -> Result<Self, D::Error> {
        Ok(match kind {
            ChannelKind::Africastalking => Self::Africastalking(Deserialize::deserialize(keys)?),
            ChannelKind::Twilio => Self::Twilio(Deserialize::deserialize(keys)?),
            ChannelKind::Exotel => Self::Exotel(Deserialize::deserialize(keys)?),
            ChannelKind::Kannel => Self::Kannel(Deserialize::deserialize(keys)?),
            ChannelKind::Generic => Self::Generic(Deserialize::deserialize(keys)?),
            ChannelKind::Console => Self::Console(Deserialize::deserialize(keys)?),
        })
    }

    /// Whether this is a development console channel, whose sent messages can be read back.
    pub fn is_console(&self) -> bool {
        matches!(self, ProviderSettings::Console(_))
    }
}

/// A webhook that cannot be used, phrased for the aggregator's operator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    #[error("field `{0}` is too long")]
    TooLong(&'static str),
    #[error("field `{0}` holds a NUL character")]
    Nul(&'static str),
    /// What is wrong, as the reader (or serde) said it; shown without the numbers in it.
    #[error("malformed body: {}", crate::privacy::without_numbers(.0))]
    Malformed(String),
    #[error("missing or invalid signature")]
    BadSignature,
    #[error("the channel's secret is not configured")]
    NoSecret,
    #[error("this channel does not take this kind of webhook")]
    Unsupported,
}

/// Longest session id accepted (Africa's Talking ids are about 40 characters).
pub const MAX_SESSION_ID: usize = 128;
/// Longest phone field accepted; a longer one is a malformed request, not a number.
pub const MAX_PHONE_FIELD: usize = 128;
/// Longest USSD input kept (a handset sends at most 182 characters a hop).
pub const MAX_INPUT: usize = 1024;
/// Longest inbound SMS text kept (a concatenated SMS of 10 parts).
pub const MAX_SMS_TEXT: usize = 1600;
/// Longest aggregator message or call id accepted.
pub const MAX_MESSAGE_ID: usize = 128;

/// What the user typed, as the aggregator reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HopInput {
    /// Every input of the session so far, joined by `*` (Africa's Talking).
    Path(String),
    /// Only the latest input, with an optional hop number that identifies retries (generic).
    Latest { input: String, seq: Option<u64> },
}

/// One USSD hop in mitan's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdHop {
    pub session_id: String,
    /// The phone as the aggregator wrote it; parsed (and never logged) by the caller.
    pub phone: String,
    pub input: HopInput,
}

/// The answer to a hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdReply {
    pub end: bool,
    pub text: String,
}

/// The aggregator's note that a session is over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UssdSessionEnd {
    pub session_id: String,
}

/// One webhook request as it arrived: what every provider needs to read and verify it.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    pub method: &'a Method,
    /// The path and query string as requested (signatures cover them).
    pub path_and_query: &'a str,
    pub query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// A channel as the providers see it: its name, kind and settings, and the service's public
/// origin (for signature checks and callback URLs).
#[derive(Debug, Clone, Copy)]
pub struct Channel<'a> {
    pub name: &'a str,
    pub settings: &'a ChannelSettings,
    pub public_url: &'a str,
}

impl Channel<'_> {
    /// Where this channel's aggregator reports delivery.
    pub fn delivery_url(&self) -> String {
        format!(
            "{}/webhooks/{}/delivery",
            self.public_url.trim_end_matches('/'),
            self.name
        )
    }
}

/// An inbound SMS in mitan's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    /// The aggregator's id for the message: its retries repeat it.
    pub message_id: Option<String>,
    /// The sender as the aggregator wrote it (a number, a short code or a name).
    pub from: String,
    /// The number or short code it was sent to.
    pub to: Option<String>,
    pub text: String,
}

/// A call to one of the campaign's numbers, rejected unanswered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissedCall {
    pub call_id: Option<String>,
    pub from: String,
    /// The number that was called.
    pub to: Option<String>,
}

/// Where a sent message is, as far as delivery reports tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    Queued,
    Sent,
    Delivered,
    Failed,
}

/// One delivery report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The id the aggregator gave the message when it was sent.
    pub message_id: String,
    /// mitan's own id of the message, where the report carries it (Kannel's `dlr-url`, the
    /// `generic` kind's `id`): it settles a message whose send got no answer, so no
    /// aggregator id was recorded.
    pub mitan_id: Option<i64>,
    pub status: DeliveryStatus,
    /// The aggregator's reason for a failure, if it gave one.
    pub reason: Option<String>,
    /// The failure says the number does not want messages (DND, blacklist, unsubscribed).
    pub opted_out: bool,
}

/// One message to send.
#[derive(Debug, Clone)]
pub struct OutboundSms<'a> {
    /// The outbox row's id (some aggregators take it back in their delivery reports).
    pub id: i64,
    pub to: &'a Msisdn,
    pub text: &'a str,
    pub encoding: Encoding,
    pub parts: usize,
    pub dlt_template_id: Option<&'a str>,
}

/// What an aggregator said to a send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendResult {
    /// Taken, under the aggregator's id.
    Accepted { provider_id: String },
    /// Try again later (5xx, 429, throttling, no connection): the aggregator did not take it.
    Transient { reason: String },
    /// The request went out and no answer came back (a timeout, a connection dropped
    /// mid-request): the aggregator may have taken it. Never sent again; a delivery report
    /// settles it.
    Unanswered { reason: String },
    /// Never try again; `suppress` when the number itself is refused (invalid, unsubscribed,
    /// DND), so it is never messaged again.
    Permanent { reason: String, suppress: bool },
}

impl SendResult {
    fn transient(reason: impl Into<String>) -> Self {
        SendResult::Transient {
            reason: reason.into(),
        }
    }

    fn permanent(reason: impl Into<String>, suppress: bool) -> Self {
        SendResult::Permanent {
            reason: reason.into(),
            suppress,
        }
    }

    /// A setting the channel needs is missing: nothing can be sent through it.
    fn unconfigured(what: &str) -> Self {
        Self::permanent(format!("not configured: {what}"), false)
    }

    /// The same result with any number an aggregator's reason holds cut out, before it is
    /// logged or stored.
    fn without_numbers(self) -> Self {
        match self {
            SendResult::Transient { reason } => SendResult::Transient {
                reason: without_numbers(&reason),
            },
            SendResult::Unanswered { reason } => SendResult::Unanswered {
                reason: without_numbers(&reason),
            },
            SendResult::Permanent { reason, suppress } => SendResult::Permanent {
                reason: without_numbers(&reason),
                suppress,
            },
            accepted @ SendResult::Accepted { .. } => accepted,
        }
    }

    /// The usual reading of an HTTP status when the body says nothing more precise.
    fn from_status(status: StatusCode, body: &str) -> Self {
        let reason = format!("HTTP {}: {}", status.as_u16(), clip(body, 200));
        if status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::REQUEST_TIMEOUT
            || status.is_server_error()
        {
            Self::transient(reason)
        } else {
            Self::permanent(reason, false)
        }
    }

    /// A request that could not connect may be tried again; one that went out and got no
    /// answer may have been taken, so it is not.
    fn from_error(err: &reqwest::Error) -> Self {
        if err.is_connect() {
            return Self::transient("could not connect");
        }
        let reason = if err.is_timeout() {
            "timed out"
        } else {
            "no answer"
        };
        SendResult::Unanswered {
            reason: reason.into(),
        }
    }
}

/// Sends a request and reads the answer (status and body); see [`SendResult::from_error`] for a
/// request that got none.
async fn exchange(request: reqwest::RequestBuilder) -> Result<(StatusCode, String), SendResult> {
    match request.send().await {
        Ok(response) => {
            let status = response.status();
            Ok((status, response.text().await.unwrap_or_default()))
        }
        Err(err) => Err(SendResult::from_error(&err)),
    }
}

fn clip(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// The settings a channel of its kind needs before it can send, that it was not given, by key
/// (`username`, `api_key`, …). Empty when it can send.
pub fn missing_for_sending(settings: &ChannelSettings) -> Vec<&'static str> {
    let needs = match &settings.provider {
        ProviderSettings::Africastalking(own) => africastalking::needs_for_sending(own),
        ProviderSettings::Twilio(own) => twilio::needs_for_sending(own),
        ProviderSettings::Exotel(own) => exotel::needs_for_sending(own),
        ProviderSettings::Kannel(own) => kannel::needs_for_sending(own),
        ProviderSettings::Generic(own) => generic::needs_for_sending(own),
        ProviderSettings::Console(own) => console::needs_for_sending(own),
    };
    needs
        .into_iter()
        .filter(|(_, given)| !given)
        .map(|(key, _)| key)
        .collect()
}

/// The HTTP client every send uses: pooled connections, a timeout per request.
pub fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(concat!("mitan/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("a TLS backend is compiled in")
}

/// The origin sends go to: the configured `base_url`, else the kind's public API.
fn base_url(configured: Option<&url::Url>, public: Option<&str>) -> Option<String> {
    configured
        .map(|url| url.as_str().trim_end_matches('/').to_string())
        .or_else(|| public.map(str::to_string))
}

/// Reads one USSD hop in the channel's dialect, checking its signature where the kind signs.
pub fn read_ussd_hop(
    channel: &Channel<'_>,
    request: &WebhookRequest<'_>,
) -> Result<UssdHop, WebhookError> {
    match &channel.settings.provider {
        ProviderSettings::Africastalking(_) => africastalking::read_ussd_hop(request),
        ProviderSettings::Console(_) => console::read_ussd_hop(request),
        ProviderSettings::Generic(own) => generic::read_ussd_hop(own, request),
        ProviderSettings::Twilio(_) | ProviderSettings::Exotel(_) | ProviderSettings::Kannel(_) => {
            Err(WebhookError::Unsupported)
        }
    }
}

/// Reads the aggregator's notice that a USSD session is over.
pub fn read_ussd_end(
    channel: &Channel<'_>,
    request: &WebhookRequest<'_>,
) -> Result<UssdSessionEnd, WebhookError> {
    match &channel.settings.provider {
        ProviderSettings::Africastalking(_) => africastalking::read_ussd_end(request),
        ProviderSettings::Console(_) => console::read_ussd_end(request),
        ProviderSettings::Generic(own) => generic::read_ussd_end(own, request),
        ProviderSettings::Twilio(_) | ProviderSettings::Exotel(_) | ProviderSettings::Kannel(_) => {
            Err(WebhookError::Unsupported)
        }
    }
}

/// The answer to a USSD hop, in the channel's dialect.
pub fn render_ussd_reply(channel: &Channel<'_>, reply: &UssdReply) -> Response {
    match &channel.settings.provider {
        ProviderSettings::Generic(_) => generic::render_ussd_reply(reply),
        ProviderSettings::Console(_) => console::render_ussd_reply(reply),
        // Only USSD channels get here (the hop was read); the others would speak Africa's
        // Talking's plain text, as they always have.
        ProviderSettings::Africastalking(_)
        | ProviderSettings::Twilio(_)
        | ProviderSettings::Exotel(_)
        | ProviderSettings::Kannel(_) => africastalking::render_ussd_reply(reply),
    }
}

/// Reads an inbound SMS webhook in the channel's dialect, checking its signature.
pub fn read_sms(
    channel: &Channel<'_>,
    request: &WebhookRequest<'_>,
) -> Result<InboundSms, WebhookError> {
    match &channel.settings.provider {
        ProviderSettings::Africastalking(_) => africastalking::read_sms(request),
        ProviderSettings::Console(_) => console::read_sms(request),
        ProviderSettings::Twilio(own) => twilio::read_sms(own, channel.public_url, request),
        ProviderSettings::Exotel(_) => exotel::read_sms(request),
        ProviderSettings::Kannel(_) => kannel::read_sms(request),
        ProviderSettings::Generic(own) => generic::read_sms(own, request),
    }
}

/// Reads a missed-call webhook in the channel's dialect.
pub fn read_missed_call(
    channel: &Channel<'_>,
    request: &WebhookRequest<'_>,
) -> Result<MissedCall, WebhookError> {
    match &channel.settings.provider {
        ProviderSettings::Africastalking(_) => africastalking::read_missed_call(request),
        ProviderSettings::Console(_) => console::read_missed_call(request),
        ProviderSettings::Twilio(own) => twilio::read_missed_call(own, channel.public_url, request),
        ProviderSettings::Exotel(_) => exotel::read_missed_call(request),
        ProviderSettings::Kannel(_) => Err(WebhookError::Unsupported),
        ProviderSettings::Generic(own) => generic::read_missed_call(own, request),
    }
}

/// Reads a delivery report in the channel's dialect.
pub fn read_delivery(
    channel: &Channel<'_>,
    request: &WebhookRequest<'_>,
) -> Result<DeliveryReport, WebhookError> {
    let report = match &channel.settings.provider {
        ProviderSettings::Africastalking(_) => africastalking::read_delivery(request),
        ProviderSettings::Console(_) => console::read_delivery(request),
        ProviderSettings::Twilio(own) => twilio::read_delivery(own, channel.public_url, request),
        ProviderSettings::Exotel(_) => exotel::read_delivery(request),
        ProviderSettings::Kannel(_) => kannel::read_delivery(request),
        ProviderSettings::Generic(own) => generic::read_delivery(own, request),
    }?;
    // The aggregator's words may hold the recipient's number: never logged or stored as given.
    Ok(DeliveryReport {
        reason: report.reason.as_deref().map(without_numbers),
        ..report
    })
}

/// The HTTP status a webhook that cannot be read is refused with.
pub fn refusal_status(channel: &Channel<'_>, err: &WebhookError) -> StatusCode {
    match err {
        WebhookError::BadSignature | WebhookError::NoSecret => match &channel.settings.provider {
            ProviderSettings::Twilio(_) => twilio::SIGNATURE_REFUSED,
            _ => StatusCode::UNAUTHORIZED,
        },
        WebhookError::Unsupported => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// The answer to an inbound SMS or delivery report once it is taken (processed, a retry, or
/// dropped on purpose): 2xx in the dialect's shape, so the aggregator does not retry. Replies
/// never ride on it; they leave through the outbox.
pub fn acknowledge(channel: &Channel<'_>) -> Response {
    match &channel.settings.provider {
        ProviderSettings::Africastalking(_) => africastalking::acknowledge(),
        ProviderSettings::Console(_) => console::acknowledge(),
        ProviderSettings::Twilio(_) => twilio::acknowledge(),
        ProviderSettings::Exotel(_) => exotel::acknowledge(),
        ProviderSettings::Kannel(_) => kannel::acknowledge(),
        ProviderSettings::Generic(_) => generic::acknowledge(),
    }
}

/// The answer to a missed call: reject it, so the caller pays nothing.
pub fn answer_missed_call(channel: &Channel<'_>) -> Response {
    match &channel.settings.provider {
        ProviderSettings::Africastalking(_) => africastalking::answer_missed_call(),
        ProviderSettings::Console(_) => console::answer_missed_call(),
        ProviderSettings::Twilio(_) => twilio::answer_missed_call(),
        ProviderSettings::Exotel(_) => exotel::answer_missed_call(),
        // Kannel takes no calls (its reader refuses them); an empty 200 as before.
        ProviderSettings::Kannel(_) => kannel::acknowledge(),
        ProviderSettings::Generic(_) => generic::answer_missed_call(),
    }
}

/// Sends one SMS through the channel's API. Never holds a database transaction.
pub async fn send(
    client: &reqwest::Client,
    channel: &Channel<'_>,
    console: &console::ConsoleLog,
    message: &OutboundSms<'_>,
) -> SendResult {
    let delivery_url = channel.delivery_url();
    let result = match &channel.settings.provider {
        ProviderSettings::Africastalking(own) => africastalking::send(client, own, message).await,
        ProviderSettings::Twilio(own) => twilio::send(client, own, &delivery_url, message).await,
        ProviderSettings::Exotel(own) => exotel::send(client, own, &delivery_url, message).await,
        ProviderSettings::Kannel(own) => kannel::send(client, own, &delivery_url, message).await,
        ProviderSettings::Generic(own) => generic::send(client, own, message).await,
        ProviderSettings::Console(_) => console.send(channel.name, message),
    };
    // Aggregators' error bodies often repeat the recipient's number ("The 'To' number … is
    // not valid"): a reason is logged and stored, so no number stays in it.
    result.without_numbers()
}

/// A field's value as mitan keeps it: at most `max` bytes, and no NUL (PostgreSQL's text
/// cannot hold one: an id or a USSD input with one would fail in the store).
/// Whether channels of this kind can place calls (Exotel and Twilio).
pub fn places_calls(settings: &ChannelSettings) -> bool {
    matches!(
        settings.provider,
        ProviderSettings::Exotel(_) | ProviderSettings::Twilio(_)
    )
}

/// The keys a channel still needs before it can place calls; `None` when its kind cannot.
pub fn missing_for_calling(settings: &ChannelSettings) -> Option<Vec<&'static str>> {
    let mut needs = match &settings.provider {
        ProviderSettings::Exotel(own) => exotel::needs_for_calling(own),
        ProviderSettings::Twilio(own) => twilio::needs_for_calling(own),
        ProviderSettings::Africastalking(_)
        | ProviderSettings::Kannel(_)
        | ProviderSettings::Generic(_)
        | ProviderSettings::Console(_) => return None,
    };
    needs.push(("voice_number", settings.voice_number.is_some()));
    Some(
        needs
            .into_iter()
            .filter(|(_, given)| !given)
            .map(|(key, _)| key)
            .collect(),
    )
}

/// Places a call: the villager's phone rings from the channel's `voice_number`, and once
/// answered the provider fetches `call.flow_url`.
pub async fn place_call(
    client: &reqwest::Client,
    channel: &Channel<'_>,
    call: &OutboundCall<'_>,
) -> SendResult {
    let Some(from) = channel.settings.voice_number.as_deref() else {
        return SendResult::unconfigured("voice_number");
    };
    let result = match &channel.settings.provider {
        ProviderSettings::Exotel(own) => exotel::place_call(client, own, from, call).await,
        ProviderSettings::Twilio(own) => twilio::place_call(client, own, from, call).await,
        ProviderSettings::Africastalking(_)
        | ProviderSettings::Kannel(_)
        | ProviderSettings::Generic(_)
        | ProviderSettings::Console(_) => {
            SendResult::permanent("this kind of channel cannot place calls", false)
        }
    };
    result.without_numbers()
}

pub fn read_voice_step(
    channel: &Channel<'_>,
    request: &WebhookRequest<'_>,
) -> Result<VoiceStep, WebhookError> {
    match &channel.settings.provider {
        ProviderSettings::Exotel(_) => exotel::read_voice_step(request),
        ProviderSettings::Twilio(own) => twilio::read_voice_step(own, channel.public_url, request),
        ProviderSettings::Africastalking(_)
        | ProviderSettings::Kannel(_)
        | ProviderSettings::Generic(_)
        | ProviderSettings::Console(_) => Err(WebhookError::Unsupported),
    }
}

pub fn read_call_status(
    channel: &Channel<'_>,
    request: &WebhookRequest<'_>,
) -> Result<CallStatus, WebhookError> {
    match &channel.settings.provider {
        ProviderSettings::Exotel(_) => exotel::read_call_status(request),
        ProviderSettings::Twilio(own) => twilio::read_call_status(own, channel.public_url, request),
        ProviderSettings::Africastalking(_)
        | ProviderSettings::Kannel(_)
        | ProviderSettings::Generic(_)
        | ProviderSettings::Console(_) => Err(WebhookError::Unsupported),
    }
}

/// The call flow's next verbs in the channel's dialect (ExoML or TwiML).
pub fn render_voice(channel: &Channel<'_>, answer: &VoiceAnswer) -> Response {
    match &channel.settings.provider {
        ProviderSettings::Twilio(_) => twilio::render_voice(answer),
        ProviderSettings::Exotel(_)
        | ProviderSettings::Africastalking(_)
        | ProviderSettings::Kannel(_)
        | ProviderSettings::Generic(_)
        | ProviderSettings::Console(_) => exotel::render_voice(answer),
    }
}

fn bounded(value: String, field: &'static str, max: usize) -> Result<String, WebhookError> {
    if value.len() > max {
        Err(WebhookError::TooLong(field))
    } else if value.contains('\0') {
        Err(WebhookError::Nul(field))
    } else {
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_holding_a_nul_character_is_refused_for_no_database_text_can_hold_one() {
        let headers = HeaderMap::new();
        let exotel = |query| WebhookRequest {
            method: &Method::GET,
            path_and_query: "/",
            query,
            headers: &headers,
            body: b"",
        };
        let nul = |field| Err(WebhookError::Nul(field));
        assert_eq!(
            exotel::read_sms(&exotel("SmsSid=a%00b&From=%2B919876543210&Body=HELP")).map(|_| ()),
            nul("SmsSid")
        );
        assert_eq!(
            exotel::read_delivery(&exotel("SmsSid=a&Status=failed&DetailedStatus=x%00"))
                .map(|_| ()),
            nul("DetailedStatus")
        );
        assert_eq!(
            africastalking::parse_ussd_hop(b"sessionId=a&phoneNumber=%2B919876543210&text=1%00")
                .map(|_| ()),
            nul("text")
        );
        assert_eq!(
            generic::parse_ussd_end(br#"{"session_id": "a\u0000"}"#).map(|_| ()),
            nul("session_id")
        );
    }

    #[test]
    fn a_refusal_never_repeats_a_number_it_was_sent() {
        let refusals = [
            generic::parse_sms(br#"{"from": 919876543210}"#),
            generic::parse_sms(br#"{"from": "+919876543210", "to": ["+91 98765 43210"]}"#),
            generic::parse_sms(br#"{"from": "x", "text": {"+919876543210": 1}}"#),
        ]
        .into_iter()
        .map(|read| read.map(|_| ()))
        .chain([
            generic::parse_delivery(br#"{"message_id": "m", "status": "+919876543210"}"#)
                .map(|_| ()),
            exotel::read_delivery(&WebhookRequest {
                method: &Method::GET,
                path_and_query: "/",
                query: "SmsSid=1&Status=%2B91%2098765-43210",
                headers: &HeaderMap::new(),
                body: b"",
            })
            .map(|_| ()),
        ]);
        for refusal in refusals {
            let text = refusal.expect_err("refused").to_string();
            let digits: String = text.chars().filter(char::is_ascii_digit).collect();
            assert!(!digits.contains("9876543210"), "{text}");
            assert!(text.starts_with("malformed body"), "{text}");
        }
        // What is not a number is still said.
        let err = generic::parse_delivery(br#"{"message_id": "m", "status": "lost"}"#);
        assert_eq!(
            err.unwrap_err().to_string(),
            "malformed body: unknown status \"lost\""
        );
    }

    fn every_kind() -> Vec<ProviderSettings> {
        vec![
            ProviderSettings::Africastalking(Default::default()),
            ProviderSettings::Twilio(Default::default()),
            ProviderSettings::Exotel(Default::default()),
            ProviderSettings::Kannel(Default::default()),
            ProviderSettings::Generic(Default::default()),
            ProviderSettings::Console(Default::default()),
        ]
    }

    #[tokio::test]
    async fn each_kind_answers_in_its_own_dialect() {
        use testing::answered;
        const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
        let empty = (200, None, String::new());
        let twiml = |body: &str| {
            (
                200,
                Some("text/xml; charset=utf-8".into()),
                format!("{XML}{body}"),
            )
        };
        let accepted = (
            200,
            Some("application/json".into()),
            r#"{"status":"accepted"}"#.into(),
        );
        let reject = (
            200,
            Some("application/xml".into()),
            format!("{XML}<Response><Reject/></Response>"),
        );
        let plain = |text: &str| {
            (
                200,
                Some("text/plain; charset=utf-8".into()),
                text.to_string(),
            )
        };
        let json = |text: &str| (200, Some("application/json".into()), text.to_string());
        let reply = UssdReply {
            end: false,
            text: "1. Join".into(),
        };
        for provider in every_kind() {
            let kind = provider.kind();
            let settings = testing::channel_settings(provider);
            let channel = Channel {
                name: kind.name(),
                settings: &settings,
                public_url: "http://127.0.0.1:8080",
            };
            let (ack, call, ussd) = match kind {
                ChannelKind::Africastalking => {
                    (empty.clone(), reject.clone(), Some(plain("CON 1. Join")))
                }
                ChannelKind::Console => (empty.clone(), empty.clone(), Some(plain("CON 1. Join"))),
                ChannelKind::Twilio => (
                    twiml("<Response/>"),
                    twiml("<Response><Reject/></Response>"),
                    None,
                ),
                ChannelKind::Exotel | ChannelKind::Kannel => (empty.clone(), empty.clone(), None),
                ChannelKind::Generic => (
                    accepted.clone(),
                    accepted.clone(),
                    Some(json(r#"{"action":"continue","text":"1. Join"}"#)),
                ),
            };
            assert_eq!(answered(acknowledge(&channel)).await, ack, "{kind:?}");
            assert_eq!(
                answered(answer_missed_call(&channel)).await,
                call,
                "{kind:?}"
            );
            if let Some(ussd) = ussd {
                assert_eq!(
                    answered(render_ussd_reply(&channel, &reply)).await,
                    ussd,
                    "{kind:?}"
                );
            }
        }
    }

    #[test]
    fn a_webhook_a_kind_does_not_take_is_not_found_and_a_bad_signature_is_refused_in_its_way() {
        let anything = testing::Arrived::form(
            "/",
            &[("sessionId", "a"), ("phoneNumber", "1"), ("text", "")],
        );
        for provider in every_kind() {
            let kind = provider.kind();
            let settings = testing::channel_settings(provider);
            let channel = Channel {
                name: kind.name(),
                settings: &settings,
                public_url: "http://127.0.0.1:8080",
            };
            let request = anything.request();
            let ussd = !matches!(
                kind,
                ChannelKind::Twilio | ChannelKind::Exotel | ChannelKind::Kannel
            );
            assert_eq!(
                read_ussd_hop(&channel, &request).err() == Some(WebhookError::Unsupported),
                !ussd,
                "{kind:?}"
            );
            assert_eq!(
                read_ussd_end(&channel, &request).err() == Some(WebhookError::Unsupported),
                !ussd,
                "{kind:?}"
            );
            assert_eq!(
                read_missed_call(&channel, &request).err() == Some(WebhookError::Unsupported),
                kind == ChannelKind::Kannel,
                "{kind:?}"
            );
            let status = |err| refusal_status(&channel, &err).as_u16();
            let signature = if kind == ChannelKind::Twilio {
                403
            } else {
                401
            };
            assert_eq!(status(WebhookError::BadSignature), signature, "{kind:?}");
            assert_eq!(status(WebhookError::NoSecret), signature, "{kind:?}");
            assert_eq!(status(WebhookError::Unsupported), 404);
            assert_eq!(status(WebhookError::MissingField("text")), 400);
            assert_eq!(status(WebhookError::TooLong("text")), 400);
            assert_eq!(status(WebhookError::Malformed("x".into())), 400);
        }
    }
}
