//! Tips by phone call, for members who cannot read an SMS: the edge around [`flow::next`].
//!
//! A call is an outbox row (`call` for a broadcast, `call_back` for a missed call), placed by the
//! dispatcher through the `voice.channel`. Once answered, the provider fetches the call flow
//! (`/webhooks/{channel}/voice?call=…&key=…&at=…`): this module checks the call's key, works
//! out what to play ([`flow::next`], pure), performs what a key asked for (joining after the
//! consent notice, stopping after 9) and answers which recordings to play (the provider's XML
//! is written by `providers`). The status callback settles the row (`outbox::settle_call`).

pub mod flow;
pub mod synth;

use anyhow::Context as _;
use serde::Deserialize;

use crate::clock::Clock;
use crate::config::Settings;
use crate::enrollment::{Consent, JoinRequest, Language, Script};
use crate::outbox::{settle_call, CallRetries, CallSettled, OutboundKind};
use crate::privacy::{Msisdn, Vault};
use crate::providers::{CallStatus, Gather, VoiceAnswer, VoiceStep};
use crate::store::{CallRecord, NumberKeys, SmsChange, Store};
use crate::tips::audio::{
    playable, tip_of_the_day_among, AudioLibrary, LiveAudio, Prompt, Recording,
};
use crate::tips::{LiveTips, TipLibrary};
use flow::{Effect, Screen, Stage};

/// What the call flow needs.
pub struct Context<'a> {
    pub store: &'a Store,
    pub vault: &'a Vault,
    pub tips: &'a LiveTips,
    pub audio: &'a LiveAudio,
    pub clock: &'a dyn Clock,
    pub settings: &'a Settings,
}

/// mitan's own fields in the flow and status URLs it gives the provider (the provider's own
/// fields, in the same query or the form, are read by `providers`).
#[derive(Debug, Clone, Deserialize)]
pub struct CallQuery {
    pub call: i64,
    pub key: String,
    /// `start`, `consent` or `tip` (the flow only).
    pub at: Option<String>,
    /// The tip just played (with `at=tip`).
    pub tip: Option<i64>,
}

/// Why a flow fetch or status callback is refused.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No such call on this channel, or not its key: answered 404 either way, so a guess
    /// learns nothing.
    #[error("no such call")]
    Unknown,
    #[error("`at` must be start, consent or tip (with a tip)")]
    BadStage,
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Where the provider fetches a call's flow at `stage`.
pub fn flow_url(public_url: &str, channel: &str, call: i64, key: &str, stage: Stage) -> String {
    let base = format!(
        "{}/webhooks/{channel}/voice?call={call}&key={key}",
        public_url.trim_end_matches('/')
    );
    match stage {
        Stage::Start => format!("{base}&at=start"),
        Stage::Consent => format!("{base}&at=consent"),
        Stage::Tip(tip) => format!("{base}&at=tip&tip={tip}"),
    }
}

/// Where the provider reports how a call ended.
pub fn status_url(public_url: &str, channel: &str, call: i64, key: &str) -> String {
    format!(
        "{}/webhooks/{channel}/voice/status?call={call}&key={key}",
        public_url.trim_end_matches('/')
    )
}

/// Where a recording is served.
pub fn audio_url(public_url: &str, recording: &Recording, language: Language) -> String {
    format!(
        "{}/voice/audio/{}",
        public_url.trim_end_matches('/'),
        recording.path(language)
    )
}

/// The call the query names, if its key is right and it belongs to `channel`.
async fn authenticate(
    ctx: &Context<'_>,
    channel: &str,
    query: &CallQuery,
) -> Result<CallRecord, CallError> {
    if !ctx.vault.is_call_key(query.call, &query.key) {
        return Err(CallError::Unknown);
    }
    let call = ctx
        .store
        .call(query.call)
        .await
        .context("reading a call")?
        .filter(|call| call.channel == channel)
        .ok_or(CallError::Unknown)?;
    Ok(call)
}

fn stage(query: &CallQuery) -> Result<Stage, CallError> {
    match (query.at.as_deref(), query.tip) {
        (None | Some("start"), _) => Ok(Stage::Start),
        (Some("consent"), _) => Ok(Stage::Consent),
        (Some("tip"), Some(tip)) => Ok(Stage::Tip(tip)),
        _ => Err(CallError::BadStage),
    }
}

