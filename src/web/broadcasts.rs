//! `/admin/broadcasts`: the broadcasts, a schedule form that first shows the API's dry run
//! (recipients, SMS parts, cost) and creates only on "Confirm", and each broadcast's progress,
//! updated live by htmx polling a fragment (answered 286 once nothing more will change, which
//! stops htmx polling), with pause, resume and cancel. Admins only; every write goes through the
//! API's own `estimate`, `create_broadcast` and `act`.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::{DateTime, NaiveDateTime, TimeZone as _, Utc};
use serde::Deserialize;

use super::page::{html, Chrome};
use super::session::AdminViewer;
use super::tips::{details, field_problems, key_label, not_found, Fields};
use crate::api::broadcasts::{
    act, answer, create_broadcast, estimate, Action, Broadcast, Counts, DryRun, NewBroadcast,
    SegmentBody,
};
use crate::api::dto::{Language, RecruiterKind};
use crate::broadcasts::{Content, Segment, TextKey};
use crate::enrollment::areas::Area;
use crate::http::{ApiError, AppState, FieldError};
use crate::store::BroadcastRecord;
use crate::tips::{Entries, StoredTip};

/// Broadcasts a page of the list shows.
const PAGE: i64 = 50;

/// How a time is shown: in the campaign's zone.
fn local(state: &AppState, at: DateTime<Utc>) -> String {
    at.with_timezone(&state.settings.campaign.timezone.0)
        .format("%d-%m-%Y %H:%M")
        .to_string()
}

fn tip_name(tip: &StoredTip) -> String {
    match &tip.slug {
        Some(slug) => format!("{slug} · {}", tip.category),
        None => format!("#{} · {}", tip.id, tip.category),
    }
}

/// What a broadcast says, in words.
fn content_summary(chrome: &Chrome, record: &BroadcastRecord, tips: &[StoredTip]) -> String {
    match &record.content {
        Content::Tip(id) => {
            let name = tips
                .iter()
                .find(|t| t.id == *id)
                .map_or_else(|| format!("#{id}"), tip_name);
            chrome.t1("admin-bc-content-tip", "tip", &name)
        }
        Content::Drip => chrome.t("admin-bc-content-drip"),
        Content::Custom(texts) => {
            let keys: Vec<String> = texts.keys().map(|k| key_label(chrome, *k)).collect();
            chrome.t1("admin-bc-content-custom", "keys", &keys.join(", "))
        }
    }
}

/// Who a broadcast reaches, in words.
fn segment_summary(
    state: &AppState,
    chrome: &Chrome,
    segment: &Segment,
    areas: &HashMap<i64, String>,
) -> String {
    if segment.is_everyone() {
        return chrome.t("admin-bc-everyone");
    }
    let mut parts = Vec::new();
    if !segment.languages.is_empty() {
        let names: Vec<String> = segment
            .languages
            .iter()
            .map(|l| chrome.t(&format!("admin-language-{}", l.tag())))
            .collect();
        parts.push(names.join(", "));
    }
    if !segment.areas.is_empty() {
        let names: Vec<String> = segment
            .areas
            .iter()
            .map(|id| areas.get(id).cloned().unwrap_or_else(|| format!("#{id}")))
            .collect();
        parts.push(names.join(", "));
    }
    if !segment.recruiter_kinds.is_empty() {
        let names: Vec<String> = segment
            .recruiter_kinds
            .iter()
            .map(|k| chrome.t(&format!("admin-bc-kind-{}", k.tag())))
            .collect();
        parts.push(names.join(", "));
    }
    if let Some(at) = segment.joined_after {
        parts.push(chrome.t1("admin-bc-joined-after", "at", &local(state, at)));
    }
    if let Some(at) = segment.joined_before {
        parts.push(chrome.t1("admin-bc-joined-before", "at", &local(state, at)));
    }
    parts.join(" · ")
}

fn schedule_summary(state: &AppState, chrome: &Chrome, record: &BroadcastRecord) -> String {
    match (&record.send_at, &record.cron) {
        (Some(at), _) => chrome.t1("admin-bc-once", "at", &local(state, *at)),
        (None, Some(rule)) => chrome.t1("admin-bc-recurring", "rule", rule),
        (None, None) => "—".into(),
    }
}

