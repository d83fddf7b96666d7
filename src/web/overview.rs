//! `GET /admin`: the campaign at a glance, for the viewer's scope (an officer sees only their
//! subtree, with a village's small counts as "<5", exactly as `GET /api/v1/stats` answers them).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};

use super::page::{html, Chrome};
use super::session::Viewer;
use crate::access::{Role, Scope};
use crate::api::dto::{AreaKind, Count};
use crate::api::stats::{figures, joins_by_day, scope_is_a_village, Stats, StatsQuery};
use crate::enrollment::figures::SMALLEST_SHOWN;
use crate::enrollment::RecruiterKind;
use crate::http::{ApiError, AppState};
use crate::store::RecruiterFilter;

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct Overview {
    chrome: Chrome,
    active: Count,
    opted_out: Count,
    erased: Count,
    joins_today: String,
    joins_week: String,
    chart: Chart,
    admin: Option<AdminPart>,
    officer: Option<OfficerPart>,
}

/// Joins per day as bars of an SVG drawn in the page (no chart library).
pub struct Chart {
    pub width: u32,
    pub height: u32,
    pub bars: Vec<Bar>,
    /// The most joins in a day (the top of the scale).
    pub top: i64,
}

pub struct Bar {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub day: String,
    pub joins: String,
    /// Every seventh day is labelled under its bar.
    pub label: Option<String>,
}

const CHART_HEIGHT: u32 = 120;
const BAR: u32 = 14;
const GAP: u32 = 4;

/// The bars for `days` (oldest first), each day of `[first, first + n)` a bar, a missing day
/// none tall. `joins` is the count shown (`"<5"` where hidden); `value` its height. With
/// `hide`, a day without a join reads "<5" too, as zero does under the small-count rule.
pub fn chart(first: NaiveDate, n: u32, days: &[(NaiveDate, i64, String)], hide: bool) -> Chart {
    let top = days.iter().map(|(_, v, _)| *v).max().unwrap_or(0).max(1);
    let bars = (0..n)
        .map(|i| {
            let day = first + chrono::Days::new(u64::from(i));
            let found = days.iter().find(|(d, _, _)| *d == day);
            let value = found.map_or(0, |(_, v, _)| *v);
            let height = ((value as f64 / top as f64) * f64::from(CHART_HEIGHT)).round() as u32;
            Bar {
                x: i * (BAR + GAP),
                y: CHART_HEIGHT - height,
                width: BAR,
                height,
                day: day.format("%Y-%m-%d").to_string(),
                joins: found.map_or_else(
                    || Count::of(0, hide).to_string(),
                    |(_, _, shown)| shown.clone(),
                ),
                label: (i % 7 == 0).then(|| day.format("%d/%m").to_string()),
            }
        })
        .collect();
    Chart {
        width: n * (BAR + GAP),
        height: CHART_HEIGHT + 14,
        bars,
        top,
    }
}

/// How many joins of several days to show when small day counts may be hidden: `days` are the
/// exact counts, each shown as "<5" when under five if `hide`. The total is exact when no day is
/// hidden, or when the hidden days hold five or more together (then no small count can be worked
/// out from it); otherwise it is the shown days' sum "+ <5" (or "<5" alone), so that no hidden
/// count can be worked out by subtracting the days shown.
pub fn joins_total(days: &[i64], hide: bool) -> String {
    let total: i64 = days.iter().sum();
    if !hide {
        return total.to_string();
    }
    let hidden: i64 = days.iter().filter(|n| **n < SMALLEST_SHOWN).sum();
    let shown = total - hidden;
    if hidden >= SMALLEST_SHOWN {
        total.to_string()
    } else if shown == 0 {
        format!("<{SMALLEST_SHOWN}")
    } else {
        format!("{shown} + <{SMALLEST_SHOWN}")
    }
}

/// An officer or other recruiter with how far they are towards their quota.
pub struct QuotaRow {
    pub id: i64,
    pub name: String,
    pub credited: String,
    pub quota: i64,
}

/// What only admins see: messages and the officers furthest behind.
pub struct AdminPart {
    pub sent: i64,
    pub delivered: i64,
    pub behind: Vec<QuotaRow>,
}

/// What an officer sees of their own: their code, their quota, their villages.
pub struct OfficerPart {
    /// Their recruiter, whose cards they may print (when they have a code).
    pub id: i64,
    pub printable: bool,
    pub code: String,
    pub credited: String,
    pub quota: i64,
    /// Villages their subtree reached, with everyone credited there (small counts "<5").
    pub villages: Vec<(String, String)>,
}

/// Officers a page lists as furthest from their quota.
const BEHIND: usize = 10;

/// Every police recruiter by how many people they credited, fewest first (then by id).
async fn furthest_behind(state: &AppState) -> Result<Vec<QuotaRow>, ApiError> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = state
            .store
            .recruiters(&RecruiterFilter {
                scope: Scope::All,
                kind: Some(RecruiterKind::Police),
                area_id: None,
                name_contains: None,
                without_village_mitans: false,
                after,
                limit: 500,
            })
            .await?;
        let full = page.len() == 500;
        for (recruiter, direct) in page {
            after = recruiter.id;
            all.push((
                direct.total(),
                recruiter.id,
                recruiter.name,
                recruiter.quota,
            ));
        }
        if !full {
            break;
        }
    }
    all.sort_by_key(|(credited, id, _, _)| (*credited, *id));
    Ok(all
        .into_iter()
        .take(BEHIND)
        .map(|(credited, id, name, quota)| QuotaRow {
            id,
            name,
            credited: credited.to_string(),
            quota,
        })
        .collect())
}

