//! `GET /admin`: the campaign at a glance, for the viewer's scope (an officer sees only their
//! subtree, with a village's small counts as "<5", exactly as `GET /api/v1/stats` answers them).

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;

use super::page::{html, Chrome};
use super::session::Viewer;
use crate::api::dto::Count;
use crate::api::stats::{figures, StatsQuery};
use crate::http::AppState;

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct Overview {
    chrome: Chrome,
    active: Count,
    opted_out: Count,
    erased: Count,
    joins_today: i64,
    joins_week: i64,
    chart: Chart,
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
/// none tall. `joins` is the count shown (`"<5"` where hidden); `value` its height.
pub fn chart(first: NaiveDate, n: u32, days: &[(NaiveDate, i64, String)]) -> Chart {
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
                joins: found.map_or_else(|| "0".to_string(), |(_, _, shown)| shown.clone()),
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

pub async fn page(State(state): State<Arc<AppState>>, viewer: Viewer) -> Response {
    let stats = match figures(
        &state,
        &viewer.principal,
        StatsQuery {
            from: None,
            to: None,
        },
    )
    .await
    {
        Ok(stats) => stats,
        Err(err) => return err.into_response(),
    };
    let tz = state.settings.campaign.timezone.0;
    let today = state.clock.now().with_timezone(&tz).date_naive();
    let first = today - chrono::Days::new(29);
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
    let joins_since = |since: NaiveDate| {
        days.iter()
            .filter(|(d, _, _)| *d >= since)
            .map(|(_, v, _)| v)
            .sum::<i64>()
    };
    let page = Overview {
        chrome: viewer.chrome(&state, "overview"),
        active: stats.people.active,
        opted_out: stats.people.opted_out,
        erased: stats.people.erased,
        joins_today: joins_since(today),
        joins_week: joins_since(today - chrono::Days::new(6)),
        chart: chart(first, 30, &days),
    };
    html(StatusCode::OK, &page)
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
        let chart = chart(first, 3, &days);
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
    }
}
