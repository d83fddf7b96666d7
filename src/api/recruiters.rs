//! `/recruiters`: who recruits, their codes and figures, and the cascade below each of them.
//! Admins see and change every recruiter; an officer sees their own subtree only.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{
    next_cursor, page_limit, ActionProblems, Count, Invalid, ReadProblems, RecruiterKind,
    StatusFigures, WriteProblems,
};
use super::extract::{Admin, Json, PathId, Query};
use super::{audit, now};
use crate::access::{Principal, Role};
use crate::enrollment::figures::{
    build_tree, quota_percent, RecruiterFigures, StatusCounts, TreeNode,
};
use crate::enrollment::{self, display_name, AreaKind};
use crate::http::ApiError;
use crate::http::AppState;
use crate::privacy::Msisdn;
use crate::store::{self, NewRecruiter as StoreNewRecruiter, RecruiterRecord, StoreError};

/// A recruiter with the figures of their recruitment.
#[derive(Serialize, ToSchema)]
pub struct Recruiter {
    #[serde(flatten)]
    pub about: RecruiterSummary,
    pub figures: Figures,
}

/// A recruiter as lists show them: who, where, their code and direct recruits.
#[derive(Serialize, ToSchema)]
pub struct RecruiterSummary {
    pub id: i64,
    pub kind: RecruiterKind,
    pub name: String,
    pub area_id: Option<i64>,
    /// The last two digits of the recruiter's own phone, if one is registered.
    pub phone_hint: Option<String>,
    /// The permanent opt-in code they hand out.
    pub code: Option<String>,
    /// Whose recruit (or whose team member) this recruiter is.
    pub recruited_by: Option<i64>,
    pub created: DateTime<Utc>,
    /// People their codes credited.
    pub direct: StatusFigures,
    pub quota: QuotaProgress,
}

#[derive(Serialize, ToSchema)]
pub struct QuotaProgress {
    /// How many recruits are asked of them.
    pub target: i64,
    /// Everyone their codes credited, whatever those people did since.
    pub credited: Count,
    /// Whole percent of the target; absent where the count is hidden.
    pub percent: Option<i64>,
}

/// How far the cascade below a recruiter reaches.
#[derive(Serialize, ToSchema)]
pub struct Figures {
    /// People credited anywhere below, direct recruits included.
    pub subtree: StatusFigures,
    /// Recruiters below (every mitan is one).
    pub subtree_recruiters: Count,
    /// Generations of people below: 0 with no recruit, 1 with direct recruits only.
    pub depth: i64,
    /// Whether counts under five are shown as "<5" (officers, for a recruiter of a village).
    pub small_counts_hidden: bool,
}

/// One recruiter of the cascade and those they recruited.
#[derive(Serialize, ToSchema)]
pub struct CascadeNode {
    pub id: i64,
    pub kind: RecruiterKind,
    pub name: String,
    pub area_id: Option<i64>,
    pub direct: StatusFigures,
    #[schema(no_recursion)]
    pub children: Vec<CascadeNode>,
}

#[derive(Serialize, ToSchema)]
pub struct RecruiterPage {
    pub items: Vec<RecruiterSummary>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_after: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub kind: Option<RecruiterKind>,
    /// Recruiters of this area only.
    pub area: Option<i64>,
    /// Names containing this text (any case).
    pub name: Option<String>,
    /// The last id of the previous page.
    pub after: Option<i64>,
    /// Page size, 1 to 200 (50 by default).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TreeQuery {
    /// Generations to show below the recruiter, 1 to 10 (3 by default).
    #[param(minimum = 1, maximum = 10)]
    pub depth: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"name": "SI R. K. Verma", "kind": "police", "area": 2, "quota": 25}))]
#[serde(deny_unknown_fields)]
pub struct NewRecruiter {
    /// A visible name, at most 100 characters; names with seven or more digits (a phone
    /// number) or invisible characters are refused.
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// Mitans are not added here: they join by USSD or SMS and get their code then.
    #[schema(value_type = AddedKind)]
    pub kind: RecruiterKind,
    /// Their own phone in any usual form, to recognise their SMS commands; never shown again
    /// but for its last two digits.
    #[serde(default)]
    pub phone: Option<String>,
    /// The area their recruits inherit.
    #[serde(default)]
    pub area: Option<i64>,
    /// Recruits asked of them (`campaign.default_quota` when absent).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100_000)]
    pub quota: Option<i64>,
    /// A recruiter to place them under (a cadet under the officer who trains them).
    #[serde(default)]
    pub recruited_by: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[schema(example = json!({"quota": 30}))]
#[serde(deny_unknown_fields)]
pub struct RecruiterChanges {
    /// As when the recruiter was added.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 100)]
    pub name: Option<String>,
    /// A new area; `null` takes them out of any area. Their earlier recruits keep theirs.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub area: Option<Option<i64>>,
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100_000)]
    pub quota: Option<i64>,
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D: Deserializer<'de>>(de: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(de).map(Some)
}

