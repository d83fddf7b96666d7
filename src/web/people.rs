//! `GET /admin/people`: the people who joined, masked (the last two digits of the number at
//! most), a page at a time, by status. Admins only: officers see figures, never people.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{html, Chrome};
use super::session::AdminViewer;
use crate::enrollment::PersonStatus;
use crate::http::AppState;
use crate::store::PeopleFilter;

/// People a page shows.
const PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct Filter {
    /// `active`, `opted_out` or `erased`; empty or absent: everyone.
    #[serde(default)]
    status: String,
    #[serde(default)]
    after: i64,
}

/// One row: nothing that could be the number but its last two digits.
pub struct Row {
    pub id: i64,
    pub masked: String,
    pub language: String,
    pub area: String,
    pub status: String,
    pub joined: String,
}

#[derive(Template)]
#[template(path = "admin/people.html")]
struct People {
    chrome: Chrome,
    rows: Vec<Row>,
    status: String,
    statuses: Vec<(&'static str, String)>,
    next: Option<String>,
}

pub async fn page(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Query(filter): Query<Filter>,
) -> Response {
    let chrome = viewer.chrome(&state, "people");
    let status = PersonStatus::from_tag(&filter.status);
    let people = state
        .store
        .people(&PeopleFilter {
            status,
            area_id: None,
            language: None,
            recruited_by: None,
            joined_from: None,
            joined_before: None,
            after: filter.after.max(0),
            limit: PAGE,
        })
        .await;
    let areas = state.store.areas().await;
    let (people, areas) = match (people, areas) {
        (Ok(people), Ok(areas)) => (people, areas),
        (Err(err), _) | (_, Err(err)) => return crate::http::ApiError::from(err).into_response(),
    };
    let names: HashMap<i64, String> = areas.into_iter().map(|a| (a.id, a.name)).collect();
    let tz = state.settings.campaign.timezone.0;
    let next = (people.len() as i64 == PAGE).then(|| {
        let last = people.last().map_or(0, |p| p.id);
        format!("/admin/people?status={}&after={last}", filter.status)
    });
    let rows = people
        .into_iter()
        .map(|p| Row {
            id: p.id,
            masked: p
                .hint
                .map_or_else(|| "—".into(), |hint| format!("******{hint}")),
            language: chrome.t(&format!("admin-language-{}", p.language.tag())),
            area: p
                .area_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| "—".into()),
            status: chrome.t(&format!("admin-status-{}", p.status.as_str())),
            joined: p
                .joined_at
                .with_timezone(&tz)
                .format("%d-%m-%Y")
                .to_string(),
        })
        .collect();
    let statuses = PersonStatus::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                chrome.t(&format!("admin-status-{}", s.as_str())),
            )
        })
        .collect();
    let page = People {
        status: status.map_or(String::new(), |s| s.as_str().to_string()),
        chrome,
        rows,
        statuses,
        next,
    };
    html(StatusCode::OK, &page)
}
