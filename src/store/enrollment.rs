//! Joining, opting out, erasing, and the recruiters and codes behind a join: each one
//! transaction, so a join never half-happens.

use chrono::{DateTime, Utc};

use super::{on_pool, on_reader, to_millis, BeginWrite as _, Store, StoreError};
use crate::enrollment::{
    CodeRefusal, JoinOutcome, JoinRequest, Language, OptInCode, RecruiterKind, Script,
};
use crate::privacy::{BlindIndex, SealedPhone};

/// Why a join did not happen.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("code refused: {0}")]
    Code(CodeRefusal),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for JoinError {
    fn from(err: sqlx::Error) -> Self {
        JoinError::Store(err.into())
    }
}

/// A recruiter an admin adds (a mitan's entry is made by [`Store::join`]).
#[derive(Debug, Clone)]
pub struct NewRecruiter<'a> {
    pub kind: RecruiterKind,
    pub name: &'a str,
    pub area_id: Option<i64>,
    pub phone: Option<&'a SealedPhone>,
    pub quota: i64,
    pub recruited_by: Option<i64>,
    pub code_length: usize,
    pub at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(super) struct CodeRow {
    pub(super) recruiter_id: i64,
    kind: String,
    expires_at: Option<i64>,
    max_uses: Option<i64>,
    uses: i64,
    owner_index: Option<Vec<u8>>,
    pub(super) area_id: Option<i64>,
}

pub(super) const CODE_LOOKUP: &str =
    "SELECT c.recruiter_id, c.kind, c.expires_at, c.max_uses, c.uses, \
     COALESCE(r.phone_index, p.phone_index) AS owner_index, r.area_id \
     FROM codes c JOIN recruiters r ON r.id = c.recruiter_id \
     LEFT JOIN people p ON p.id = r.person_id \
     WHERE c.code = $1";

/// Whether a code may credit its owner for this number at this time.
pub(super) fn judge_code(
    row: Option<CodeRow>,
    joiner: &BlindIndex,
    at: i64,
) -> Result<CodeRow, CodeRefusal> {
    let row = row.ok_or(CodeRefusal::Unknown)?;
    if row.owner_index.as_deref() == Some(joiner.as_bytes()) {
        return Err(CodeRefusal::OwnNumber);
    }
    if row.kind == "event" {
        if row.expires_at.is_some_and(|expiry| expiry <= at) {
            return Err(CodeRefusal::Expired);
        }
        if row.max_uses.is_some_and(|max| row.uses >= max) {
            return Err(CodeRefusal::UsedUp);
        }
    }
    Ok(row)
}

