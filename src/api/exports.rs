//! `/exports/*.csv`: the aggregates as spreadsheets, for the token's scope, with the same
//! small-count rule as the JSON. Each export is recorded in the audit log.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::audit;
use super::dto::{Count, ReadProblems, StatusFigures};
use super::recruiters::{area_kinds, summary};
use super::stats::{area_figures, scope_is_a_village};
use crate::access::Principal;
use crate::http::ApiError;
use crate::http::AppState;
use crate::store::RecruiterFilter;

/// Rows read from the store at a time.
const BATCH: i64 = 500;

/// People and recruiters per area, villages rolled up into thanas and districts.
#[utoipa::path(operation_id = "export_areas_csv", get, path = "/exports/areas.csv", tag = "stats", security(("bearer" = ["admin", "officer"])),
    responses((status = 200, content_type = "text/csv", body = String,
        description = "area_id,kind,name,parent_id,recruiters,people,active,opted_out,erased"),
        ReadProblems))]
pub async fn areas(
    State(state): State<Arc<AppState>>,
    who: Principal,
) -> Result<Response, ApiError> {
    areas_csv(&state, &who).await
}

/// The areas export as `who` may see it, audited (the API's and the dashboard's download).
pub(crate) async fn areas_csv(state: &AppState, who: &Principal) -> Result<Response, ApiError> {
    let (rows, _) = area_figures(state, who).await?;
    let hide_all = scope_is_a_village(state, who).await?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    write(
        &mut csv,
        [
            "area_id",
            "kind",
            "name",
            "parent_id",
            "recruiters",
            "people",
            "active",
            "opted_out",
            "erased",
        ],
    )?;
    for row in rows {
        let row = row.shown(who, hide_all);
        let mut record = vec![
            optional(row.id),
            row.kind
                .map(|k| crate::enrollment::AreaKind::from(k).tag().to_string())
                .unwrap_or_default(),
            text(&row.name),
            optional(row.parent_id),
            row.recruiters.cell(),
        ];
        record.extend(people(&row.people));
        write(&mut csv, record)?;
    }
    finish(state, who, "areas", csv).await
}

/// Every recruiter in scope with their direct recruits and quota progress.
#[utoipa::path(operation_id = "export_recruiters_csv", get, path = "/exports/recruiters.csv", tag = "stats", security(("bearer" = ["admin", "officer"])),
    responses((status = 200, content_type = "text/csv", body = String,
        description = "recruiter_id,kind,name,area_id,recruited_by,quota,quota_percent,people,active,opted_out,erased"),
        ReadProblems))]
pub async fn recruiters(
    State(state): State<Arc<AppState>>,
    who: Principal,
) -> Result<Response, ApiError> {
    recruiters_csv(&state, &who).await
}

/// The recruiters export as `who` may see it, audited (the API's and the dashboard's download).
pub(crate) async fn recruiters_csv(
    state: &AppState,
    who: &Principal,
) -> Result<Response, ApiError> {
    let kinds = area_kinds(state).await?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    write(
        &mut csv,
        [
            "recruiter_id",
            "kind",
            "name",
            "area_id",
            "recruited_by",
            "quota",
            "quota_percent",
            "people",
            "active",
            "opted_out",
            "erased",
        ],
    )?;
    let mut after = 0;
    loop {
        let page = state
            .store
            .recruiters(&RecruiterFilter {
                scope: who.scope(),
                kind: None,
                area_id: None,
                name_contains: None,
                without_village_mitans: who.role == crate::access::Role::Officer,
                after,
                limit: BATCH,
            })
            .await?;
        let full = page.len() as i64 == BATCH;
        for (recruiter, direct) in page {
            after = recruiter.id;
            let hide =
                who.hides_small_counts_in(recruiter.area_id.and_then(|id| kinds.get(&id).copied()));
            let row = summary(recruiter, direct, hide);
            let kind = crate::enrollment::RecruiterKind::from(row.kind).tag();
            let mut record = vec![
                row.id.to_string(),
                kind.to_string(),
                text(&row.name),
                optional(row.area_id),
                optional(row.recruited_by),
                row.quota.target.to_string(),
                optional(row.quota.percent),
            ];
            record.extend(people(&row.direct));
            write(&mut csv, record)?;
        }
        if !full {
            break;
        }
    }
    finish(state, who, "recruiters", csv).await
}

fn people(figures: &StatusFigures) -> [String; 4] {
    [
        &figures.total,
        &figures.active,
        &figures.opted_out,
        &figures.erased,
    ]
    .map(|c: &Count| c.cell())
}

fn optional(value: Option<i64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// A name as a cell; one a spreadsheet would read as a formula is quoted with `'`.
fn text(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@']) {
        format!("'{name}")
    } else {
        name.to_string()
    }
}

fn write<I, T>(csv: &mut csv::Writer<Vec<u8>>, record: I) -> Result<(), ApiError>
where
    I: IntoIterator<Item = T>,
    T: AsRef<[u8]>,
{
    csv.write_record(record)
        .map_err(|err| ApiError::Internal(anyhow::Error::new(err).context("writing CSV")))
}

async fn finish(
    state: &AppState,
    who: &Principal,
    what: &str,
    csv: csv::Writer<Vec<u8>>,
) -> Result<Response, ApiError> {
    let body = csv
        .into_inner()
        .map_err(|err| ApiError::Internal(anyhow::anyhow!("finishing CSV: {err}")))?;
    audit(state, who, "export.csv", &format!("export:{what}"), None).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{what}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}