/// The figures of a broadcast, as the page and its fragment show them: the API's counts.
pub struct Progress {
    pub id: i64,
    pub status: String,
    pub status_label: String,
    /// Nothing more will change: done or cancelled (the fragment stops being polled).
    pub finished: bool,
    pub c: Counts,
    pub rate: String,
    pub eta: Option<String>,
    pub next_due: Option<String>,
    /// Sent or failed of planned, in percent, for the bar.
    pub percent: i64,
}

impl Progress {
    fn of(state: &AppState, chrome: &Chrome, b: Broadcast) -> Self {
        let c = b.counts;
        Self {
            id: b.id,
            status_label: chrome.t(&format!("admin-bc-status-{}", b.status)),
            finished: matches!(b.status.as_str(), "done" | "cancelled"),
            status: b.status,
            rate: format!("{:.2}", c.rate_per_second),
            eta: c.eta.map(|at| local(state, at)),
            next_due: b.next_due_at.map(|at| local(state, at)),
            percent: if c.planned > 0 {
                (c.sent + c.failed) * 100 / c.planned
            } else {
                0
            },
            c,
        }
    }
}

pub struct Row {
    pub id: i64,
    pub content: String,
    pub segment: String,
    pub schedule: String,
    pub status: String,
    pub status_label: String,
    pub sent: i64,
    pub planned: i64,
}

#[derive(Template)]
#[template(path = "admin/broadcasts.html")]
struct List {
    chrome: Chrome,
    rows: Vec<Row>,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/broadcast.html")]
struct Page {
    chrome: Chrome,
    id: i64,
    content: String,
    segment: String,
    schedule: String,
    created: String,
    /// The stored status: what the buttons can do.
    can_pause: bool,
    can_resume: bool,
    can_cancel: bool,
    /// Why the last action was refused.
    notice: Option<String>,
    p: Progress,
}

#[derive(Template)]
#[template(path = "admin/broadcast_progress_fragment.html")]
struct ProgressFragment {
    chrome: Chrome,
    p: Progress,
}

/// A choice of the form: its value, its words, whether it is chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub chosen: bool,
}