/// The join itself, inside the caller's write transaction `$tx` (so that an SMS join records its
/// webhook receipt and its reply in the same transaction); `$burst` is the store's
/// `burst_per_hour`. Evaluates to `Result<JoinOutcome, JoinError>`; a refused code writes nothing.
macro_rules! join_in {
    ($tx:ident, $request:expr, $own_code:expr, $burst:expr) => {
        async {
            let request: &$crate::enrollment::JoinRequest = $request;
            let own_code: &$crate::enrollment::OptInCode = $own_code;
            let burst_per_hour: Option<i64> = $burst;
            let phone = &request.phone;
            let consent = &request.consent;
            let at = $crate::store::to_millis(consent.at);
            let existing: Option<(i64, String, Option<String>)> = sqlx::query_as(
                "SELECT p.id, p.status, c.code FROM people p \
                 LEFT JOIN recruiters r ON r.person_id = p.id \
                 LEFT JOIN codes c ON c.recruiter_id = r.id AND c.kind = 'permanent' \
                 WHERE p.phone_index = $1",
            )
            .bind(phone.index.as_bytes())
            .fetch_optional(&mut *$tx)
            .await?;

            if let Some((person_id, status, code)) = existing {
                let own_code =
                    $crate::enrollment::OptInCode::parse(code.as_deref().unwrap_or_default())
                        .map_err(|_| {
                            $crate::store::StoreError::Other(anyhow::anyhow!(
                                "person {person_id} has no code"
                            ))
                        })?;
                if status == $crate::store::PersonStatus::Active.as_str() {
                    return Ok($crate::enrollment::JoinOutcome::AlreadyMember {
                        person_id,
                        own_code,
                    });
                }
                sqlx::query(
                    "UPDATE people SET status = 'active', language = $2, script = $3, \
                     consent_channel = $4, consent_version = $5, consented_at = $6, \
                     withdrawn_at = NULL WHERE id = $1",
                )
                .bind(person_id)
                .bind(consent.language.tag())
                .bind(consent.script.tag())
                .bind(&consent.channel)
                .bind(&consent.version)
                .bind(at)
                .execute(&mut *$tx)
                .await?;
                sqlx::query("DELETE FROM suppressions WHERE phone_index = $1")
                    .bind(phone.index.as_bytes())
                    .execute(&mut *$tx)
                    .await?;
                return Ok($crate::enrollment::JoinOutcome::Rejoined {
                    person_id,
                    own_code,
                });
            }

            let mut credited_to = None;
            let mut via_code = None;
            let mut area_id = None;
            if let Some(code) = &request.code {
                let row: Option<$crate::store::enrollment::CodeRow> =
                    sqlx::query_as($crate::store::enrollment::CODE_LOOKUP)
                        .bind(code.as_str())
                        .fetch_optional(&mut *$tx)
                        .await?;
                let row = $crate::store::enrollment::judge_code(row, &phone.index, at)
                    .map_err($crate::store::JoinError::Code)?;
                // A number is credited once: joining, erasing and joining again counts nothing
                // the second time.
                let before: Option<String> =
                    sqlx::query_scalar("SELECT reason FROM suppressions WHERE phone_index = $1")
                        .bind(phone.index.as_bytes())
                        .fetch_optional(&mut *$tx)
                        .await?;
                if before.as_deref() != Some("erased") {
                    sqlx::query("UPDATE codes SET uses = uses + 1 WHERE code = $1")
                        .bind(code.as_str())
                        .execute(&mut *$tx)
                        .await?;
                    credited_to = Some(row.recruiter_id);
                    via_code = Some(code.as_str());
                }
                area_id = row.area_id;
            }

            let person_id: i64 = sqlx::query_scalar(
                "INSERT INTO people (phone_index, phone_ciphertext, phone_key_id, phone_hint, \
                 language, script, status, consent_channel, consent_version, consented_at, \
                 created_at, recruited_by, via_code, area_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $9, $10, $11, $12) \
                 RETURNING id",
            )
            .bind(phone.index.as_bytes())
            .bind(&phone.ciphertext)
            .bind(&phone.key_id)
            .bind(&phone.hint)
            .bind(consent.language.tag())
            .bind(consent.script.tag())
            .bind(&consent.channel)
            .bind(&consent.version)
            .bind(at)
            .bind(credited_to)
            .bind(via_code)
            .bind(area_id)
            .fetch_one(&mut *$tx)
            .await?;
            let name = format!("Mitan {person_id}");
            let recruiter_id: i64 = sqlx::query_scalar(
                "INSERT INTO recruiters (kind, name, area_id, quota, person_id, recruited_by, \
                 created_at) VALUES ('mitan', $1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(&name)
            .bind(area_id)
            .bind(request.quota)
            .bind(person_id)
            .bind(credited_to)
            .bind(at)
            .fetch_one(&mut *$tx)
            .await?;
            sqlx::query(
                "INSERT INTO codes (code, recruiter_id, kind, created_at) \
                 VALUES ($1, $2, 'permanent', $3)",
            )
            .bind(own_code.as_str())
            .bind(recruiter_id)
            .bind(at)
            .execute(&mut *$tx)
            .await?;
            sqlx::query("DELETE FROM suppressions WHERE phone_index = $1")
                .bind(phone.index.as_bytes())
                .execute(&mut *$tx)
                .await?;
            if let (Some(threshold), Some(code), Some(owner)) =
                (burst_per_hour, via_code, credited_to)
            {
                // Flag a code once joins through it reach the threshold within an hour, and
                // again only an hour after the last flag.
                let hour_ago = at - $crate::store::enrollment::HOUR_MS;
                let joins: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM people \
                     WHERE via_code = $1 AND created_at > $2 AND created_at <= $3",
                )
                .bind(code)
                .bind(hour_ago)
                .bind(at)
                .fetch_one(&mut *$tx)
                .await?;
                let flagged: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM code_bursts WHERE code = $1 AND flagged_at > $2 LIMIT 1",
                )
                .bind(code)
                .bind(hour_ago)
                .fetch_optional(&mut *$tx)
                .await?;
                if joins >= threshold && flagged.is_none() {
                    sqlx::query(
                        "INSERT INTO code_bursts (code, recruiter_id, flagged_at, joins) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(code)
                    .bind(owner)
                    .bind(at)
                    .bind(joins)
                    .execute(&mut *$tx)
                    .await?;
                    sqlx::query(
                        "INSERT INTO audit_log (at, actor, action, target, detail) \
                         VALUES ($1, 'system', 'code.burst', $2, $3)",
                    )
                    .bind(at)
                    .bind(format!("recruiter:{owner}"))
                    .bind(format!("code {code}: {joins} joins within an hour"))
                    .execute(&mut *$tx)
                    .await?;
                }
            }
            Ok::<_, $crate::store::JoinError>($crate::enrollment::JoinOutcome::Joined {
                person_id,
                own_code: own_code.clone(),
                credited_to,
            })
        }
        .await
    };
}
pub(super) use join_in;

