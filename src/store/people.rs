//! Reading people, in the privacy-core form only.

use chrono::{DateTime, Utc};

use super::{from_millis, on_pool, on_reader, stored, to_millis, Store, StoreError};
use crate::enrollment::{Language, PersonStatus, Script};
use crate::privacy::{BlindIndex, SealedPhone};

/// A stored person. The sealed number is here for sending; only its hint is ever shown.
#[derive(Debug, Clone)]
pub struct PersonRecord {
    pub id: i64,
    pub phone: Option<SealedPhone>,
    pub language: Language,
    pub script: Script,
    pub status: PersonStatus,
    pub consent_channel: String,
    pub consent_version: String,
    pub consented_at: DateTime<Utc>,
    pub recruited_by: Option<i64>,
    pub area_id: Option<i64>,
    /// The person's own opt-in code (as a mitan), if they have one.
    pub own_code: Option<String>,
    /// Tips come as phone calls (`people.medium = 'voice'`), not SMS.
    pub voice: bool,
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    phone_index: Option<Vec<u8>>,
    phone_ciphertext: Option<Vec<u8>>,
    phone_key_id: Option<String>,
    phone_hint: Option<String>,
    language: String,
    script: String,
    status: String,
    consent_channel: String,
    consent_version: String,
    consented_at: i64,
    recruited_by: Option<i64>,
    area_id: Option<i64>,
    own_code: Option<String>,
    medium: String,
}

pub(crate) fn sealed_from_columns(
    index: Option<Vec<u8>>,
    ciphertext: Option<Vec<u8>>,
    key_id: Option<String>,
    hint: Option<String>,
) -> Option<SealedPhone> {
    Some(SealedPhone {
        index: BlindIndex::from_bytes(&index?)?,
        ciphertext: ciphertext?,
        key_id: key_id?,
        hint: hint?,
    })
}

impl TryFrom<PersonRow> for PersonRecord {
    type Error = StoreError;

    fn try_from(row: PersonRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            phone: sealed_from_columns(
                row.phone_index,
                row.phone_ciphertext,
                row.phone_key_id,
                row.phone_hint,
            ),
            language: stored("language", &row.language, Language::from_tag)?,
            script: stored("script", &row.script, Script::from_tag)?,
            status: stored("person status", &row.status, PersonStatus::from_tag)?,
            consent_channel: row.consent_channel,
            consent_version: row.consent_version,
            consented_at: from_millis(row.consented_at),
            recruited_by: row.recruited_by,
            area_id: row.area_id,
            own_code: row.own_code,
            voice: stored("medium", &row.medium, |m| match m {
                "voice" => Some(true),
                "sms" => Some(false),
                _ => None,
            })?,
        })
    }
}

/// A person as lists show them: two digits of the number at most, never the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonSummary {
    pub id: i64,
    /// The last two digits; `None` once erased.
    pub hint: Option<String>,
    pub language: Language,
    pub status: PersonStatus,
    pub area_id: Option<i64>,
    pub recruited_by: Option<i64>,
    pub joined_at: DateTime<Utc>,
}

/// Which people a list shows, a page at a time (by id).
#[derive(Debug, Clone)]
pub struct PeopleFilter {
    pub status: Option<PersonStatus>,
    /// This area and every area below it.
    pub area_id: Option<i64>,
    pub language: Option<Language>,
    pub recruited_by: Option<i64>,
    pub joined_from: Option<DateTime<Utc>>,
    pub joined_before: Option<DateTime<Utc>>,
    pub after: i64,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: i64,
    phone_hint: Option<String>,
    language: String,
    status: String,
    area_id: Option<i64>,
    recruited_by: Option<i64>,
    created_at: i64,
}

const PERSON_SELECT: &str = "SELECT p.id, p.phone_index, p.phone_ciphertext, p.phone_key_id, \
     p.phone_hint, p.language, p.script, p.status, p.consent_channel, p.consent_version, \
     p.consented_at, p.recruited_by, p.area_id, c.code AS own_code, p.medium \
     FROM people p \
     LEFT JOIN recruiters r ON r.person_id = p.id \
     LEFT JOIN codes c ON c.recruiter_id = r.id AND c.kind = 'permanent'";

impl Store {
    pub async fn person_by_index(
        &self,
        index: &BlindIndex,
    ) -> Result<Option<PersonRecord>, StoreError> {
        let sql = format!("{PERSON_SELECT} WHERE p.phone_index = $1");
        let row: Option<PersonRow> = on_reader!(self, pool => {
            sqlx::query_as(&sql)
                .bind(index.as_bytes())
                .fetch_optional(pool)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    pub async fn person(&self, id: i64) -> Result<Option<PersonRecord>, StoreError> {
        let sql = format!("{PERSON_SELECT} WHERE p.id = $1");
        let row: Option<PersonRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(TryInto::try_into).transpose()
    }

    /// A page of people, by id.
    pub async fn people(&self, filter: &PeopleFilter) -> Result<Vec<PersonSummary>, StoreError> {
        let rows: Vec<SummaryRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT p.id, p.phone_hint, p.language, p.status, p.area_id, p.recruited_by, \
                 p.created_at FROM people p \
                 WHERE ($1 IS NULL OR p.status = $1) \
                 AND ($2 IS NULL OR p.area_id IN (SELECT id FROM areas WHERE id = $2 \
                     OR parent_id = $2 \
                     OR parent_id IN (SELECT id FROM areas WHERE parent_id = $2))) \
                 AND ($3 IS NULL OR p.language = $3) AND ($4 IS NULL OR p.recruited_by = $4) \
                 AND ($5 IS NULL OR p.created_at >= $5) AND ($6 IS NULL OR p.created_at < $6) \
                 AND p.id > $7 ORDER BY p.id LIMIT $8",
            )
            .bind(filter.status.map(PersonStatus::as_str))
            .bind(filter.area_id)
            .bind(filter.language.map(Language::tag))
            .bind(filter.recruited_by)
            .bind(filter.joined_from.map(to_millis))
            .bind(filter.joined_before.map(to_millis))
            .bind(filter.after)
            .bind(filter.limit)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|row| {
                Ok(PersonSummary {
                    id: row.id,
                    hint: row.phone_hint,
                    language: stored("language", &row.language, Language::from_tag)?,
                    status: stored("person status", &row.status, PersonStatus::from_tag)?,
                    area_id: row.area_id,
                    recruited_by: row.recruited_by,
                    joined_at: from_millis(row.created_at),
                })
            })
            .collect()
    }

    pub async fn count_people(&self, status: PersonStatus) -> Result<i64, StoreError> {
        let count = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE status = $1")
                .bind(status.as_str())
                .fetch_one(pool)
                .await?
        });
        Ok(count)
    }
}