async fn admin_part(state: &AppState, week: DateTime<Utc>) -> Result<AdminPart, ApiError> {
    let messages = state.store.messages_sent_since(week).await?;
    Ok(AdminPart {
        sent: messages.sent,
        delivered: messages.delivered,
        behind: furthest_behind(state).await?,
    })
}

async fn officer_part(
    state: &AppState,
    root: i64,
    hide: bool,
    stats: &Stats,
) -> Result<Option<OfficerPart>, ApiError> {
    let Some(recruiter) = state.store.recruiter(root).await? else {
        return Ok(None);
    };
    let figures = state.store.recruiter_figures(root).await?;
    let villages = stats
        .areas
        .iter()
        .filter(|area| matches!(area.kind, Some(AreaKind::Village)))
        .map(|area| (area.name.clone(), area.people.total.to_string()))
        .collect();
    Ok(Some(OfficerPart {
        id: root,
        printable: recruiter.code.is_some(),
        code: recruiter.code.unwrap_or_else(|| "—".into()),
        credited: Count::of(figures.direct.total(), hide).to_string(),
        quota: recruiter.quota,
        villages,
    }))
}

pub async fn page(State(state): State<Arc<AppState>>, viewer: Viewer) -> Response {
    match answer(&state, &viewer).await {
        Ok(page) => html(StatusCode::OK, &page),
        Err(err) => err.into_response(),
    }
}

async fn answer(state: &AppState, viewer: &Viewer) -> Result<Overview, ApiError> {
    let who = &viewer.principal;
    let stats = figures(
        state,
        who,
        StatsQuery {
            from: None,
            to: None,
        },
    )
    .await?;
    let hide = scope_is_a_village(state, who).await?;
    let tz = state.settings.campaign.timezone.0;
    let today = state.clock.now().with_timezone(&tz).date_naive();
    let first = today - chrono::Days::new(29);
    let week_first = today - chrono::Days::new(6);
    let exact = |count: &Count| match count.0 {
        crate::enrollment::figures::Shown::Exact(n) => n,
        // A hidden count is drawn as a small bar, never its value.
        crate::enrollment::figures::Shown::FewerThanSmallest => 1,
    };
    let days: Vec<(NaiveDate, i64, String)> = stats
        .joins_per_day
        .iter()
        .map(|d| (d.day, exact(&d.joins), d.joins.to_string()))
        .collect();
    // Today and the week from the exact counts, shown by the small-count rule.
    let week: Vec<(NaiveDate, i64)> = joins_by_day(state, who.scope(), week_first, today)
        .await?
        .into_iter()
        .map(|d| (d.day, d.joins))
        .collect();
    let week_counts: Vec<i64> = (0..7)
        .map(|i| {
            let day = week_first + chrono::Days::new(i);
            week.iter().find(|(d, _)| *d == day).map_or(0, |(_, n)| *n)
        })
        .collect();
    let joins_today = Count::of(week_counts[6], hide).to_string();
    let joins_week = joins_total(&week_counts, hide);
    let midnight = |day: NaiveDate| {
        tz.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
            .earliest()
            .map_or_else(
                || day.and_time(chrono::NaiveTime::MIN).and_utc(),
                |t| t.with_timezone(&Utc),
            )
    };
    let (admin, officer) = match (who.role, who.recruiter_id) {
        (Role::Admin, _) => (Some(admin_part(state, midnight(week_first)).await?), None),
        (Role::Officer, Some(root)) => (None, officer_part(state, root, hide, &stats).await?),
        (Role::Officer, None) => (None, None),
    };
    Ok(Overview {
        chrome: viewer.chrome(state, "overview"),
        active: stats.people.active,
        opted_out: stats.people.opted_out,
        erased: stats.people.erased,
        joins_today,
        joins_week,
        chart: chart(first, 30, &days, hide),
        admin,
        officer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_per_day_scaled_to_the_busiest_and_missing_days_flat() {
        let first = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        let days = [
            (first, 10, "10".to_string()),
            (first + chrono::Days::new(2), 5, "5".to_string()),
        ];
        let chart = chart(first, 3, &days, false);
        assert_eq!(chart.bars.len(), 3);
        assert_eq!(chart.top, 10);
        assert_eq!(chart.bars[0].height, CHART_HEIGHT);
        assert_eq!(chart.bars[1].height, 0);
        assert_eq!(chart.bars[1].joins, "0");
        assert_eq!(chart.bars[2].height, CHART_HEIGHT / 2);
        assert_eq!(chart.bars[2].y, CHART_HEIGHT / 2);
        assert_eq!(chart.bars[2].x, 2 * (BAR + GAP));
        assert_eq!(chart.bars[0].label.as_deref(), Some("01/11"));
        assert!(chart.bars[1].label.is_none());
        let hidden = super::chart(first, 3, &days, true);
        assert_eq!(hidden.bars[1].joins, "<5", "no join reads as a small count");
    }

    #[test]
    fn a_total_of_days_never_lets_a_hidden_day_be_worked_out() {
        assert_eq!(joins_total(&[0, 3, 9], false), "12");
        assert_eq!(joins_total(&[0, 3, 9], true), "9 + <5");
        assert_eq!(joins_total(&[2, 2], true), "<5");
        assert_eq!(joins_total(&[0, 0], true), "<5");
        assert_eq!(
            joins_total(&[3, 4, 6], true),
            "13",
            "the hidden days hold seven"
        );
        assert_eq!(joins_total(&[7, 0], true), "7 + <5");
        assert_eq!(joins_total(&[5, 0], true), "5 + <5");
        assert_eq!(joins_total(&[5, 2, 3], true), "10");
    }
}
