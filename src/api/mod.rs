//! The admin API under `/api/v1`: JSON over HTTP, `Authorization: Bearer <token>`, one file per
//! resource. The OpenAPI 3.1 document is generated from the handlers themselves (utoipa), so a
//! route cannot be served without being documented; it is served at `/api/v1/openapi.json`.
//!
//! Every answer is made of DTOs defined here; no DTO has a field that could hold a villager's or
//! an officer's full phone number (recruiters and people show the last two digits at most). The
//! one full number shown is a reported fraud number, to admins ([`fraud_reports`]).

mod areas;
mod audit;
pub mod broadcasts;
pub mod dto;
pub mod event_codes;
pub(crate) mod exports;
mod extract;
pub(crate) mod fraud_reports;
mod me;
mod people;
pub mod recruiters;
pub mod scam_checks;
pub mod stats;
pub mod tips;
pub(crate) mod tokens;

use std::sync::Arc;

use axum::http::header;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::access::Principal;
use crate::http::ApiError;
use crate::http::AppState;
use crate::store::NewAuditEntry;

/// Where the admin API lives.
pub const BASE: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "mitan admin API",
        description = "Recruiters, codes and the recruitment cascade of the Cyber Mitan \
            campaign. No response ever holds a villager's or an officer's full phone number: \
            people and recruiters show the last two digits at most; only a fraud number \
            reported by several villagers is shown in full, to admins. Errors are application/problem+json (RFC 9457); \
            invalid fields are listed in `errors`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    modifiers(&BearerAuth),
    components(schemas(crate::http::Problem, crate::http::FieldError)),
    tags(
        (name = "session", description = "Who the token belongs to"),
        (name = "areas", description = "District → thana → village"),
        (name = "recruiters", description = "Recruiters, their codes and figures, the cascade"),
        (name = "event codes", description = "Codes for a training camp: expiry and use limit"),
        (name = "people", description = "People, masked; erasure"),
        (name = "stats", description = "Aggregates and CSV exports"),
        (name = "audit", description = "The append-only log of admin actions"),
        (name = "tokens", description = "API tokens (created with `mitan token create`)"),
        (name = "tips", description = "The tip library: texts per language and script, checked and costed"),
        (name = "broadcasts", description = "Scheduled tips to a segment: dry run, pause, resume, cancel, progress"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The API routes and their OpenAPI document, both made from the same handler list.
fn documented() -> OpenApiRouter<Arc<AppState>> {
    let v1 = OpenApiRouter::new()
        .routes(routes!(me::show))
        .routes(routes!(areas::list, areas::create))
        .routes(routes!(areas::update))
        .routes(routes!(recruiters::list, recruiters::create))
        .routes(routes!(recruiters::show, recruiters::update))
        .routes(routes!(recruiters::tree))
        .routes(routes!(event_codes::list, event_codes::create))
        .routes(routes!(people::list))
        .routes(routes!(people::erase))
        .routes(routes!(stats::show))
        .routes(routes!(scam_checks::list))
        .routes(routes!(fraud_reports::list))
        .routes(routes!(fraud_reports::csv))
        .routes(routes!(exports::areas))
        .routes(routes!(exports::recruiters))
        .routes(routes!(audit::list))
        .routes(routes!(tokens::list))
        .routes(routes!(tokens::revoke))
        .routes(routes!(tips::list, tips::create))
        .routes(routes!(tips::show, tips::update))
        .routes(routes!(broadcasts::list, broadcasts::create))
        .routes(routes!(broadcasts::dry_run))
        .routes(routes!(broadcasts::show))
        .routes(routes!(broadcasts::pause))
        .routes(routes!(broadcasts::resume))
        .routes(routes!(broadcasts::cancel));
    OpenApiRouter::with_openapi(ApiDoc::openapi()).nest(BASE, v1)
}

/// The OpenAPI document of the admin API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    documented().into_openapi()
}

/// The admin API, with its document at `/api/v1/openapi.json` and an explorer of it at
/// `/api/v1/docs/`.
pub fn router() -> Router<Arc<AppState>> {
    let (router, doc) = documented().split_for_parts();
    let json: Arc<str> = doc
        .to_json()
        .expect("the OpenAPI document serialises")
        .into();
    // The interactive explorer, its assets built into the binary (a LAN without internet works),
    // reading the document served beside it.
    let docs = utoipa_swagger_ui::SwaggerUi::new(format!("{BASE}/docs")).config(
        utoipa_swagger_ui::Config::from(format!("{BASE}/openapi.json")),
    );
    router.merge(docs).route(
        &format!("{BASE}/openapi.json"),
        get(move || {
            let json = json.clone();
            async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    json.to_string(),
                )
            }
        }),
    )
}

/// The time a request acts at, to the millisecond the database keeps, so that an answer made
/// from it reads the same as one read back later.
fn now(state: &AppState) -> DateTime<Utc> {
    let now = state.clock.now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

/// Records an admin action: who (the token), what, to what. Never a phone number.
async fn audit(
    state: &AppState,
    who: &Principal,
    action: &str,
    target: &str,
    detail: Option<&str>,
) -> Result<(), ApiError> {
    state
        .store
        .append_audit(&NewAuditEntry {
            at: now(state),
            actor: &who.actor(),
            action,
            target: Some(target),
            detail,
        })
        .await?;
    Ok(())
}