/// Opting out inside the caller's write transaction: the person (if active) stops, the number
/// joins the suppression list. Evaluates to `Result<bool, sqlx::Error>`: whether an active
/// person opted out.
macro_rules! opt_out_in {
    ($tx:ident, $index:expr, $at:expr) => {
        async {
            let index: &$crate::privacy::BlindIndex = $index;
            let at: i64 = $at;
            let changed = sqlx::query(
                "UPDATE people SET status = 'opted_out', withdrawn_at = $2 \
                 WHERE phone_index = $1 AND status = 'active'",
            )
            .bind(index.as_bytes())
            .bind(at)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            $crate::store::enrollment::suppress(&mut $tx, index, "opt_out", at).await?;
            // Broadcast messages planned for them are withdrawn now, not at send time, so the
            // broadcast's counts say so at once and the sealed number leaves the outbox.
            sqlx::query(
                "UPDATE outbox SET status = 'suppressed', finished_at = $2, \
                 phone_ciphertext = NULL, phone_key_id = NULL, recipient_tag = NULL, \
                 last_error = 'the recipient opted out' WHERE status = 'queued' \
                 AND kind = 'bulk' AND person_id IN (SELECT id FROM people WHERE phone_index = $1)",
            )
            .bind(index.as_bytes())
            .bind(at)
            .execute(&mut *$tx)
            .await?;
            Ok::<_, sqlx::Error>(changed == 1)
        }
        .await
    };
}
pub(super) use opt_out_in;