/// One fetch of the call flow: what to play next. A retried fetch gets the same answer (a
/// join or a stop done twice is done once).
#[tracing::instrument(skip_all, fields(channel, call = query.call))]
pub async fn serve_flow(
    ctx: &Context<'_>,
    channel: &str,
    query: &CallQuery,
    step: &VoiceStep,
) -> Result<VoiceAnswer, CallError> {
    let call = authenticate(ctx, channel, query).await?;
    let stage = stage(query)?;
    let language = call.plays.language;
    let tips = ctx.tips.current();
    let audio = ctx.audio.current();
    let now = ctx.clock.now();
    let positions = playable(&tips, &audio, language);
    let today = tip_of_the_day_among(&tips, &positions, ctx.settings.campaign.local_day(now));
    let playable: Vec<i64> = positions
        .iter()
        .filter_map(|&i| tips.stored_id(i))
        .collect();
    let (effect, mut screen) = flow::next(
        call.plays.tip,
        stage,
        step.digits.as_deref(),
        &playable,
        today,
    );
    // Only a call placed to someone who was no member plays the notice, so only it joins.
    let stranger = call.kind == OutboundKind::CallBack && call.person_id.is_none();
    match effect {
        Some(Effect::Join) if !(stranger && join(ctx, &call, &audio, now).await?) => {
            screen = Screen::Goodbye;
        }
        Some(Effect::Stop) => stop(ctx, &call, now).await?,
        Some(Effect::Join) | None => {}
    }
    metrics::counter!("voice_flow_total", "channel" => channel.to_string(), "screen" => screen_label(screen))
        .increment(1);
    Ok(answer(ctx, channel, &call, &tips, &audio, screen))
}

fn screen_label(screen: Screen) -> &'static str {
    match screen {
        Screen::Consent => "consent",
        Screen::Tip { joined: true, .. } | Screen::Joined => "joined",
        Screen::Tip { .. } => "tip",
        Screen::Stopped => "stopped",
        Screen::Goodbye => "goodbye",
    }
}

/// The callee's number, from the call's seal (kept until the call is settled).
fn callee(ctx: &Context<'_>, call: &CallRecord) -> Result<Option<Msisdn>, CallError> {
    let Some((ciphertext, key_id)) = &call.sealed else {
        return Ok(None);
    };
    let phone = ctx
        .vault
        .open(ciphertext, key_id)
        .map_err(|err| anyhow::anyhow!("opening a call's callee: {err}"))?;
    Ok(Some(phone))
}

