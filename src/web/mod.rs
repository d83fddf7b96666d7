//! The dashboard for the district cyber cell and its officers, served by `mitan serve` itself
//! under `/admin`: HTML rendered on the server (askama templates in `templates/admin/`), every
//! action a plain form post (htmx, built in, only enhances), every file built into the binary, in
//! English and Hindi. Admins run the campaign; an officer sees their own subtree's figures only.
//!
//! - `session`: signing in and out, the viewer of a request (`Viewer`, `AdminViewer`);
//! - `guard`: cross-site requests refused, security headers on every answer;
//! - `page`: the frame every page shares (words, navigation) and rendering;
//! - `assets`: the stylesheet, htmx and the simulator's script;
//! - `simulator`: the browser phone of training mode (`/simulator`);
//! - `cards`: code cards as PDF, for admins and for an officer's own code (`mitan cards` too);
//! - one module per page.

mod assets;
mod audit;
mod broadcasts;
pub(crate) mod cards;
mod exports;
mod guard;
mod overview;
mod page;
mod people;
mod recruiters;
mod reports;
mod scams;
mod session;
mod simulator;
mod tips;
mod tokens;

use std::sync::Arc;

use axum::middleware;
use axum::routing::{get, post};
use axum::Router;

use crate::http::AppState;

/// Every dashboard route, guarded.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/admin", get(overview::page))
        .route("/admin/login", get(session::form).post(session::sign_in))
        .route("/admin/logout", post(session::sign_out))
        .route("/admin/language", post(session::choose_language))
        .route("/admin/people", get(people::page))
        // recruiters
        .route(
            "/admin/recruiters",
            get(recruiters::list).post(recruiters::add),
        )
        .route("/admin/recruiters/{id}", get(recruiters::show))
        .route(
            "/admin/recruiters/{id}/event-codes",
            post(recruiters::issue_code),
        )
        .route(
            "/admin/recruiters/{id}/event-codes/{code}/expire",
            post(recruiters::expire_code),
        )
        // code cards: admins, and an officer for their own recruiter
        .route("/admin/recruiters/{id}/cards.pdf", get(cards::recruiter))
        .route(
            "/admin/recruiters/{id}/event-codes/{code}/cards.pdf",
            get(cards::event_code),
        )
        // audit, exports, tokens
        .route("/admin/audit", get(audit::page))
        .route("/admin/scams", get(scams::page))
        .route("/admin/reports", get(reports::page))
        .route("/admin/reports/fraud-reports.csv", get(reports::csv))
        .route("/admin/exports", get(exports::page))
        .route("/admin/exports/areas.csv", get(exports::areas))
        .route("/admin/exports/recruiters.csv", get(exports::recruiters))
        .route("/admin/tokens", get(tokens::page).post(tokens::create))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        // tips and broadcasts
        .route("/admin/tips", get(tips::list).post(tips::create))
        .route("/admin/tips/new", get(tips::new))
        .route("/admin/tips/count", post(tips::count))
        .route("/admin/tips/{id}", get(tips::edit).post(tips::update))
        .route(
            "/admin/broadcasts",
            get(broadcasts::list).post(broadcasts::create),
        )
        .route("/admin/broadcasts/new", get(broadcasts::new))
        .route("/admin/broadcasts/{id}", get(broadcasts::show))
        .route("/admin/broadcasts/{id}/progress", get(broadcasts::progress))
        .route("/admin/broadcasts/{id}/pause", post(broadcasts::pause))
        .route("/admin/broadcasts/{id}/resume", post(broadcasts::resume))
        .route("/admin/broadcasts/{id}/cancel", post(broadcasts::cancel))
        // the browser phone, in training mode only
        .route("/simulator", get(simulator::entry))
        .route("/admin/simulator", get(simulator::page))
        .route("/admin/simulator/hop", post(simulator::hop))
        .route("/admin/simulator/end", post(simulator::end))
        .route("/admin/simulator/sms", post(simulator::sms))
        .route("/admin/simulator/inbox", get(simulator::inbox))
        .route("/admin/assets/{file}", get(assets::serve))
        .layer(middleware::from_fn(guard::same_origin))
        .layer(middleware::from_fn(guard::headers))
}
