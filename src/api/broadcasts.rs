//! `/broadcasts`: a segment, content (one tip, a drip, or custom texts) and a schedule
//! (`send_at`, or a cron rule in the campaign's time zone). A dry run answers who would get what
//! and what it would cost before anything is planned; pause, resume and cancel act at once.

use std::sync::Arc;

use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::audit;
use super::dto::{
    next_cursor, page_limit, ActionProblems, Invalid, Language, ReadProblems, RecruiterKind,
    WriteProblems,
};
use super::extract::{object, Admin, Json, PathId, Query};
use super::tips::checked_texts;
use crate::access::Principal;
use crate::broadcasts::{
    BroadcastStatus, Content, CronRule, Estimate, Schedule, Segment, Skip, TextKey,
};
use crate::http::ApiError;
use crate::http::AppState;
use crate::store::{BroadcastRecord, NewBroadcast as StoreNewBroadcast};
use crate::tips::Entries;

/// Who a broadcast reaches; every field narrows it, and `{}` is everyone.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SegmentBody {
    /// Areas (a district takes its thanas and villages).
    #[serde(default)]
    pub areas: Vec<i64>,
    #[serde(default)]
    pub languages: Vec<Language>,
    /// Kinds of the recruiter who brought each person in.
    #[serde(default)]
    pub recruiter_kinds: Vec<RecruiterKind>,
    pub joined_after: Option<DateTime<Utc>>,
    pub joined_before: Option<DateTime<Utc>>,
}

