//! Code cards to print: `GET /admin/recruiters/{id}/cards.pdf` (the recruiter's own code) and
//! `GET /admin/recruiters/{id}/event-codes/{code}/cards.pdf` (an event code while it still
//! credits joins), `?count=N` cards (10 by default, at most 1000), ten to an A4 page. Admins
//! print anyone's; an officer only their own recruiter's (`Principal::may_print_cards_of`).
//! Every print is audited (`cards.print`). `mitan cards` prints through [`print`] as well.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::page::ErrorPage;
use super::recruiters::{not_found, recruiter_id};
use super::session::Viewer;
use crate::cards::{self, Campaign, Card, Unprintable};
use crate::config::Settings;
use crate::http::{ApiError, AppState};
use crate::i18n::Catalog;
use crate::store::{NewAuditEntry, Store, StoreError};

/// Cards a download holds unless it asks for another number.
pub(crate) const DEFAULT_COUNT: usize = cards::PER_PAGE;

/// Whose code to print.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Whose<'a> {
    /// A recruiter's own code.
    Recruiter(i64),
    /// An event code (of the recruiter, when the path names one).
    Event(&'a str, Option<i64>),
}

/// Why there are no cards.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("no such recruiter or event code")]
    NotFound,
    #[error("this recruiter has no code")]
    NoCode,
    #[error("you may print the cards of your own code only")]
    Forbidden,
    #[error(transparent)]
    Unprintable(#[from] Unprintable),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pdf(#[from] anyhow::Error),
}

/// A PDF made, and whose code it carries.
pub(crate) struct Printed {
    pub pdf: Vec<u8>,
    pub code: String,
    pub recruiter_id: i64,
}

/// The PDF of `count` cards of `whose` code, if `may(recruiter)` lets the caller print that
/// recruiter's cards; audited as `actor` once made.
pub(crate) async fn print(
    store: &Store,
    settings: &Settings,
    whose: Whose<'_>,
    may: impl Fn(i64) -> bool,
    count: usize,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Printed, Refusal> {
    let (card, owner) = match whose {
        Whose::Recruiter(id) => {
            let recruiter = store.recruiter(id).await?.ok_or(Refusal::NotFound)?;
            if !may(id) {
                return Err(Refusal::Forbidden);
            }
            let code = recruiter.code.ok_or(Refusal::NoCode)?;
            (Card::recruiter(&code)?, id)
        }
        Whose::Event(code, path_owner) => {
            let event = store.event_code(code).await?.ok_or(Refusal::NotFound)?;
            if path_owner.is_some_and(|owner| owner != event.recruiter_id) {
                return Err(Refusal::NotFound);
            }
            if !may(event.recruiter_id) {
                return Err(Refusal::Forbidden);
            }
            let card = Card::event(
                &event.code,
                event.label.as_deref(),
                event.expires_at,
                (event.max_uses, event.uses),
                now,
                settings.campaign.timezone.0,
            )?;
            (card, event.recruiter_id)
        }
    };
    let campaign = Campaign::of(settings);
    let catalog = Catalog::new(&campaign.ussd_code);
    let count = count.clamp(1, cards::MAX_CARDS);
    let drawn = card.clone();
    // Drawing is CPU work (50 pages take a while): off the async workers.
    let pdf = tokio::task::spawn_blocking(move || cards::pdf(&catalog, &campaign, &drawn, count))
        .await
        .map_err(|err| anyhow::anyhow!("drawing the cards: {err}"))??;
    let code = card.code.to_string();
    let target = format!("recruiter:{owner}");
    let detail = format!("{count} cards of code {code}");
    store
        .append_audit(&NewAuditEntry {
            at: now,
            actor,
            action: "cards.print",
            target: Some(&target),
            detail: Some(&detail),
        })
        .await?;
    Ok(Printed {
        pdf,
        code,
        recruiter_id: owner,
    })
}

#[derive(Deserialize)]
pub struct CardsQuery {
    #[serde(default)]
    count: Option<String>,
}

/// `GET /admin/recruiters/{id}/cards.pdf`.
pub async fn recruiter(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<CardsQuery>,
) -> Response {
    let Some(id) = recruiter_id(&id) else {
        return not_found(&state, &viewer);
    };
    download(&state, &viewer, Whose::Recruiter(id), &query).await
}

/// `GET /admin/recruiters/{id}/event-codes/{code}/cards.pdf`.
pub async fn event_code(
    State(state): State<Arc<AppState>>,
    viewer: Viewer,
    Path((id, code)): Path<(String, String)>,
    Query(query): Query<CardsQuery>,
) -> Response {
    let Some(id) = recruiter_id(&id) else {
        return not_found(&state, &viewer);
    };
    download(&state, &viewer, Whose::Event(&code, Some(id)), &query).await
}

async fn download(
    state: &AppState,
    viewer: &Viewer,
    whose: Whose<'_>,
    query: &CardsQuery,
) -> Response {
    let refused = |status, detail| {
        ErrorPage::answer(
            viewer.chrome(state, "recruiters"),
            status,
            "admin-rec-cards-refused-title",
            detail,
        )
    };
    let count = match query.count.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_COUNT,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=cards::MAX_CARDS).contains(&n) => n,
            _ => return refused(StatusCode::BAD_REQUEST, "admin-rec-cards-bad-count"),
        },
    };
    let who = &viewer.principal;
    let printed = print(
        &state.store,
        &state.settings,
        whose,
        |owner| who.may_print_cards_of(owner),
        count,
        &who.actor(),
        state.clock.now(),
    )
    .await;
    match printed {
        Ok(printed) => {
            let file = match whose {
                Whose::Recruiter(_) => format!("cards-recruiter-{}.pdf", printed.recruiter_id),
                Whose::Event(..) => format!("cards-event-{}.pdf", printed.code),
            };
            (
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}\""),
                    ),
                ],
                printed.pdf,
            )
                .into_response()
        }
        Err(Refusal::NotFound | Refusal::NoCode) => not_found(state, viewer),
        Err(Refusal::Forbidden) => refused(StatusCode::FORBIDDEN, "admin-rec-cards-forbidden"),
        Err(Refusal::Unprintable(_)) => {
            refused(StatusCode::CONFLICT, "admin-rec-cards-refused-detail")
        }
        Err(Refusal::Store(err)) => ApiError::from(err).into_response(),
        Err(Refusal::Pdf(err)) => ApiError::Internal(err).into_response(),
    }
}
