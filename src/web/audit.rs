//! `GET /admin/audit`: the append-only audit log, newest first, a page at a time, by action.
//! Admins only. Entries hold no phone number (the store keeps none in them); the page shows
//! what the store holds, escaped.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::page::{html, Chrome};
use super::session::AdminViewer;
use crate::http::AppState;

/// Entries a page shows.
const PAGE: i64 = 50;

#[derive(Deserialize)]
pub struct Filter {
    /// One action (`token.create`, …); empty or absent: every action.
    #[serde(default)]
    action: String,
    /// The last id of the previous page.
    before: Option<i64>,
}

pub struct Row {
    pub time: String,
    pub who: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct Audit {
    chrome: Chrome,
    rows: Vec<Row>,
    action: String,
    actions: Vec<String>,
    older: Option<String>,
}

/// Who an entry names: the user's or token's name (`user:<id>:<name>`, `token:<id>:<name>`), or
/// the actor as recorded (`cli`, `dashboard`, `system`).
pub fn who(actor: &str) -> String {
    match actor.split_once(':') {
        Some(("user" | "token", rest)) => match rest.split_once(':') {
            Some((id, name)) if id.parse::<i64>().is_ok() => {
                let kind = if actor.starts_with("token") {
                    "token"
                } else {
                    "user"
                };
                format!("{name} ({kind} {id})")
            }
            _ => actor.to_string(),
        },
        _ => actor.to_string(),
    }
}

pub async fn page(
    State(state): State<Arc<AppState>>,
    AdminViewer(viewer): AdminViewer,
    Query(filter): Query<Filter>,
) -> Response {
    let chrome = viewer.chrome(&state, "audit");
    let action = filter.action.trim();
    let wanted = (!action.is_empty()).then_some(action);
    let entries = state
        .store
        .audit_entries_of(wanted, PAGE, filter.before)
        .await;
    let actions = state.store.audit_actions().await;
    let (entries, actions) = match (entries, actions) {
        (Ok(entries), Ok(actions)) => (entries, actions),
        (Err(err), _) | (_, Err(err)) => return crate::http::ApiError::from(err).into_response(),
    };
    let older = (entries.len() as i64 == PAGE).then(|| {
        let last = entries.last().map_or(0, |e| e.id);
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("action", action);
        query.append_pair("before", &last.to_string());
        format!("/admin/audit?{}", query.finish())
    });
    let tz = state.settings.campaign.timezone.0;
    let rows = entries
        .into_iter()
        .map(|entry| Row {
            time: entry
                .at
                .with_timezone(&tz)
                .format("%d-%m-%Y %H:%M:%S")
                .to_string(),
            who: who(&entry.actor),
            action: entry.action,
            target: entry.target.unwrap_or_default(),
            detail: entry.detail.unwrap_or_default(),
        })
        .collect();
    let page = Audit {
        chrome,
        rows,
        action: action.to_string(),
        actions,
        older,
    };
    html(StatusCode::OK, &page)
}

#[cfg(test)]
mod tests {
    use super::who;

    #[test]
    fn an_actor_is_shown_by_name() {
        assert_eq!(who("token:3:Cyber cell desk"), "Cyber cell desk (token 3)");
        assert_eq!(who("user:12:desk"), "desk (user 12)");
        assert_eq!(who("user:12:a:b"), "a:b (user 12)");
        assert_eq!(who("cli"), "cli");
        assert_eq!(who("token:x:y"), "token:x:y");
    }
}
