//! `GET /fraud-reports` and `GET /exports/fraud-reports.csv`: numbers villagers reported as fraud
//! callers or senders, once enough different people reported them within the report window.
//! Admins only, and every read is audited.
//!
//! These are the one place the API shows a full phone number, on purpose: the number of a
//! suspected fraudster, reported by at least `reports.reporters_to_show` people, for the cyber
//! cell to enter into Chakshu or the NCRP by hand (neither has an API). A number reported by fewer
//! is counted, never shown. Nothing anywhere says who reported a number.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::ReadProblems;
use super::extract::Admin;
use crate::access::Principal;
use crate::http::ApiError;
use crate::http::AppState;
use crate::reports::{Kind, Medium};

/// Whether anyone checked a reported number: never, by mitan. Numbers are spoofed and reports
/// can be malicious.
#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum Verification {
    Unverified,
}

#[derive(Serialize, ToSchema)]
pub struct ReportedNumber {
    /// The reported number in E.164 (`+919876543210`).
    #[schema(example = "+919876543210")]
    pub number: String,
    /// Its country calling code and national number, as the Chakshu form asks for them.
    #[schema(example = "91")]
    pub country_code: String,
    #[schema(example = "9876543210")]
    pub national_number: String,
    /// Different people who reported it within the window.
    pub reporters: i64,
    /// The first and the last day it was reported (the campaign's time zone).
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    /// Reports per medium (`call`, `sms`, `whatsapp`); reports that named none are not here.
    pub media: BTreeMap<String, i64>,
    /// Reports per kind (`bank`, `prize`, `job`, `threat`, `other`).
    pub kinds: BTreeMap<String, i64>,
    pub status: Verification,
}

#[derive(Serialize, ToSchema)]
pub struct FraudReports {
    /// Reports are counted over this many days, up to today.
    pub window_days: u32,
    /// A number is shown once this many different people reported it.
    pub reporters_to_show: u32,
    /// Numbers reported in the window, shown or not.
    pub numbers_reported: i64,
    /// Reports counted in the window (one per reporter per number).
    pub reports: i64,
    /// The numbers shown, most reported first.
    pub numbers: Vec<ReportedNumber>,
}

/// Numbers reported by enough people.
#[utoipa::path(operation_id = "list_fraud_reports", get, path = "/fraud-reports", tag = "stats", security(("bearer" = ["admin"])),
    responses((status = 200, body = FraudReports), ReadProblems))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
) -> Result<axum::Json<FraudReports>, ApiError> {
    Ok(axum::Json(read_audited(&state, &who).await?))
}

/// The numbers as `who` reads them (the API's list and the dashboard's page): the read is
/// recorded in the audit log, since it shows full numbers.
pub(crate) async fn read_audited(
    state: &AppState,
    who: &Principal,
) -> Result<FraudReports, ApiError> {
    let reports = reported(state).await?;
    super::audit(state, who, "fraud-reports.read", "fraud-reports", None).await?;
    Ok(reports)
}

/// The same numbers as a spreadsheet, one per row, to enter into Chakshu or the NCRP.
#[utoipa::path(operation_id = "export_fraud_reports_csv", get, path = "/exports/fraud-reports.csv", tag = "stats", security(("bearer" = ["admin"])),
    responses((status = 200, content_type = "text/csv", body = String,
        description = "country_code,national_number,reporters,first_day,last_day,media,kinds,status"),
        ReadProblems))]
pub async fn csv(
    State(state): State<Arc<AppState>>,
    Admin(who): Admin,
) -> Result<Response, ApiError> {
    csv_for(&state, &who).await
}

/// The CSV for the API and the dashboard's download, audited.
pub(crate) async fn csv_for(state: &AppState, who: &Principal) -> Result<Response, ApiError> {
    let reports = reported(state).await?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    let fail = |err: csv::Error| ApiError::Internal(anyhow::Error::new(err).context("CSV"));
    csv.write_record([
        "country_code",
        "national_number",
        "reporters",
        "first_day",
        "last_day",
        "media",
        "kinds",
        "status",
    ])
    .map_err(fail)?;
    let list = |counts: &BTreeMap<String, i64>| {
        counts
            .iter()
            .map(|(name, n)| format!("{name} {n}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    for number in &reports.numbers {
        csv.write_record([
            number.country_code.clone(),
            number.national_number.clone(),
            number.reporters.to_string(),
            number.first_day.to_string(),
            number.last_day.to_string(),
            list(&number.media),
            list(&number.kinds),
            "unverified".to_string(),
        ])
        .map_err(fail)?;
    }
    let body = csv
        .into_inner()
        .map_err(|err| ApiError::Internal(anyhow::anyhow!("finishing CSV: {err}")))?;
    super::audit(state, who, "export.csv", "export:fraud-reports", None).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"fraud-reports.csv\"".to_string(),
            ),
        ],
        body,
    )
        .into_response())
}

/// The numbers to show and the window's totals.
async fn reported(state: &AppState) -> Result<FraudReports, ApiError> {
    let settings = &state.settings.reports;
    let today = state.settings.campaign.local_day(state.clock.now());
    let since = today - chrono::Duration::days(i64::from(settings.window_days.0) - 1);
    let rows = state
        .store
        .reported_numbers(since, i64::from(settings.reporters_to_show.0))
        .await?;
    let (numbers_reported, reports) = state.store.report_totals(since).await?;
    let mut numbers = Vec::with_capacity(rows.len());
    for row in rows {
        let phone = state
            .vault
            .open(&row.ciphertext, &row.key_id)
            .map_err(|err| {
                ApiError::Internal(anyhow::anyhow!("opening a reported number: {err}"))
            })?;
        let (country_code, national_number) = phone.parts();
        let day = |text: &str| {
            text.parse::<NaiveDate>()
                .map_err(|err| ApiError::Internal(anyhow::anyhow!("a stored day {text:?}: {err}")))
        };
        let named = |names: &mut dyn Iterator<Item = (&'static str, i64)>| {
            names
                .filter(|(_, n)| *n > 0)
                .map(|(name, n)| (name.to_string(), n))
                .collect::<BTreeMap<_, _>>()
        };
        numbers.push(ReportedNumber {
            number: phone.e164().to_string(),
            country_code: country_code.to_string(),
            national_number: national_number.to_string(),
            reporters: row.reporters,
            first_day: day(&row.first_day)?,
            last_day: day(&row.last_day)?,
            media: named(&mut Medium::ALL.iter().map(|m| m.as_str()).zip(row.media)),
            kinds: named(&mut Kind::ALL.iter().map(|k| k.as_str()).zip(row.kinds)),
            status: Verification::Unverified,
        });
    }
    Ok(FraudReports {
        window_days: settings.window_days.0,
        reporters_to_show: settings.reporters_to_show.0,
        numbers_reported,
        reports,
        numbers,
    })
}
