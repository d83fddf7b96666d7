//! Reading people, in the privacy-core form only.

use chrono::{DateTime, Utc};

use super::{from_millis, on_pool, Store, StoreError};
use crate::enrollment::{Language, Script};
use crate::privacy::{BlindIndex, SealedPhone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonStatus {
    Active,
    OptedOut,
    Erased,
}

impl PersonStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::OptedOut => "opted_out",
            Self::Erased => "erased",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "active" => Self::Active,
            "opted_out" => Self::OptedOut,
            _ => Self::Erased,
        }
    }
}

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

impl From<PersonRow> for PersonRecord {
    fn from(row: PersonRow) -> Self {
        Self {
            id: row.id,
            phone: sealed_from_columns(
                row.phone_index,
                row.phone_ciphertext,
                row.phone_key_id,
                row.phone_hint,
            ),
            language: Language::from_tag(&row.language).unwrap_or(Language::Hindi),
            script: Script::from_tag(&row.script).unwrap_or_default(),
            status: PersonStatus::parse(&row.status),
            consent_channel: row.consent_channel,
            consent_version: row.consent_version,
            consented_at: from_millis(row.consented_at),
            recruited_by: row.recruited_by,
            area_id: row.area_id,
            own_code: row.own_code,
        }
    }
}

const PERSON_SELECT: &str = "SELECT p.id, p.phone_index, p.phone_ciphertext, p.phone_key_id, \
     p.phone_hint, p.language, p.script, p.status, p.consent_channel, p.consent_version, \
     p.consented_at, p.recruited_by, p.area_id, c.code AS own_code \
     FROM people p \
     LEFT JOIN recruiters r ON r.person_id = p.id \
     LEFT JOIN codes c ON c.recruiter_id = r.id AND c.kind = 'permanent'";

impl Store {
    pub async fn person_by_index(
        &self,
        index: &BlindIndex,
    ) -> Result<Option<PersonRecord>, StoreError> {
        let sql = format!("{PERSON_SELECT} WHERE p.phone_index = $1");
        let row: Option<PersonRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(index.as_bytes())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Into::into))
    }

    pub async fn person(&self, id: i64) -> Result<Option<PersonRecord>, StoreError> {
        let sql = format!("{PERSON_SELECT} WHERE p.id = $1");
        let row: Option<PersonRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(Into::into))
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

    /// Whether a number must not be messaged (opted out or erased, and not re-joined).
    pub async fn is_suppressed(&self, index: &BlindIndex) -> Result<bool, StoreError> {
        let found: Option<i32> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT 1 FROM suppressions WHERE phone_index = $1")
                .bind(index.as_bytes())
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }
}
