//! `GET /scam-checks`: how many forwarded messages the scam check found of each fraud kind, per
//! week. Admins only. Nothing of a message or its sender is kept, so nothing else can be shown.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::ReadProblems;
use super::extract::{Admin, Query};
use crate::http::ApiError;
use crate::http::AppState;

#[derive(Serialize, ToSchema)]
pub struct ScamWeek {
    /// The week's Monday (the campaign's time zone).
    pub week_of: NaiveDate,
    /// Checks per fraud kind (a tip category), `none` for no clear kind.
    pub kinds: BTreeMap<String, i64>,
    pub total: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ScamChecks {
    /// Oldest first, the current week last; a week without checks is there too.
    pub weeks: Vec<ScamWeek>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScamQuery {
    /// How many weeks, 1 to 52 (8 by default).
    #[param(minimum = 1, maximum = 52)]
    pub weeks: Option<u32>,
}

/// Scams forwarded per kind per week.
#[utoipa::path(operation_id = "list_scam_checks", get, path = "/scam-checks", tag = "stats", security(("bearer" = ["admin"])),
    params(ScamQuery),
    responses((status = 200, body = ScamChecks), ReadProblems))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    _: Admin,
    Query(query): Query<ScamQuery>,
) -> Result<axum::Json<ScamChecks>, ApiError> {
    let weeks = query.weeks.unwrap_or(8);
    if !(1..=52).contains(&weeks) {
        return Err(ApiError::invalid("weeks", "from 1 to 52"));
    }
    Ok(axum::Json(weekly(&state, weeks).await?))
}

/// The weeks up to today's, for the API and the dashboard.
pub async fn weekly(state: &AppState, weeks: u32) -> Result<ScamChecks, ApiError> {
    let today = state.settings.campaign.local_day(state.clock.now());
    let from = today - chrono::Duration::weeks(i64::from(weeks));
    let rows: Vec<(NaiveDate, String, i64)> = state
        .store
        .scam_check_counts(from, today)
        .await?
        .into_iter()
        .filter_map(|(day, kind, checks)| Some((day.parse().ok()?, kind, checks)))
        .collect();
    let weeks = crate::scams::by_week(&rows, today, weeks)
        .into_iter()
        .map(|week| ScamWeek {
            week_of: week.week_of,
            kinds: week.kinds,
            total: week.total,
        })
        .collect();
    Ok(ScamChecks { weeks })
}
