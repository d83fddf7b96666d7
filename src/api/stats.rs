//! `GET /stats`: the campaign at a glance, for the token's scope: people by status, recruiters
//! by kind, the roll-up by district, thana and village, joins per day, and flagged bursts.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono::{Offset as _, TimeZone as _};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::{AreaKind, Count, ReadProblems, RecruiterKind, Role, StatusFigures};
use super::extract::Query;
use super::now;
use crate::access::Principal;
use crate::enrollment::areas::roll_up;
use crate::enrollment::figures::{AreaCounts, StatusCounts};
use crate::http::ApiError;
use crate::http::AppState;

#[derive(Serialize, ToSchema)]
pub struct Stats {
    /// Whose figures these are: everyone's (admin), or an officer's subtree.
    pub scope: StatsScope,
    /// People ever credited in the scope, by status now.
    pub people: StatusFigures,
    pub recruiters: Vec<KindCount>,
    /// Every area with its villages' figures rolled up into thanas and districts; people who
    /// joined without a code have no area and are counted in a last row without an id.
    pub areas: Vec<AreaFigures>,
    /// Joins per day (campaign time zone) in the asked range; days without a join are left out.
    pub joins_per_day: Vec<DayCount>,
    /// Codes through which joins came faster than `burst_threshold_per_hour`, newest first.
    pub bursts: Vec<Burst>,
    pub burst_threshold_per_hour: u32,
}

#[derive(Serialize, ToSchema)]
pub struct StatsScope {
    pub role: Role,
    pub recruiter_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct KindCount {
    pub kind: RecruiterKind,
    pub recruiters: Count,
}

#[derive(Serialize, ToSchema)]
pub struct AreaFigures {
    /// Absent for the row of people and recruiters without an area.
    pub id: Option<i64>,
    pub kind: Option<AreaKind>,
    pub name: String,
    pub parent_id: Option<i64>,
    pub people: StatusFigures,
    pub recruiters: Count,
    /// Whether counts under five are shown as "<5" (officers, for a village).
    pub small_counts_hidden: bool,
}

#[derive(Serialize, ToSchema)]
pub struct DayCount {
    pub day: NaiveDate,
    pub joins: Count,
}

#[derive(Serialize, ToSchema)]
pub struct Burst {
    pub code: String,
    pub recruiter_id: i64,
    pub flagged_at: DateTime<Utc>,
    /// Joins through the code within the hour before it was flagged.
    pub joins: Count,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// First day of `joins_per_day` (campaign time zone; 29 days before `to` by default). It
    /// must not be after `to`, and at most 366 days may be asked at once (else 422 naming `from`).
    pub from: Option<NaiveDate>,
    /// Last day of `joins_per_day` (campaign time zone; today by default).
    pub to: Option<NaiveDate>,
}

/// Longest range of days `joins_per_day` covers.
const MAX_DAYS: u64 = 366;

/// Figures for the token's scope. Officers see their own subtree only, and village counts under
/// five as "<5" (all their counts, when their own recruiter is in a village).
#[utoipa::path(operation_id = "show_stats", get, path = "/stats", tag = "stats", security(("bearer" = ["admin", "officer"])),
    params(StatsQuery),
    responses((status = 200, body = Stats), ReadProblems))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    who: Principal,
    Query(query): Query<StatsQuery>,
) -> Result<axum::Json<Stats>, ApiError> {
    Ok(axum::Json(figures(&state, &who, query).await?))
}

/// The figures `who` may see, as `GET /stats` answers them (the dashboard shows the same).
pub async fn figures(
    state: &AppState,
    who: &Principal,
    query: StatsQuery,
) -> Result<Stats, ApiError> {
    let tz = state.settings.campaign.timezone.0;
    let today = now(state).with_timezone(&tz).date_naive();
    let (from, to) = day_range(query.from, query.to, today)?;
    let scope = who.scope();
    let store = &state.store;
    let (areas, people) = area_figures(state, who).await?;
    let hide = scope_is_a_village(state, who).await?;
    let recruiters = store
        .recruiters_by_kind(scope)
        .await?
        .into_iter()
        .map(|(kind, recruiters)| KindCount {
            kind: kind.into(),
            recruiters: Count::of(recruiters, hide),
        })
        .collect();
    let joins_per_day = joins_by_day(state, scope, from, to)
        .await?
        .into_iter()
        .map(|day| DayCount {
            day: day.day,
            joins: Count::of(day.joins, hide),
        })
        .collect();
    let bursts = store
        .bursts(scope, 100)
        .await?
        .into_iter()
        .map(|burst| Burst {
            code: burst.code,
            recruiter_id: burst.recruiter_id,
            flagged_at: burst.flagged_at,
            joins: Count::of(burst.joins, hide),
        })
        .collect();
    Ok(Stats {
        scope: StatsScope {
            role: who.role.into(),
            recruiter_id: who.recruiter_id,
        },
        people: StatusFigures::of(people, hide),
        recruiters,
        areas: areas.into_iter().map(|row| row.shown(who, hide)).collect(),
        joins_per_day,
        bursts,
        burst_threshold_per_hour: state.settings.campaign.burst_threshold_per_hour,
    })
}