/// Exactly one of `tip_id`, `drip: true` or `texts`; exactly one of `send_at` or `cron`.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"tip_id": 1, "send_at": "2026-12-02T05:30:00Z", "segment": {"languages": ["hi"]}}))]
#[serde(deny_unknown_fields)]
pub struct NewBroadcast {
    #[serde(default, deserialize_with = "object")]
    pub segment: SegmentBody,
    /// One tip, in each person's language and script.
    pub tip_id: Option<i64>,
    /// Each person's next unseen tip, in the library's order.
    #[serde(default)]
    pub drip: bool,
    /// A text written for this broadcast, per key (`hi`, `hne`, `en`, `hi-Latn`, `hne-Latn`).
    #[schema(value_type = Option<BTreeMap<super::tips::TextTag, String>>)]
    pub texts: Option<Entries<String>>,
    /// When a one-off broadcast is due (RFC 3339, any offset).
    pub send_at: Option<DateTime<Utc>>,
    /// A five-field cron rule read in the campaign's time zone, e.g. `0 11 * * WED#1`.
    pub cron: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Counts {
    /// Messages planned (one per person and occurrence; people skipped are not counted).
    pub planned: i64,
    /// Taken by the aggregator (delivered ones included).
    pub sent: i64,
    pub delivered: i64,
    pub failed: i64,
    /// People not messaged: skipped by the frequency cap, a drip with nothing unseen left, no
    /// text in their language, opted out or erased before the send, or the broadcast cancelled.
    pub suppressed: i64,
    /// Not sent within `campaign.tip_validity_hours` of the due time.
    pub expired: i64,
    /// A crash came between claiming and recording the send: settled by delivery reports,
    /// never sent again.
    pub unknown: i64,
    /// Planned messages still waiting to be sent.
    pub remaining: i64,
    /// Messages sent in the last minute, per second.
    pub rate_per_second: f64,
    /// When the remaining messages should be sent at the current rate; null when nothing is
    /// sending.
    pub eta: Option<DateTime<Utc>>,
    /// Why the failed messages failed, most common reason first (at most ten reasons): the
    /// aggregator's answer or mitan's own ("not configured: …"), with any number cut out.
    pub failures: Vec<Failure>,
}

#[derive(Serialize, ToSchema)]
pub struct Failure {
    pub reason: String,
    /// Messages that failed for this reason.
    pub count: i64,
}

#[derive(Serialize, ToSchema)]
pub struct Broadcast {
    pub id: i64,
    #[schema(value_type = BroadcastState)]
    pub status: String,
    #[schema(value_type = BroadcastContent)]
    pub content: String,
    pub tip_id: Option<i64>,
    pub send_at: Option<DateTime<Utc>>,
    pub cron: Option<String>,
    /// The next occurrence to plan; null when there is none.
    pub next_due_at: Option<DateTime<Utc>>,
    /// Occurrences that came due so far.
    pub runs: i64,
    pub counts: Counts,
    pub created: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct DryRun {
    /// People the segment selects.
    pub recipients: u64,
    /// Of them, those who would get a message.
    pub messages: u64,
    /// Skipped by the frequency cap.
    pub capped: u64,
    /// A drip with nothing unseen left for them.
    pub seen_all: u64,
    /// No text in their language or a fallback.
    pub no_text: u64,
    /// SMS parts all the messages cost together.
    pub parts: u64,
    /// `parts` times `campaign.price_per_sms_part`.
    pub estimated_cost: f64,
    /// When the first occurrence is due.
    pub due_at: DateTime<Utc>,
}

struct Checked {
    segment: Segment,
    content: Content,
    schedule: Schedule,
    first_due: DateTime<Utc>,
}

async fn check(state: &AppState, new: &NewBroadcast) -> Result<Checked, ApiError> {
    let now = super::now(state);
    let zone = state.settings.campaign.timezone.0;
    let mut invalid = Invalid::default();
    let content = match (new.tip_id, new.drip, &new.texts) {
        (Some(id), false, None) => {
            match state.store.tip(id).await? {
                Some(tip) if tip.active && !tip.texts.is_empty() => {}
                Some(_) => invalid.add("tip_id", "the tip is inactive or has no text"),
                None => invalid.add("tip_id", "no such tip"),
            }
            Some(Content::Tip(id))
        }
        (None, true, None) => Some(Content::Drip),
        (None, false, Some(texts)) => {
            let checked = checked_texts(state, texts, &Entries::default(), &mut invalid);
            Some(Content::Custom(
                checked.into_iter().map(|t| (t.key, t.body)).collect(),
            ))
        }
        _ => {
            invalid.add("tip_id", "give exactly one of tip_id, drip: true or texts");
            None
        }
    };
    let schedule = match (new.send_at, &new.cron) {
        (Some(at), None) if at < now - Duration::minutes(1) => {
            invalid.add("send_at", "is in the past");
            None
        }
        (Some(at), None) => Some(Schedule::Once(at)),
        (None, Some(rule)) => invalid
            .check("cron", CronRule::parse(rule))
            .map(Schedule::Recurring),
        _ => {
            invalid.add("send_at", "give exactly one of send_at or cron");
            None
        }
    };
    for area in &new.segment.areas {
        if state.store.area(*area).await?.is_none() {
            invalid.add("segment.areas", format!("no area {area}"));
        }
    }
    invalid.finish()?;
    let schedule = schedule.expect("checked");
    let first_due = schedule.first_from(now, zone).unwrap_or(now);
    let segment = &new.segment;
    Ok(Checked {
        segment: Segment {
            areas: segment.areas.clone(),
            languages: segment.languages.iter().map(|l| (*l).into()).collect(),
            recruiter_kinds: segment
                .recruiter_kinds
                .iter()
                .map(|k| (*k).into())
                .collect(),
            joined_after: segment.joined_after,
            joined_before: segment.joined_before,
        },
        content: content.expect("checked"),
        schedule,
        first_due,
    })
}

/// Schedules a broadcast. Nothing is planned before it is due.
#[utoipa::path(operation_id = "create_broadcast", post, path = "/broadcasts", tag = "broadcasts", security(("bearer" = ["admin"])),
    request_body = NewBroadcast,
    responses((status = 201, body = Broadcast, headers(("Location" = String, description = "The new broadcast's address"))), WriteProblems))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    Json(new): Json<NewBroadcast>,
) -> Result<impl IntoResponse, ApiError> {
    let id = create_broadcast(&state, &who, &new).await?;
    Ok(super::created(
        format!("/broadcasts/{id}"),
        answer(&state, id).await?,
    ))
}