/// 1 after the consent notice: the callee joins, consenting to the recording they heard, with
/// tips by call. False when the call no longer holds the number.
async fn join(
    ctx: &Context<'_>,
    call: &CallRecord,
    audio: &AudioLibrary,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, CallError> {
    let Some(phone) = callee(ctx, call)? else {
        return Ok(false);
    };
    let language = call.plays.language;
    let Some(notice) = audio.prompt(Prompt::Consent, language) else {
        return Ok(false);
    };
    let campaign = &ctx.settings.campaign;
    let request = JoinRequest {
        phone: ctx.vault.seal(&phone),
        consent: Consent {
            channel: format!("voice:{}", call.channel),
            language,
            script: Script::Native,
            version: consent_version(&notice.sha256),
            at: now,
        },
        code: None,
        quota: i64::from(campaign.default_quota),
        code_length: campaign.code_length.0,
    };
    ctx.store
        .join(&request)
        .await
        .context("joining by keypad")?;
    let index = ctx.vault.blind_index(&phone);
    let medium = SmsChange::Medium {
        index: &index,
        voice: true,
    };
    ctx.store
        .apply_sms(None, &medium, &|_| Vec::new(), now)
        .await
        .context("choosing tips by call")?;
    metrics::counter!("joins_total", "channel" => "voice").increment(1);
    tracing::info!(to = %index.log_tag(), "joined by keypad on a call");
    Ok(true)
}

/// The notice version a keypad consent records: the recording it played, by its hash.
pub fn consent_version(sha256: &str) -> String {
    format!("voice-{}", &sha256[..16.min(sha256.len())])
}

/// 9 after a tip: everything stops for the number, as after an SMS STOP.
async fn stop(
    ctx: &Context<'_>,
    call: &CallRecord,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), CallError> {
    let phone = match callee(ctx, call)? {
        Some(phone) => phone,
        None => {
            let person = match call.person_id {
                Some(id) => ctx.store.person(id).await.context("reading the callee")?,
                None => None,
            };
            let Some(sealed) = person.and_then(|p| p.phone) else {
                return Ok(());
            };
            ctx.vault
                .open(&sealed.ciphertext, &sealed.key_id)
                .map_err(|err| anyhow::anyhow!("opening a member's number: {err}"))?
        }
    };
    let keys = NumberKeys {
        index: ctx.vault.blind_index(&phone),
        consent_tag: ctx.vault.consent_tag(&phone),
        resume_tag: ctx.vault.resume_tag(&phone),
    };
    ctx.store
        .stop_everything(&keys, now)
        .await
        .context("stopping by keypad")?;
    tracing::info!(to = %keys.index.log_tag(), "stopped by keypad on a call");
    Ok(())
}

/// The screen as recordings to play, each where it is served; a recording that is missing is
/// left out (a tip no longer recorded ends the call politely).
fn answer(
    ctx: &Context<'_>,
    channel: &str,
    call: &CallRecord,
    tips: &TipLibrary,
    audio: &AudioLibrary,
    screen: Screen,
) -> VoiceAnswer {
    let public = &ctx.settings.server.public_url;
    let language = call.plays.language;
    let prompt = |prompt: Prompt| {
        audio
            .prompt(prompt, language)
            .map(|_| audio_url(public, &Recording::Prompt(prompt), language))
    };
    let key = ctx.vault.call_key(call.id);
    let goodbye: Vec<String> = prompt(Prompt::Goodbye).into_iter().collect();
    let tip_url = |tip: i64| {
        let name = tips.id(tips.position_of(tip)?).to_string();
        audio
            .tip(&name, language)
            .map(|_| audio_url(public, &Recording::Tip(name), language))
    };
    match screen {
        Screen::Consent => VoiceAnswer {
            gather: Some(Gather {
                plays: prompt(Prompt::Consent).into_iter().collect(),
                action: flow_url(public, channel, call.id, &key, Stage::Consent),
            }),
            then: goodbye,
        },
        Screen::Tip { tip, joined } => match tip_url(tip) {
            Some(url) => VoiceAnswer {
                gather: Some(Gather {
                    plays: joined
                        .then(|| prompt(Prompt::Joined))
                        .flatten()
                        .into_iter()
                        .chain([url])
                        .chain(prompt(Prompt::Menu))
                        .collect(),
                    action: flow_url(public, channel, call.id, &key, Stage::Tip(tip)),
                }),
                then: goodbye,
            },
            None => VoiceAnswer {
                gather: None,
                then: joined
                    .then(|| prompt(Prompt::Joined))
                    .flatten()
                    .into_iter()
                    .chain(goodbye)
                    .collect(),
            },
        },
        Screen::Joined => VoiceAnswer {
            gather: None,
            then: prompt(Prompt::Joined).into_iter().chain(goodbye).collect(),
        },
        Screen::Stopped => VoiceAnswer {
            gather: None,
            then: prompt(Prompt::Stopped).into_iter().collect(),
        },
        Screen::Goodbye => VoiceAnswer {
            gather: None,
            then: goodbye,
        },
    }
}

/// A call's status callback: answered calls are delivered, busy or unanswered ones are placed
/// again later while they may be, failed ones fail. A retried callback changes nothing.
#[tracing::instrument(skip_all, fields(channel, call = query.call))]
pub async fn receive_status(
    ctx: &Context<'_>,
    channel: &str,
    query: &CallQuery,
    status: &CallStatus,
) -> Result<(), CallError> {
    let call = authenticate(ctx, channel, query).await?;
    let voice = &ctx.settings.voice;
    let retries = CallRetries {
        after: chrono::Duration::minutes(i64::from(voice.retry_after_minutes.0)),
        max_attempts: voice.max_attempts.0,
    };
    let now = ctx.clock.now();
    let settled = settle_call(status.outcome, call.attempts, call.expires_at, retries, now);
    let changed = ctx
        .store
        .settle_call(call.id, &status.call_id, &settled, now)
        .await
        .context("settling a call")?;
    let outcome = match (&settled, changed) {
        (_, false) => "unchanged",
        (CallSettled::Ongoing, _) => "ongoing",
        (CallSettled::Answered, _) => "answered",
        (CallSettled::Retry { .. }, _) => "retry",
        (CallSettled::Failed { .. }, _) => "failed",
    };
    if let (CallSettled::Retry { at, reason }, true) = (&settled, changed) {
        tracing::info!(reason, retry_at = %at, "the call was not answered; it will be placed again");
    }
    metrics::counter!("calls_ended_total", "channel" => channel.to_string(), "outcome" => outcome)
        .increment(1);
    Ok(())
}