const MAX_QUOTA: i64 = 100_000;

/// Kinds of every area, to know which counts describe a village.
pub(super) async fn area_kinds(state: &AppState) -> Result<HashMap<i64, AreaKind>, ApiError> {
    Ok(state
        .store
        .areas()
        .await?
        .into_iter()
        .map(|area| (area.id, area.kind))
        .collect())
}

pub(super) fn summary(
    recruiter: RecruiterRecord,
    direct: StatusCounts,
    hide_small: bool,
) -> RecruiterSummary {
    let credited = direct.total();
    RecruiterSummary {
        id: recruiter.id,
        kind: recruiter.kind.into(),
        name: recruiter.name,
        area_id: recruiter.area_id,
        phone_hint: recruiter.phone_hint,
        code: recruiter.code,
        recruited_by: recruiter.recruited_by,
        created: recruiter.created_at,
        direct: StatusFigures::of(direct, hide_small),
        quota: QuotaProgress {
            target: recruiter.quota,
            credited: Count::of(credited, hide_small),
            percent: (!hide_small || credited >= crate::enrollment::figures::SMALLEST_SHOWN)
                .then(|| quota_percent(credited, recruiter.quota)),
        },
    }
}

/// Whether `who` sees this recruiter's counts under five only as "<5".
fn hides(who: &Principal, kinds: &HashMap<i64, AreaKind>, area_id: Option<i64>) -> bool {
    who.hides_small_counts_in(area_id.and_then(|id| kinds.get(&id).copied()))
}

/// 404 for no such recruiter, 403 for one outside an officer's subtree or one an officer sees
/// only in figures (a village's mitan).
async fn visible(
    state: &AppState,
    who: &Principal,
    kinds: &HashMap<i64, AreaKind>,
    id: i64,
) -> Result<RecruiterRecord, ApiError> {
    let recruiter = state.store.recruiter(id).await?.ok_or(ApiError::NotFound)?;
    if !state.store.in_scope(who.scope(), id).await? {
        return Err(ApiError::Forbidden(
            "this recruiter is outside your subtree",
        ));
    }
    if !sees(who, kinds, &recruiter) {
        return Err(ApiError::Forbidden(
            "a village's mitans are shown to officers only in the figures above them",
        ));
    }
    Ok(recruiter)
}

fn sees(who: &Principal, kinds: &HashMap<i64, AreaKind>, recruiter: &RecruiterRecord) -> bool {
    let area = recruiter.area_id.and_then(|id| kinds.get(&id).copied());
    who.sees_individually(recruiter.id, recruiter.kind, area)
}

/// Recruiters the token may see, a page at a time, with their direct recruits. An officer sees
/// their own subtree, and a village's mitans only inside the figures of those above them.
#[utoipa::path(operation_id = "list_recruiters", get, path = "/recruiters", tag = "recruiters", security(("bearer" = ["admin", "officer"])),
    params(ListQuery),
    responses((status = 200, body = RecruiterPage), ReadProblems))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    who: Principal,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<RecruiterPage>, ApiError> {
    Ok(axum::Json(list_page(&state, &who, &query).await?))
}

/// The page of recruiters `query` asks for, as `who` may see them (the list route and the
/// dashboard's list).
pub(crate) async fn list_page(
    state: &AppState,
    who: &Principal,
    query: &ListQuery,
) -> Result<RecruiterPage, ApiError> {
    let limit = page_limit(query.limit)?;
    let rows = state
        .store
        .recruiters(&store::RecruiterFilter {
            scope: who.scope(),
            kind: query.kind.map(Into::into),
            area_id: query.area,
            name_contains: query.name.as_deref(),
            without_village_mitans: who.role == Role::Officer,
            after: query.after.unwrap_or(0),
            limit,
        })
        .await?;
    let kinds = area_kinds(state).await?;
    let next_after = next_cursor(&rows, limit, |(r, _)| r.id);
    let items = rows
        .into_iter()
        .map(|(recruiter, direct)| {
            let hide = hides(who, &kinds, recruiter.area_id);
            summary(recruiter, direct, hide)
        })
        .collect();
    Ok(RecruiterPage { items, next_after })
}