/// Checks and schedules a broadcast, audited, and wakes the planner: the core of
/// `POST /broadcasts`, shared with the dashboard. The new broadcast's id.
pub(crate) async fn create_broadcast(
    state: &AppState,
    who: &Principal,
    new: &NewBroadcast,
) -> Result<i64, ApiError> {
    let checked = check(state, new).await?;
    // Custom texts are saved as an inactive tip of their own, so they plan like a tip.
    let custom_tip = match &checked.content {
        Content::Custom(_) => {
            let texts = checked_texts(
                state,
                new.texts.as_ref().expect("custom"),
                &Entries::default(),
                &mut Invalid::default(),
            );
            let tip = crate::tips::NewTip {
                slug: None,
                category: crate::tips::Category::parse("custom").expect("a category"),
                order: 0,
                active: false,
                texts,
            };
            Some(state.store.save_tip(&tip, super::now(state)).await?)
        }
        _ => None,
    };
    let (send_at, cron) = match &checked.schedule {
        Schedule::Once(at) => (Some(*at), None),
        Schedule::Recurring(rule) => (None, Some(rule.as_str())),
    };
    let id = state
        .store
        .create_broadcast(&StoreNewBroadcast {
            segment: &checked.segment,
            content: &checked.content,
            custom_tip,
            send_at,
            cron,
            first_due: checked.first_due,
            created_by: &who.actor(),
            at: super::now(state),
        })
        .await?;
    audit(
        state,
        who,
        "broadcast.create",
        &format!("broadcast:{id}"),
        None,
    )
    .await?;
    // Due now: planning starts at once rather than at the planner's next poll.
    state.planner_wake.notify_one();
    Ok(id)
}

/// Who would get what, and what it would cost, if the broadcast were planned now. Writes nothing.
#[utoipa::path(operation_id = "dry_run_broadcast", post, path = "/broadcasts/dry-run", tag = "broadcasts", security(("bearer" = ["admin"])),
    request_body = NewBroadcast,
    responses((status = 200, body = DryRun), WriteProblems))]
pub async fn dry_run(
    State(state): State<Arc<AppState>>,
    Admin(_who): Admin,
    Json(new): Json<NewBroadcast>,
) -> Result<axum::Json<DryRun>, ApiError> {
    Ok(axum::Json(estimate(&state, &new).await?))
}

/// What a broadcast would reach and cost if planned now; writes nothing: the core of
/// `POST /broadcasts/dry-run`, shared with the dashboard.
pub(crate) async fn estimate(state: &AppState, new: &NewBroadcast) -> Result<DryRun, ApiError> {
    let checked = check(state, new).await?;
    let campaign = &state.settings.campaign;
    let rows = state
        .store
        .estimate(
            &checked.segment,
            &checked.content,
            checked.first_due,
            campaign.frequency_cap(),
        )
        .await?;
    let tips = state.store.tips().await?;
    let policy = campaign.content_policy();
    let parts_of = |tip: Option<i64>, key: TextKey| -> Option<usize> {
        let fallbacks = key.fallbacks();
        match (&checked.content, tip) {
            (Content::Custom(texts), _) => fallbacks
                .iter()
                .find_map(|k| texts.get(k))
                .map(|text| policy.check(key, text).cost.parts),
            (_, Some(tip)) => {
                let tip = tips.iter().find(|t| t.id == tip)?;
                fallbacks
                    .iter()
                    .find_map(|k| tip.texts.iter().find(|t| t.key == *k))
                    .map(|t| t.cost.parts)
            }
            _ => None,
        }
    };
    let mut estimate = Estimate::default();
    for (tip, language, script, outcome, count) in rows {
        let count = count as u64;
        match outcome.as_str() {
            "capped" => estimate.add_skipped(count, Skip::Capped),
            "seen_all" => estimate.add_skipped(count, Skip::SeenAll),
            _ => match parts_of(tip, TextKey::new(language, script)) {
                Some(parts) => estimate.add_messages(count, parts as u64),
                None => estimate.add_skipped(count, Skip::NoText),
            },
        }
    }
    let estimate = estimate.priced(campaign.price_per_sms_part);
    Ok(DryRun {
        recipients: estimate.recipients,
        messages: estimate.messages,
        capped: estimate.capped,
        seen_all: estimate.seen_all,
        no_text: estimate.no_text,
        parts: estimate.parts,
        estimated_cost: estimate.cost,
        due_at: checked.first_due,
    })
}

