//! People who consented, in the privacy-core form only.

use chrono::{DateTime, Utc};

use super::{from_millis, on_pool, to_millis, Store, StoreError};
use crate::privacy::{BlindIndex, SealedPhone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonStatus {
    Active,
    OptedOut,
    Erased,
}

impl PersonStatus {
    fn as_str(self) -> &'static str {
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

/// A person at the moment they agree. Nothing is written before this exists.
#[derive(Debug)]
pub struct NewPerson<'a> {
    pub phone: &'a SealedPhone,
    pub language: &'a str,
    pub consent_channel: &'a str,
    /// Hash of the exact notice and consent texts the person was shown.
    pub consent_version: &'a str,
    pub consented_at: DateTime<Utc>,
}

/// A stored person. The sealed number is here for the dispatcher; only its hint is ever shown.
#[derive(Debug, Clone)]
pub struct PersonRecord {
    pub id: i64,
    pub phone: Option<SealedPhone>,
    pub language: String,
    pub status: PersonStatus,
    pub consent_channel: String,
    pub consent_version: String,
    pub consented_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct PersonRow {
    id: i64,
    phone_index: Option<Vec<u8>>,
    phone_ciphertext: Option<Vec<u8>>,
    phone_key_id: Option<String>,
    phone_hint: Option<String>,
    language: String,
    status: String,
    consent_channel: String,
    consent_version: String,
    consented_at: i64,
}

impl From<PersonRow> for PersonRecord {
    fn from(row: PersonRow) -> Self {
        let phone = match (
            row.phone_index.as_deref().and_then(BlindIndex::from_bytes),
            row.phone_ciphertext,
            row.phone_key_id,
            row.phone_hint,
        ) {
            (Some(index), Some(ciphertext), Some(key_id), Some(hint)) => Some(SealedPhone {
                index,
                ciphertext,
                key_id,
                hint,
            }),
            _ => None,
        };
        Self {
            id: row.id,
            phone,
            language: row.language,
            status: PersonStatus::parse(&row.status),
            consent_channel: row.consent_channel,
            consent_version: row.consent_version,
            consented_at: from_millis(row.consented_at),
        }
    }
}

const PERSON_COLUMNS: &str = "id, phone_index, phone_ciphertext, phone_key_id, phone_hint, \
     language, status, consent_channel, consent_version, consented_at";

impl Store {
    /// Records a consenting person; a number already present is [`StoreError::Duplicate`].
    pub async fn insert_person(&self, person: &NewPerson<'_>) -> Result<i64, StoreError> {
        let at = to_millis(person.consented_at);
        let id: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO people (phone_index, phone_ciphertext, phone_key_id, phone_hint, \
                 language, status, consent_channel, consent_version, consented_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .bind(person.phone.index.as_bytes())
            .bind(&person.phone.ciphertext)
            .bind(&person.phone.key_id)
            .bind(&person.phone.hint)
            .bind(person.language)
            .bind(PersonStatus::Active.as_str())
            .bind(person.consent_channel)
            .bind(person.consent_version)
            .bind(at)
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    pub async fn person_by_index(
        &self,
        index: &BlindIndex,
    ) -> Result<Option<PersonRecord>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE phone_index = $1");
        let row: Option<PersonRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(index.as_bytes())
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Into::into))
    }

    pub async fn person(&self, id: i64) -> Result<Option<PersonRecord>, StoreError> {
        let sql = format!("SELECT {PERSON_COLUMNS} FROM people WHERE id = $1");
        let row: Option<PersonRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(Into::into))
    }

    /// Removes the number for good (index, ciphertext, hint); the row stays, anonymous, so that
    /// counts do not change. Returns whether a person with a number was erased.
    pub async fn erase_person(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let affected = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE people SET phone_index = NULL, phone_ciphertext = NULL, \
                 phone_key_id = NULL, phone_hint = NULL, status = $2, erased_at = $3, \
                 withdrawn_at = COALESCE(withdrawn_at, $3) \
                 WHERE id = $1 AND status <> $2",
            )
            .bind(id)
            .bind(PersonStatus::Erased.as_str())
            .bind(to_millis(at))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(affected == 1)
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