/// Erasing a person inside the caller's write transaction. Evaluates to
/// `Result<bool, sqlx::Error>`: whether a person with a number was erased.
macro_rules! erase_in {
    ($tx:ident, $id:expr, $at:expr) => {
        async {
            let id: i64 = $id;
            let at: i64 = $at;
            let index: Option<Option<Vec<u8>>> =
                sqlx::query_scalar("SELECT phone_index FROM people WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *$tx)
                    .await?;
            let Some(index) = index
                .flatten()
                .and_then(|bytes| $crate::privacy::BlindIndex::from_bytes(&bytes))
            else {
                return Ok(false);
            };
            sqlx::query(
                "UPDATE people SET phone_index = NULL, phone_ciphertext = NULL, \
                 phone_key_id = NULL, phone_hint = NULL, status = 'erased', erased_at = $2, \
                 withdrawn_at = COALESCE(withdrawn_at, $2) WHERE id = $1",
            )
            .bind(id)
            .bind(at)
            .execute(&mut *$tx)
            .await?;
            $crate::store::enrollment::suppress(&mut $tx, &index, "erased", at).await?;
            // Nothing queued for them goes out any more (whoever erased them: SMS, menu, admin).
            sqlx::query(
                "UPDATE outbox SET status = 'suppressed', finished_at = $2, \
                 phone_ciphertext = NULL, phone_key_id = NULL, recipient_tag = NULL, \
                 last_error = 'the recipient was erased' \
                 WHERE person_id = $1 AND status = 'queued' AND kind <> 'confirmation'",
            )
            .bind(id)
            .bind(at)
            .execute(&mut *$tx)
            .await?;
            Ok::<_, sqlx::Error>(true)
        }
        .await
    };
}
pub(super) use erase_in;

/// How many fresh codes to try before giving up (a clash is rare; many in a row means the code
/// space of that length is crowded).
const CODE_ATTEMPTS: usize = 8;

pub(super) const HOUR_MS: i64 = 3_600_000;

impl Store {
    /// Records consent and makes the person a mitan with a code of their own, crediting the
    /// owner of `request.code`. An opted-out person re-joins; an active one is left as is.
    pub async fn join(&self, request: &JoinRequest) -> Result<JoinOutcome, JoinError> {
        for attempt in 0.. {
            let own_code = OptInCode::generate(request.code_length + attempt / 3);
            match self.try_join(request, &own_code).await {
                Err(JoinError::Store(StoreError::Duplicate)) if attempt < CODE_ATTEMPTS => continue,
                other => return other,
            }
        }
        unreachable!("the loop returns")
    }

    async fn try_join(
        &self,
        request: &JoinRequest,
        own_code: &OptInCode,
    ) -> Result<JoinOutcome, JoinError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let outcome = join_in!(tx, request, own_code, self.burst_per_hour)?;
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// Whether `code` would credit its owner if this number joined now (nothing is written).
    pub async fn check_code(
        &self,
        code: &OptInCode,
        joiner: &BlindIndex,
        at: DateTime<Utc>,
    ) -> Result<Result<(), CodeRefusal>, StoreError> {
        let row: Option<CodeRow> = on_reader!(self, pool => {
            sqlx::query_as(CODE_LOOKUP)
                .bind(code.as_str())
                .fetch_optional(pool)
                .await?
        });
        Ok(judge_code(row, joiner, to_millis(at)).map(|_| ()))
    }

    /// Changes the language and script a person's texts come in.
    pub async fn set_language(
        &self,
        index: &BlindIndex,
        language: Language,
        script: Script,
    ) -> Result<bool, StoreError> {
        let changed = on_pool!(self, pool => {
            sqlx::query("UPDATE people SET language = $2, script = $3 WHERE phone_index = $1")
                .bind(index.as_bytes())
                .bind(language.tag())
                .bind(script.tag())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed == 1)
    }

    /// An area's display name.
    pub async fn area_name(&self, id: i64) -> Result<Option<String>, StoreError> {
        let name = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT name FROM areas WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(name)
    }

    /// Stops all messages to a number at once. Returns whether an active person opted out.
    pub async fn opt_out(&self, index: &BlindIndex, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let at = to_millis(at);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let changed = opt_out_in!(tx, index, at)?;
            tx.commit().await?;
            Ok(changed)
        })
    }

    /// Removes the number for good (index, ciphertext, hint); the row stays, anonymous, so that
    /// counts and the cascade do not change. The blind index goes to the suppression list.
    /// Returns whether a person with a number was erased.
    pub async fn erase_person(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let at = to_millis(at);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let erased = erase_in!(tx, id, at)?;
            tx.commit().await?;
            Ok(erased)
        })
    }

    /// Erases everyone who opted out before `cutoff` and has not come back. Returns how many.
    pub async fn erase_opted_out_before(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let ids: Vec<i64> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT id FROM people WHERE status = 'opted_out' AND withdrawn_at < $1",
            )
            .bind(to_millis(cutoff))
            .fetch_all(pool)
            .await?
        });
        let mut erased = 0;
        for id in ids {
            if self.erase_person(id, now).await? {
                erased += 1;
            }
        }
        Ok(erased)
    }

    /// Adds a recruiter with a fresh permanent code; returns its id and code.
    /// [`StoreError::Duplicate`] when another recruiter has the same phone.
    pub async fn create_recruiter(
        &self,
        new: &NewRecruiter<'_>,
    ) -> Result<(i64, OptInCode), StoreError> {
        // A phone already in use is a duplicate at once, not a code clash worth retrying.
        if let Some(phone) = new.phone {
            if self.recruiter_phone_in_use(&phone.index).await? {
                return Err(StoreError::Duplicate);
            }
        }
        for attempt in 0.. {
            let code = OptInCode::generate(new.code_length + attempt / 3);
            match self.try_create_recruiter(new, &code).await {
                Err(StoreError::Duplicate) if attempt < CODE_ATTEMPTS => continue,
                Ok(id) => return Ok((id, code)),
                Err(err) => return Err(err),
            }
        }
        unreachable!("the loop returns")
    }

    async fn try_create_recruiter(
        &self,
        new: &NewRecruiter<'_>,
        code: &OptInCode,
    ) -> Result<i64, StoreError> {
        let at = to_millis(new.at);
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO recruiters (kind, name, area_id, phone_index, phone_ciphertext, \
                 phone_key_id, phone_hint, quota, recruited_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(new.kind.tag())
            .bind(new.name)
            .bind(new.area_id)
            .bind(new.phone.map(|p| p.index.as_bytes().to_vec()))
            .bind(new.phone.map(|p| p.ciphertext.clone()))
            .bind(new.phone.map(|p| p.key_id.clone()))
            .bind(new.phone.map(|p| p.hint.clone()))
            .bind(new.quota)
            .bind(new.recruited_by)
            .bind(at)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO codes (code, recruiter_id, kind, created_at) \
                 VALUES ($1, $2, 'permanent', $3)",
            )
            .bind(code.as_str())
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(id)
        })
    }
}