#[derive(Serialize, ToSchema)]
pub struct BroadcastPage {
    pub items: Vec<Broadcast>,
    /// Pass as `before` for the next (older) page; absent on the last page.
    pub next_before: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The last id of the previous page.
    pub before: Option<i64>,
    /// Page size, 1 to 200 (50 by default).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// Broadcasts, newest first, each with its status and counts.
#[utoipa::path(operation_id = "list_broadcasts", get, path = "/broadcasts", tag = "broadcasts", security(("bearer" = ["admin", "officer"])),
    params(ListQuery),
    responses((status = 200, body = BroadcastPage), ReadProblems))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _who: Principal,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<BroadcastPage>, ApiError> {
    let limit = page_limit(query.limit)?;
    let ids = state
        .store
        .broadcast_ids(query.before.unwrap_or(i64::MAX), limit)
        .await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in &ids {
        items.push(answer(&state, *id).await?);
    }
    Ok(axum::Json(BroadcastPage {
        next_before: next_cursor(&ids, limit, |id| *id),
        items,
    }))
}

/// A broadcast with its counts: planned, sent, delivered, failed, suppressed, expired.
#[utoipa::path(operation_id = "show_broadcast", get, path = "/broadcasts/{id}", tag = "broadcasts", security(("bearer" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "The broadcast", minimum = 1)),
    responses((status = 200, body = Broadcast), ActionProblems))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    _who: Principal,
    PathId(id): PathId,
) -> Result<axum::Json<Broadcast>, ApiError> {
    Ok(axum::Json(answer(&state, id).await?))
}

/// Stops planning (and, with the outbox, sending) until resumed.
#[utoipa::path(operation_id = "pause_broadcast", post, path = "/broadcasts/{id}/pause", tag = "broadcasts", security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The broadcast", minimum = 1)),
    responses((status = 200, body = Broadcast), (status = 409, description = "Not active"), ActionProblems))]
pub async fn pause(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    PathId(id): PathId,
) -> Result<axum::Json<Broadcast>, ApiError> {
    Ok(axum::Json(act(&state, &who, id, Action::Pause).await?))
}

/// Resumes a paused broadcast: its held messages are sent again within the window.
#[utoipa::path(operation_id = "resume_broadcast", post, path = "/broadcasts/{id}/resume", tag = "broadcasts", security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The broadcast", minimum = 1)),
    responses((status = 200, body = Broadcast), (status = 409, description = "Not paused"), ActionProblems))]
pub async fn resume(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    PathId(id): PathId,
) -> Result<axum::Json<Broadcast>, ApiError> {
    Ok(axum::Json(act(&state, &who, id, Action::Resume).await?))
}

/// Ends a broadcast for good: nothing more is planned or sent.
#[utoipa::path(operation_id = "cancel_broadcast", post, path = "/broadcasts/{id}/cancel", tag = "broadcasts", security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The broadcast", minimum = 1)),
    responses((status = 200, body = Broadcast), (status = 409, description = "Already cancelled"), ActionProblems))]
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    PathId(id): PathId,
) -> Result<axum::Json<Broadcast>, ApiError> {
    Ok(axum::Json(act(&state, &who, id, Action::Cancel).await?))
}

/// What an admin can do to a broadcast once it is scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Pause,
    Resume,
    Cancel,
}

