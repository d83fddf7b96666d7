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

use axum::http::{header, StatusCode};
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

/// Rules the server enforces that utoipa's attributes cannot write, set into the document's
/// JSON as JSON Schema: a tip needs a text; a broadcast has exactly one content and one
/// schedule; a district has no parent area and a thana or village has one.
fn write_rules(doc: &mut serde_json::Value) {
    use serde_json::json;
    let absent_or_null = json!({"type": "null"});
    let rules = [
        (
            "/components/schemas/NewTip/properties/texts/minProperties",
            json!(1),
        ),
        (
            "/components/schemas/NewBroadcast/allOf",
            json!([
                {"oneOf": [
                    {"required": ["tip_id"], "properties": {
                        "tip_id": {"type": "integer"}, "drip": {"const": false},
                        "texts": absent_or_null}},
                    {"required": ["drip"], "properties": {
                        "drip": {"const": true}, "tip_id": absent_or_null,
                        "texts": absent_or_null}},
                    {"required": ["texts"], "properties": {
                        "texts": {"type": "object"}, "tip_id": absent_or_null,
                        "drip": {"const": false}}},
                ]},
                {"oneOf": [
                    {"required": ["send_at"], "properties": {
                        "send_at": {"type": "string"}, "cron": absent_or_null}},
                    {"required": ["cron"], "properties": {
                        "cron": {"type": "string"}, "send_at": absent_or_null}},
                ]},
            ]),
        ),
        (
            "/components/schemas/NewArea/oneOf",
            json!([
                {"properties": {"kind": {"const": "district"}, "parent_id": absent_or_null}},
                {"required": ["parent_id"], "properties": {
                    "kind": {"enum": ["thana", "village"]},
                    "parent_id": {"type": "integer"}}},
            ]),
        ),
    ];
    // Links from what an operation creates to what can be done with it next.
    let by_id = |operation: &str| json!({"operationId": operation, "parameters": {"id": "$response.body#/id"}});
    let links = [
        ("/api/v1/areas", "post", "201", vec!["update_area"]),
        (
            "/api/v1/recruiters",
            "post",
            "201",
            vec!["show_recruiter", "update_recruiter", "recruiter_tree"],
        ),
        (
            "/api/v1/tips",
            "post",
            "201",
            vec!["show_tip", "update_tip"],
        ),
        (
            "/api/v1/broadcasts",
            "post",
            "201",
            vec![
                "show_broadcast",
                "pause_broadcast",
                "resume_broadcast",
                "cancel_broadcast",
            ],
        ),
    ];
    for (path, method, status, operations) in links {
        let response = doc
            .pointer_mut(&format!(
                "/paths/{}/{method}/responses/{status}",
                path.replace('/', "~1")
            ))
            .and_then(serde_json::Value::as_object_mut)
            .unwrap_or_else(|| panic!("the document has {method} {path} {status}"));
        let links: serde_json::Map<String, serde_json::Value> = operations
            .into_iter()
            .map(|operation| (operation.to_string(), by_id(operation)))
            .collect();
        response.insert("links".into(), links.into());
    }
    for (pointer, rule) in rules {
        let (parent, name) = pointer.rsplit_once('/').expect("a pointer to a member");
        doc.pointer_mut(parent)
            .and_then(serde_json::Value::as_object_mut)
            .unwrap_or_else(|| panic!("the document has {parent}"))
            .insert(name.to_string(), rule);
    }
}

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
        .routes(routes!(event_codes::show))
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

/// The OpenAPI document of the admin API, as served.
pub fn openapi() -> serde_json::Value {
    document(documented().into_openapi())
}

fn document(doc: utoipa::openapi::OpenApi) -> serde_json::Value {
    let mut json = serde_json::to_value(doc).expect("the OpenAPI document serialises");
    write_rules(&mut json);
    json
}

/// The admin API, with its document at `/api/v1/openapi.json` and an explorer of it at
/// `/api/v1/docs/`.
pub fn router() -> Router<Arc<AppState>> {
    let (router, doc) = documented().split_for_parts();
    let json: Arc<str> = document(doc).to_string().into();
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

/// `201 Created` with the new resource's address in `Location` and the resource itself.
fn created<T: serde::Serialize>(
    path: String,
    body: T,
) -> (StatusCode, [(header::HeaderName, String); 1], axum::Json<T>) {
    (
        StatusCode::CREATED,
        [(header::LOCATION, format!("{BASE}{path}"))],
        axum::Json(body),
    )
}

/// Records an admin action: who (the token), what, to what. Never a phone number.
pub(crate) async fn audit(
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