/// One recruiter with their figures: direct recruits by status, quota progress, and the size
/// and depth of the cascade below them.
#[utoipa::path(operation_id = "show_recruiter", get, path = "/recruiters/{id}", tag = "recruiters", security(("bearer" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "The recruiter", minimum = 1)),
    responses((status = 200, body = Recruiter), ActionProblems))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    who: Principal,
    PathId(id): PathId,
) -> Result<axum::Json<Recruiter>, ApiError> {
    Ok(axum::Json(recruiter_with_figures(&state, &who, id).await?))
}

/// One recruiter with their figures, as `who` may see them (the route and the dashboard).
pub(crate) async fn recruiter_with_figures(
    state: &AppState,
    who: &Principal,
    id: i64,
) -> Result<Recruiter, ApiError> {
    let kinds = area_kinds(state).await?;
    let recruiter = visible(state, who, &kinds, id).await?;
    let figures = state.store.recruiter_figures(id).await?;
    let hide = hides(who, &kinds, recruiter.area_id);
    Ok(with_figures(recruiter, figures, hide))
}

fn with_figures(recruiter: RecruiterRecord, figures: RecruiterFigures, hide: bool) -> Recruiter {
    Recruiter {
        about: summary(recruiter, figures.direct, hide),
        figures: Figures {
            subtree: StatusFigures::of(figures.subtree, hide),
            subtree_recruiters: Count::of(figures.subtree_recruiters, hide),
            depth: figures.depth,
            small_counts_hidden: hide,
        },
    }
}

/// The cascade below a recruiter, as a tree of recruiters with their direct recruits. An
/// officer's tree leaves out a village's mitans (they count in the figures above them).
#[utoipa::path(operation_id = "recruiter_tree", get, path = "/recruiters/{id}/tree", tag = "recruiters", security(("bearer" = ["admin", "officer"])),
    params(("id" = i64, Path, description = "The recruiter at the root", minimum = 1), TreeQuery),
    responses((status = 200, body = CascadeNode), ActionProblems))]
pub async fn tree(
    State(state): State<Arc<AppState>>,
    who: Principal,
    PathId(id): PathId,
    Query(query): Query<TreeQuery>,
) -> Result<axum::Json<CascadeNode>, ApiError> {
    let depth = match query.depth.unwrap_or(3) {
        depth @ 1..=10 => depth,
        _ => return Err(ApiError::invalid("depth", "must be from 1 to 10")),
    };
    Ok(axum::Json(
        cascade(&state, &who, id, depth, i64::MAX).await?,
    ))
}

/// The cascade below recruiter `id`, `depth` generations deep, as `who` may see it: a village's
/// mitans left out for officers, small counts as "<5" where `who` sees them so (the tree route
/// and the dashboard's recruiter page); at most `limit` recruiters, the nearest first.
pub(crate) async fn cascade(
    state: &AppState,
    who: &Principal,
    id: i64,
    depth: i64,
    limit: i64,
) -> Result<CascadeNode, ApiError> {
    let kinds = area_kinds(state).await?;
    visible(state, who, &kinds, id).await?;
    let rows = state.store.recruiter_tree(id, depth, limit).await?;
    // A node left out takes the nodes below it along (they are no longer connected).
    let rows = rows
        .into_iter()
        .filter(|row| sees(who, &kinds, &row.recruiter))
        .map(|row| {
            let hide = hides(who, &kinds, row.recruiter.area_id);
            let node = CascadeNode {
                id: row.recruiter.id,
                kind: row.recruiter.kind.into(),
                name: row.recruiter.name,
                area_id: row.recruiter.area_id,
                direct: StatusFigures::of(row.direct, hide),
                children: Vec::new(),
            };
            (node.id, row.recruiter.recruited_by, node)
        })
        .collect();
    let root = build_tree(id, rows).ok_or(ApiError::NotFound)?;
    Ok(into_dto(root))
}

fn into_dto(node: TreeNode<CascadeNode>) -> CascadeNode {
    CascadeNode {
        children: node.children.into_iter().map(into_dto).collect(),
        ..node.item
    }
}

/// Adds a recruiter (police, NCC, NSS, SPO, NGO) with a fresh permanent code.
#[utoipa::path(operation_id = "create_recruiter", post, path = "/recruiters", tag = "recruiters", security(("bearer" = ["admin"])),
    request_body = NewRecruiter,
    responses((status = 201, body = Recruiter, headers(("Location" = String, description = "The new recruiter's address"))), WriteProblems))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    Json(new): Json<NewRecruiter>,
) -> Result<impl IntoResponse, ApiError> {
    let id = create_recruiter(&state, &who, &new).await?;
    let recruiter = state.store.recruiter(id).await?.ok_or(ApiError::NotFound)?;
    let body = with_figures(recruiter, RecruiterFigures::default(), false);
    Ok(super::created(format!("/recruiters/{id}"), body))
}