/// Pauses, resumes or cancels a broadcast, audited; `Conflict` when its status does not allow
/// it: the core of `POST /broadcasts/{id}/{pause,resume,cancel}`, shared with the dashboard.
pub(crate) async fn act(
    state: &AppState,
    who: &Principal,
    id: i64,
    action: Action,
) -> Result<Broadcast, ApiError> {
    let (from, to, verb): (&[BroadcastStatus], _, _) = match action {
        Action::Pause => (&[BroadcastStatus::Active], BroadcastStatus::Paused, "pause"),
        Action::Resume => (
            &[BroadcastStatus::Paused],
            BroadcastStatus::Active,
            "resume",
        ),
        Action::Cancel => (
            &[BroadcastStatus::Active, BroadcastStatus::Paused],
            BroadcastStatus::Cancelled,
            "cancel",
        ),
    };
    let current = state.store.broadcast(id).await?.ok_or(ApiError::NotFound)?;
    if !state
        .store
        .set_broadcast_status(id, from, to, super::now(state))
        .await?
    {
        return Err(ApiError::Conflict(format!(
            "the broadcast is {}: cannot {verb} it",
            current.status.as_str()
        )));
    }
    let action = format!("broadcast.{verb}");
    audit(state, who, &action, &format!("broadcast:{id}"), None).await?;
    if to == BroadcastStatus::Active {
        state.planner_wake.notify_one();
        state.outbox_wake.notify_waiters();
    }
    answer(state, id).await
}

/// A broadcast with its status and counts, as `GET /broadcasts/{id}` answers it.
pub(crate) async fn answer(state: &AppState, id: i64) -> Result<Broadcast, ApiError> {
    let broadcast = state.store.broadcast(id).await?.ok_or(ApiError::NotFound)?;
    let plan = state.store.plan_counts(id).await?;
    let now = super::now(state);
    let mut sends = state.store.send_counts(id, now).await?;
    // Planned people whose message never reached the outbox: no text they can read.
    let in_outbox = sends.waiting
        + sends.sent
        + sends.delivered
        + sends.failed
        + sends.unknown
        + sends.suppressed
        + sends.expired;
    let no_text = (plan.queued - in_outbox).max(0);
    let rate = sends.sent_last_minute as f64 / 60.0;
    let eta = (rate > 0.0 && sends.waiting > 0)
        .then(|| now + Duration::milliseconds((sends.waiting as f64 / rate * 1000.0) as i64));
    let status = status(&broadcast, plan.runs, plan.planning, sends.waiting);
    let content = match &broadcast.content {
        Content::Tip(_) => "tip",
        Content::Drip => "drip",
        Content::Custom(_) => "custom",
    };
    Ok(Broadcast {
        id,
        status: status.into(),
        content: content.into(),
        tip_id: broadcast.tip_id.filter(|_| content == "tip"),
        send_at: broadcast.send_at,
        cron: broadcast.cron.clone(),
        next_due_at: broadcast.next_due_at,
        runs: plan.runs,
        counts: Counts {
            planned: plan.queued,
            sent: sends.sent + sends.delivered,
            delivered: sends.delivered,
            failed: sends.failed,
            suppressed: plan.capped + plan.seen_all + no_text + sends.suppressed,
            expired: sends.expired,
            unknown: sends.unknown,
            remaining: sends.waiting,
            rate_per_second: (rate * 100.0).round() / 100.0,
            eta,
            failures: std::mem::take(&mut sends.failures)
                .into_iter()
                .map(|(reason, count)| Failure { reason, count })
                .collect(),
        },
        created: broadcast.created_at,
    })
}

fn status(broadcast: &BroadcastRecord, runs: i64, planning: i64, remaining: i64) -> &'static str {
    match broadcast.status {
        BroadcastStatus::Paused => "paused",
        BroadcastStatus::Cancelled => "cancelled",
        BroadcastStatus::Active if planning > 0 => "planning",
        BroadcastStatus::Active if runs > 0 && remaining > 0 => "sending",
        BroadcastStatus::Active if broadcast.next_due_at.is_some() => "scheduled",
        BroadcastStatus::Active => "done",
    }
}

/// A broadcast's state, as its `status` names it (the document's words for the field).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum BroadcastState {
    Scheduled,
    Planning,
    Sending,
    Done,
    Paused,
    Cancelled,
}

/// What a broadcast sends: one tip, the drip (each person's next tip), or its own texts.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum BroadcastContent {
    Tip,
    Drip,
    Custom,
}