pub struct TextField {
    pub tag: &'static str,
    pub label: String,
    pub text: String,
    pub problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/broadcast_new.html")]
struct NewForm {
    chrome: Chrome,
    zone: String,
    tips: Vec<Choice>,
    drip: bool,
    texts: Vec<TextField>,
    languages: Vec<Choice>,
    areas: Vec<Choice>,
    kinds: Vec<Choice>,
    joined_after: String,
    joined_before: String,
    send_at: String,
    cron: String,
    problems: Vec<FieldError>,
    tip_problems: Vec<String>,
    texts_problems: Vec<String>,
    segment_problems: Vec<String>,
    send_at_problems: Vec<String>,
    cron_problems: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/broadcast_confirm.html")]
struct Confirm {
    chrome: Chrome,
    run: DryRun,
    cost: String,
    due: String,
    /// The form's fields, carried as hidden inputs.
    fields: Vec<(String, String)>,
}

async fn area_names(state: &AppState) -> Result<HashMap<i64, String>, ApiError> {
    Ok(state
        .store
        .areas()
        .await?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    before: Option<i64>,
}

/// `GET /admin/broadcasts`: newest first, a page at a time.
pub async fn list(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Query(query): Query<ListQuery>,
) -> Response {
    let chrome = viewer.chrome(&state, "broadcasts");
    match rows(&state, &chrome, query.before.unwrap_or(i64::MAX)).await {
        Ok((rows, next)) => html(StatusCode::OK, &List { chrome, rows, next }),
        Err(err) => err.into_response(),
    }
}

async fn rows(
    state: &AppState,
    chrome: &Chrome,
    before: i64,
) -> Result<(Vec<Row>, Option<String>), ApiError> {
    let ids = state.store.broadcast_ids(before, PAGE).await?;
    let tips = state.store.tips().await?;
    let areas = area_names(state).await?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in &ids {
        let record = state
            .store
            .broadcast(*id)
            .await?
            .ok_or(ApiError::NotFound)?;
        let shown = answer(state, *id).await?;
        rows.push(Row {
            id: *id,
            content: content_summary(chrome, &record, &tips),
            segment: segment_summary(state, chrome, &record.segment, &areas),
            schedule: schedule_summary(state, chrome, &record),
            status_label: chrome.t(&format!("admin-bc-status-{}", shown.status)),
            status: shown.status,
            sent: shown.counts.sent,
            planned: shown.counts.planned,
        });
    }
    let next = (ids.len() as i64 == PAGE)
        .then(|| {
            ids.last()
                .map(|id| format!("/admin/broadcasts?before={id}"))
        })
        .flatten();
    Ok((rows, next))
}

async fn page_of(
    state: &AppState,
    chrome: Chrome,
    id: i64,
    status: StatusCode,
    notice: Option<String>,
) -> Response {
    let record = match state.store.broadcast(id).await {
        Ok(Some(record)) => record,
        Ok(None) => return not_found(chrome),
        Err(err) => return ApiError::from(err).into_response(),
    };
    let loaded = async {
        Ok::<_, ApiError>((
            answer(state, id).await?,
            state.store.tips().await?,
            area_names(state).await?,
        ))
    };
    let (shown, tips, areas) = match loaded.await {
        Ok(loaded) => loaded,
        Err(err) => return err.into_response(),
    };
    use crate::broadcasts::BroadcastStatus as S;
    let page = Page {
        id,
        content: content_summary(&chrome, &record, &tips),
        segment: segment_summary(state, &chrome, &record.segment, &areas),
        schedule: schedule_summary(state, &chrome, &record),
        created: local(state, record.created_at),
        can_pause: record.status == S::Active && shown.status != "done",
        can_resume: record.status == S::Paused,
        can_cancel: matches!(record.status, S::Active | S::Paused) && shown.status != "done",
        notice,
        p: Progress::of(state, &chrome, shown),
        chrome,
    };
    html(status, &page)
}

/// `GET /admin/broadcasts/{id}`.
pub async fn show(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    let chrome = viewer.chrome(&state, "broadcasts");
    page_of(&state, chrome, id, StatusCode::OK, None).await
}

/// htmx stops polling an element whose answer has this status.
const STOP_POLLING: u16 = 286;

/// `GET /admin/broadcasts/{id}/progress`: the figures alone, polled every two seconds while the
/// broadcast can still change; 286 once it is done or cancelled.
pub async fn progress(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    let chrome = viewer.chrome(&state, "broadcasts");
    let shown = match answer(&state, id).await {
        Ok(shown) => shown,
        Err(ApiError::NotFound) => return not_found(chrome),
        Err(err) => return err.into_response(),
    };
    let p = Progress::of(&state, &chrome, shown);
    let status = if p.finished {
        StatusCode::from_u16(STOP_POLLING).expect("a valid status")
    } else {
        StatusCode::OK
    };
    html(status, &ProgressFragment { chrome, p })
}

async fn acting(state: &AppState, viewer: AdminViewer, id: i64, action: Action) -> Response {
    let AdminViewer(viewer) = viewer;
    let chrome = viewer.chrome(state, "broadcasts");
    match act(state, &viewer.principal, id, action).await {
        Ok(_) => Redirect::to(&format!("/admin/broadcasts/{id}")).into_response(),
        Err(ApiError::NotFound) => not_found(chrome),
        Err(ApiError::Conflict(_)) => {
            let verb = match action {
                Action::Pause => "pause",
                Action::Resume => "resume",
                Action::Cancel => "cancel",
            };
            let notice = Some(chrome.t(&format!("admin-bc-cannot-{verb}")));
            page_of(state, chrome, id, StatusCode::CONFLICT, notice).await
        }
        Err(err) => err.into_response(),
    }
}

/// `POST /admin/broadcasts/{id}/pause`.
pub async fn pause(
    State(state): State<Arc<AppState>>,
    viewer: AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    acting(&state, viewer, id, Action::Pause).await
}

/// `POST /admin/broadcasts/{id}/resume`.
pub async fn resume(
    State(state): State<Arc<AppState>>,
    viewer: AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    acting(&state, viewer, id, Action::Resume).await
}

/// `POST /admin/broadcasts/{id}/cancel`.
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    viewer: AdminViewer,
    Path(id): Path<i64>,
) -> Response {
    acting(&state, viewer, id, Action::Cancel).await
}

/// The schedule form's fields as the API takes them, or what stops reading them.
fn read(state: &AppState, fields: &Fields) -> Result<NewBroadcast, Vec<FieldError>> {
    let mut problems = Vec::new();
    let given = |name: &str, problems: &mut Vec<FieldError>| {
        fields
            .one(name, problems)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let tip_id = given("tip_id", &mut problems).and_then(|id| {
        id.parse::<i64>()
            .map_err(|_| problems.push(FieldError::new("tip_id", "no such tip")))
            .ok()
    });
    let drip = given("drip", &mut problems).is_some();
    let mut texts = Vec::new();
    for key in TextKey::ALL {
        let name = format!("text-{}", key.tag());
        if let Some(text) = fields.one(&name, &mut problems) {
            if !text.trim().is_empty() {
                texts.push((key.tag().to_string(), text));
            }
        }
    }
    let zone = state.settings.campaign.timezone.0;
    let send_at = given("send_at", &mut problems).and_then(|text| {
        let naive = NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(&text, "%Y-%m-%dT%H:%M:%S"));
        match naive
            .ok()
            .and_then(|n| zone.from_local_datetime(&n).earliest())
        {
            Some(at) => Some(at.with_timezone(&Utc)),
            None => {
                problems.push(FieldError::new(
                    "send_at",
                    "must be a date and time (YYYY-MM-DDTHH:MM)",
                ));
                None
            }
        }
    });
    let cron = given("cron", &mut problems);
    let mut segment = SegmentBody::default();
    for tag in fields.all("language") {
        match crate::enrollment::Language::from_tag(&tag) {
            Some(language) => segment.languages.push(Language::from(language)),
            None => problems.push(FieldError::new("segment.languages", "unknown language")),
        }
    }
    for id in fields.all("area") {
        match id.trim().parse() {
            Ok(id) => segment.areas.push(id),
            Err(_) => problems.push(FieldError::new("segment.areas", "not an area")),
        }
    }
    for tag in fields.all("recruiter_kind") {
        match crate::enrollment::RecruiterKind::from_tag(&tag) {
            Some(kind) => segment.recruiter_kinds.push(RecruiterKind::from(kind)),
            None => problems.push(FieldError::new(
                "segment.recruiter_kinds",
                "unknown recruiter kind",
            )),
        }
    }
    for (name, bound) in [
        ("joined_after", &mut segment.joined_after),
        ("joined_before", &mut segment.joined_before),
    ] {
        if let Some(day) = given(name, &mut problems) {
            let midnight = chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .and_then(|n| zone.from_local_datetime(&n).earliest());
            match midnight {
                Some(at) => *bound = Some(at.with_timezone(&Utc)),
                None => problems.push(FieldError::new(
                    &format!("segment.{name}"),
                    "must be a date (YYYY-MM-DD)",
                )),
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(NewBroadcast {
        segment,
        tip_id,
        drip,
        texts: (!texts.is_empty()).then_some(Entries(texts)),
        send_at,
        cron,
    })
}

/// The form, filled in with `fields` as posted, and `problems` beside their fields.
async fn form(
    state: &AppState,
    chrome: Chrome,
    fields: &Fields,
    problems: Vec<FieldError>,
) -> Result<NewForm, ApiError> {
    let tips = state.store.tips().await?;
    let areas: Vec<Area> = state.store.areas().await?;
    let mut ignore = Vec::new();
    let value =
        |name: &str, ignore: &mut Vec<FieldError>| fields.one(name, ignore).unwrap_or_default();
    let chosen_tip = value("tip_id", &mut ignore);
    let chosen = |name: &str, v: &str| fields.all(name).iter().any(|x| x == v);
    let texts = TextKey::ALL
        .into_iter()
        .map(|key| TextField {
            tag: key.tag(),
            label: key_label(&chrome, key),
            text: value(&format!("text-{}", key.tag()), &mut ignore),
            problems: details(&problems, &format!("texts.{}", key.tag())),
        })
        .collect();
    let segment_problems = problems
        .iter()
        .filter(|p| p.field.starts_with("segment."))
        .map(|p| p.detail.clone())
        .collect();
    let known = |p: &FieldError| {
        ["tip_id", "texts", "send_at", "cron"].contains(&p.field.as_str())
            || p.field.starts_with("texts.")
            || p.field.starts_with("segment.")
    };
    Ok(NewForm {
        zone: state.settings.campaign.timezone.0.name().to_string(),
        tips: tips
            .iter()
            .filter(|t| t.active && !t.texts.is_empty())
            .map(|t| Choice {
                value: t.id.to_string(),
                label: tip_name(t),
                chosen: chosen_tip == t.id.to_string(),
            })
            .collect(),
        drip: !value("drip", &mut ignore).is_empty(),
        texts,
        languages: crate::enrollment::Language::ALL
            .iter()
            .map(|l| Choice {
                value: l.tag().into(),
                label: chrome.t(&format!("admin-language-{}", l.tag())),
                chosen: chosen("language", l.tag()),
            })
            .collect(),
        areas: areas
            .iter()
            .map(|a| Choice {
                value: a.id.to_string(),
                label: a.name.clone(),
                chosen: chosen("area", &a.id.to_string()),
            })
            .collect(),
        kinds: crate::enrollment::RecruiterKind::ALL
            .iter()
            .map(|k| Choice {
                value: k.tag().into(),
                label: chrome.t(&format!("admin-bc-kind-{}", k.tag())),
                chosen: chosen("recruiter_kind", k.tag()),
            })
            .collect(),
        joined_after: value("joined_after", &mut ignore),
        joined_before: value("joined_before", &mut ignore),
        send_at: value("send_at", &mut ignore),
        cron: value("cron", &mut ignore),
        tip_problems: details(&problems, "tip_id"),
        texts_problems: details(&problems, "texts"),
        segment_problems,
        send_at_problems: details(&problems, "send_at"),
        cron_problems: details(&problems, "cron"),
        problems: problems.iter().filter(|p| !known(p)).cloned().collect(),
        chrome,
    })
}

async fn form_answer(
    state: &AppState,
    chrome: Chrome,
    fields: &Fields,
    status: StatusCode,
    problems: Vec<FieldError>,
) -> Response {
    match form(state, chrome, fields, problems).await {
        Ok(page) => html(status, &page),
        Err(err) => err.into_response(),
    }
}

/// `GET /admin/broadcasts/new`: the schedule form.
pub async fn new(State(state): State<Arc<AppState>>, AdminViewer(viewer): AdminViewer) -> Response {
    let chrome = viewer.chrome(&state, "broadcasts");
    form_answer(
        &state,
        chrome,
        &Fields(Vec::new()),
        StatusCode::OK,
        Vec::new(),
    )
    .await
}

/// `POST /admin/broadcasts`: without `confirm=1`, the dry run's estimate with a "Confirm"
/// button carrying the same fields; with it, the broadcast is created (303 to its page). `edit`
/// goes back to the form with the fields filled in. Problems: the form again, 422.
pub async fn create(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Form(posted): Form<Vec<(String, String)>>,
) -> Response {
    let chrome = viewer.chrome(&state, "broadcasts");
    let flag = |name: &str| posted.iter().any(|(k, v)| k == name && v == "1");
    let (confirm, edit) = (flag("confirm"), flag("edit"));
    let fields = Fields(
        posted
            .into_iter()
            .filter(|(k, _)| k != "confirm" && k != "edit")
            .collect(),
    );
    if edit {
        return form_answer(&state, chrome, &fields, StatusCode::OK, Vec::new()).await;
    }
    let new = match read(&state, &fields) {
        Ok(new) => new,
        Err(problems) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return form_answer(&state, chrome, &fields, status, problems).await;
        }
    };
    if confirm {
        return match create_broadcast(&state, &viewer.principal, &new).await {
            Ok(id) => Redirect::to(&format!("/admin/broadcasts/{id}")).into_response(),
            Err(err) => refused(&state, chrome, &fields, err).await,
        };
    }
    match estimate(&state, &new).await {
        Ok(run) => {
            let page = Confirm {
                cost: format!("{:.2}", run.estimated_cost),
                due: local(&state, run.due_at),
                fields: fields.0.clone(),
                run,
                chrome,
            };
            html(StatusCode::OK, &page)
        }
        Err(err) => refused(&state, chrome, &fields, err).await,
    }
}

/// A write the API refused: the form with its problems (422), or the error as it is.
async fn refused(state: &AppState, chrome: Chrome, fields: &Fields, err: ApiError) -> Response {
    match field_problems(&err) {
        Some(problems) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            form_answer(state, chrome, fields, status, problems).await
        }
        None => err.into_response(),
    }
}