/// Joins per day of `[from, to]` in `scope`, exact (before any small count is hidden); days are
/// the campaign's days (Asia/Kolkata by default), not UTC days.
pub(crate) async fn joins_by_day(
    state: &AppState,
    scope: crate::access::Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<crate::store::DayJoins>, ApiError> {
    let tz = state.settings.campaign.timezone.0;
    let midnight = |day: NaiveDate| {
        let local = day.and_time(chrono::NaiveTime::MIN);
        tz.from_local_datetime(&local)
            .earliest()
            .map_or_else(|| local.and_utc(), |t| t.with_timezone(&chrono::Utc))
    };
    let offset_ms = i64::from(
        tz.offset_from_utc_datetime(&midnight(from).naive_utc())
            .fix()
            .local_minus_utc(),
    ) * 1000;
    Ok(state
        .store
        .joins_per_day(
            scope,
            midnight(from),
            midnight(to + Days::new(1)),
            offset_ms,
        )
        .await?)
}

/// Whether an officer's whole scope is counted as the people of a village: their own recruiter
/// is in one, so the totals of their subtree describe that village.
pub(crate) async fn scope_is_a_village(
    state: &AppState,
    who: &Principal,
) -> Result<bool, ApiError> {
    let Some(root) = who
        .recruiter_id
        .filter(|_| who.role == crate::access::Role::Officer)
    else {
        return Ok(false);
    };
    let Some(area) = state.store.recruiter(root).await?.and_then(|r| r.area_id) else {
        return Ok(false);
    };
    let kind = state.store.area(area).await?.map(|a| a.kind);
    Ok(who.hides_small_counts_in(kind))
}

fn day_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let to = to.unwrap_or(today);
    let from = from.unwrap_or_else(|| to - Days::new(29));
    if from > to {
        return Err(ApiError::invalid("from", "must not be after `to`"));
    }
    if to - Days::new(MAX_DAYS) >= from {
        return Err(ApiError::invalid(
            "from",
            format!("at most {MAX_DAYS} days may be asked at once"),
        ));
    }
    Ok((from, to))
}

/// One area's rolled-up figures (or, without an area, the people who have none).
pub(super) struct AreaRow {
    pub area: Option<crate::enrollment::Area>,
    pub counts: AreaCounts,
}

impl AreaRow {
    /// The row as `who` sees it; `hide_all` hides small counts whatever the area's kind.
    pub fn shown(self, who: &Principal, hide_all: bool) -> AreaFigures {
        let hide = hide_all || who.hides_small_counts_in(self.area.as_ref().map(|a| a.kind));
        let (id, kind, name, parent_id) = match self.area {
            Some(area) => (
                Some(area.id),
                Some(area.kind.into()),
                area.name,
                area.parent_id,
            ),
            None => (None, None, "(no area)".to_string(), None),
        };
        AreaFigures {
            id,
            kind,
            name,
            parent_id,
            people: StatusFigures::of(self.counts.people, hide),
            recruiters: Count::of(self.counts.recruiters, hide),
            small_counts_hidden: hide,
        }
    }
}

/// Every area's figures rolled up from its villages, for the token's scope, and everyone in the
/// scope by status. Admins get every area (a thin one shows as zeros); officers only the areas
/// their subtree reaches.
pub(super) async fn area_figures(
    state: &AppState,
    who: &Principal,
) -> Result<(Vec<AreaRow>, StatusCounts), ApiError> {
    let areas = state.store.areas().await?;
    let mut counts = state.store.area_counts(who.scope()).await?;
    let mut people = StatusCounts::default();
    for area in counts.values() {
        people += area.people;
    }
    let unassigned = counts.remove(&None).unwrap_or_default();
    let own: HashMap<i64, AreaCounts> = counts
        .into_iter()
        .filter_map(|(id, counts)| Some((id?, counts)))
        .collect();
    let mut rolled = roll_up(&areas, &own);
    let everything = who.scope() == crate::access::Scope::All;
    let reached = |counts: &AreaCounts| counts.people.total() > 0 || counts.recruiters > 0;
    let mut rows: Vec<AreaRow> = areas
        .into_iter()
        .filter_map(|area| {
            let counts = rolled.remove(&area.id).unwrap_or_default();
            (everything || reached(&counts)).then_some(AreaRow {
                area: Some(area),
                counts,
            })
        })
        .collect();
    if everything || reached(&unassigned) {
        rows.push(AreaRow {
            area: None,
            counts: unassigned,
        });
    }
    Ok((rows, people))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_default_range_is_the_last_thirty_days() {
        let (from, to) = day_range(None, None, day("2026-11-28")).unwrap();
        assert_eq!((from, to), (day("2026-10-30"), day("2026-11-28")));
    }

    #[test]
    fn a_backwards_or_too_long_range_is_refused() {
        assert!(day_range(
            Some(day("2026-11-28")),
            Some(day("2026-11-01")),
            day("2026-12-01")
        )
        .is_err());
        assert!(day_range(
            Some(day("2024-01-01")),
            Some(day("2026-11-01")),
            day("2026-12-01")
        )
        .is_err());
        assert!(day_range(
            Some(day("2025-11-01")),
            Some(day("2026-11-01")),
            day("2026-12-01")
        )
        .is_ok());
    }
}