/// Checks and adds a recruiter with a fresh permanent code, audited as `who`; returns its id.
/// Every bad field is one 422; a phone another recruiter has is a 409. `who` must be an admin
/// (the route and the dashboard's form let only admins here).
pub(crate) async fn create_recruiter(
    state: &AppState,
    who: &Principal,
    new: &NewRecruiter,
) -> Result<i64, ApiError> {
    let mut invalid = Invalid::default();
    let name = invalid.check("name", display_name(&new.name));
    let kind = enrollment::RecruiterKind::from(new.kind);
    if kind == enrollment::RecruiterKind::Mitan {
        invalid.add("kind", "mitans join by USSD or SMS and get their code then");
    }
    let phone = match &new.phone {
        Some(text) => invalid.check(
            "phone",
            Msisdn::parse(text, state.settings.phone.default_region.0),
        ),
        None => None,
    };
    let default_quota = i64::from(state.settings.campaign.default_quota);
    let quota = check_quota(&mut invalid, new.quota).unwrap_or(default_quota);
    check_area(state, &mut invalid, new.area).await?;
    if let Some(parent) = new.recruited_by {
        if state.store.recruiter(parent).await?.is_none() {
            invalid.add("recruited_by", "no such recruiter");
        }
    }
    invalid.finish()?;
    let name = name.unwrap_or_default();
    if let Some(phone) = &phone {
        state.store.rekey_on_contact(&state.vault, phone).await?;
    }
    let sealed = phone.as_ref().map(|phone| state.vault.seal(phone));
    let (id, _code) = state
        .store
        .create_recruiter(&StoreNewRecruiter {
            kind,
            name: &name,
            area_id: new.area,
            phone: sealed.as_ref(),
            quota,
            recruited_by: new.recruited_by,
            code_length: state.settings.campaign.code_length.0,
            at: now(state),
        })
        .await
        .map_err(|err| match err {
            StoreError::Duplicate => ApiError::Conflict(PHONE_TAKEN.into()),
            other => other.into(),
        })?;
    audit(
        state,
        who,
        "recruiter.create",
        &format!("recruiter:{id}"),
        Some(kind.tag()),
    )
    .await?;
    Ok(id)
}

/// The conflict of a phone another recruiter has.
pub(crate) const PHONE_TAKEN: &str = "another recruiter has this phone";

/// Changes a recruiter's name, area or quota.
#[utoipa::path(operation_id = "update_recruiter", patch, path = "/recruiters/{id}", tag = "recruiters", security(("bearer" = ["admin"])),
    params(("id" = i64, Path, description = "The recruiter", minimum = 1)),
    request_body = RecruiterChanges,
    responses((status = 200, body = Recruiter), WriteProblems))]
pub async fn update(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
    PathId(id): PathId,
    Json(changes): Json<RecruiterChanges>,
) -> Result<axum::Json<Recruiter>, ApiError> {
    let mut invalid = Invalid::default();
    let name = match &changes.name {
        Some(name) => invalid.check("name", display_name(name)),
        None => None,
    };
    let quota = check_quota(&mut invalid, changes.quota);
    check_area(&state, &mut invalid, changes.area.flatten()).await?;
    invalid.finish()?;
    let found = state
        .store
        .update_recruiter(
            id,
            &store::RecruiterChanges {
                name: name.as_deref(),
                area_id: changes.area,
                quota,
            },
        )
        .await?;
    if !found {
        return Err(ApiError::NotFound);
    }
    audit(
        &state,
        &who,
        "recruiter.update",
        &format!("recruiter:{id}"),
        None,
    )
    .await?;
    let recruiter = state.store.recruiter(id).await?.ok_or(ApiError::NotFound)?;
    let figures = state.store.recruiter_figures(id).await?;
    Ok(axum::Json(with_figures(recruiter, figures, false)))
}

fn check_quota(invalid: &mut Invalid, quota: Option<i64>) -> Option<i64> {
    match quota {
        Some(quota @ 1..=MAX_QUOTA) => Some(quota),
        Some(_) => {
            invalid.add("quota", format!("must be from 1 to {MAX_QUOTA}"));
            None
        }
        None => None,
    }
}

async fn check_area(
    state: &AppState,
    invalid: &mut Invalid,
    area: Option<i64>,
) -> Result<(), ApiError> {
    if let Some(area) = area {
        if state.store.area(area).await?.is_none() {
            invalid.add("area", "no such area");
        }
    }
    Ok(())
}

/// The kinds of recruiter an admin adds: every kind but `mitan` (mitans join by USSD or SMS).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum AddedKind {
    Police,
    Ncc,
    Nss,
    Spo,
    Ngo,
}