/// An event code an admin issues (a training camp): owned by a recruiter, maybe expiring, maybe
/// limited in uses.
#[derive(Debug, Clone)]
pub struct NewEventCode<'a> {
    pub recruiter_id: i64,
    pub label: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    pub code_length: usize,
    pub at: DateTime<Utc>,
}

impl Store {
    pub async fn create_event_code(&self, new: &NewEventCode<'_>) -> Result<OptInCode, StoreError> {
        for attempt in 0.. {
            let code = OptInCode::generate(new.code_length + attempt / 3);
            let inserted = on_pool!(self, pool => {
                sqlx::query(
                    "INSERT INTO codes (code, recruiter_id, kind, label, expires_at, max_uses, \
                     created_at) VALUES ($1, $2, 'event', $3, $4, $5, $6)",
                )
                .bind(code.as_str())
                .bind(new.recruiter_id)
                .bind(new.label)
                .bind(new.expires_at.map(to_millis))
                .bind(new.max_uses)
                .bind(to_millis(new.at))
                .execute(pool)
                .await
                .map(|_| ())
            });
            match inserted.map_err(StoreError::from) {
                Ok(_) => return Ok(code),
                Err(StoreError::Duplicate) if attempt < CODE_ATTEMPTS => continue,
                Err(err) => return Err(err),
            }
        }
        unreachable!("the loop returns")
    }
}

pub(super) async fn suppress<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    index: &BlindIndex,
    reason: &str,
    at: i64,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'e> &'e mut DB::Connection: sqlx::Executor<'e, Database = DB>,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "INSERT INTO suppressions (phone_index, reason, at) VALUES ($1, $2, $3) \
         ON CONFLICT (phone_index) DO UPDATE SET reason = excluded.reason, at = excluded.at",
    )
    .bind(index.as_bytes().to_vec())
    .bind(reason)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
