//! Joining, opting out, erasing, and the recruiters and codes behind a join: each one
//! transaction, so a join never half-happens.

use chrono::{DateTime, Utc};

use super::recruiters::with_fresh_code;
use super::suppressions::{suppress, unsuppress};
use super::tx::{Sql, WriteTx};
use super::{on_pool, on_reader, stored, to_millis, Backend, Store, StoreError};
use crate::enrollment::{
    CodeRefusal, JoinOutcome, JoinRequest, Language, OptInCode, PersonStatus, Script,
};
use crate::privacy::BlindIndex;

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

/// A new member: the person (`$1` blind index, `$2`..`$4` sealed number, key and hint, `$5`
/// language, `$6` script, `$7` consent channel, `$8` consent version, `$9` now, `$10` the
/// recruiter credited, `$11` the code they came through, `$12` area), their recruiter entry
/// (`$13` quota) and permanent code (`$14`), and the number off the suppression list. Answers
/// the person's id.
const NEW_MEMBER_SQLITE: &str = "INSERT INTO people (phone_index, phone_ciphertext, \
     phone_key_id, phone_hint, language, script, status, consent_channel, consent_version, \
     consented_at, created_at, recruited_by, via_code, area_id) \
     VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $9, $10, $11, $12); \
     INSERT INTO recruiters (kind, name, area_id, quota, person_id, recruited_by, created_at) \
     VALUES ('mitan', 'Mitan ' || last_insert_rowid(), $12, $13, last_insert_rowid(), $10, $9); \
     INSERT INTO codes (code, recruiter_id, kind, created_at) \
     VALUES ($14, last_insert_rowid(), 'permanent', $9); \
     DELETE FROM suppressions WHERE phone_index = $1; \
     SELECT r.person_id FROM codes c JOIN recruiters r ON r.id = c.recruiter_id \
     WHERE c.code = $14";

/// [`NEW_MEMBER_SQLITE`] for PostgreSQL.
const NEW_MEMBER_POSTGRES: &str = "WITH p AS (INSERT INTO people (phone_index, \
     phone_ciphertext, phone_key_id, phone_hint, language, script, status, consent_channel, \
     consent_version, consented_at, created_at, recruited_by, via_code, area_id) \
     VALUES ($1, $2, $3, $4, $5, $6, 'active', $7, $8, $9, $9, $10, $11, $12) RETURNING id), \
     r AS (INSERT INTO recruiters (kind, name, area_id, quota, person_id, recruited_by, \
     created_at) SELECT 'mitan', 'Mitan ' || p.id, $12, $13, p.id, $10, $9 FROM p \
     RETURNING id, person_id), \
     c AS (INSERT INTO codes (code, recruiter_id, kind, created_at) \
     SELECT $14, r.id, 'permanent', $9 FROM r), \
     d AS (DELETE FROM suppressions WHERE phone_index = $1) \
     SELECT r.person_id FROM r";

/// The join itself, inside the caller's write transaction (so that an SMS join records its
/// webhook receipt and its reply in the same one); `burst_per_hour` is the store's. A refused
/// code writes nothing.
pub(super) async fn join_in(
    tx: &mut WriteTx<'_>,
    request: &JoinRequest,
    own_code: &OptInCode,
    burst_per_hour: Option<i64>,
) -> Result<JoinOutcome, JoinError> {
    let phone = &request.phone;
    let consent = &request.consent;
    let at = to_millis(consent.at);
    let existing: Option<(i64, String, Option<String>)> = tx
        .fetch_optional(
            Sql::new(
                "SELECT p.id, p.status, c.code FROM people p \
                 LEFT JOIN recruiters r ON r.person_id = p.id \
                 LEFT JOIN codes c ON c.recruiter_id = r.id AND c.kind = 'permanent' \
                 WHERE p.phone_index = $1",
            )
            .bind(phone.index.as_bytes()),
        )
        .await?;
    if let Some((person_id, status, code)) = existing {
        return rejoin(tx, request, person_id, &status, code.as_deref()).await;
    }

    let mut credited_to = None;
    let mut via_code = None;
    let mut area_id = None;
    if let Some(code) = &request.code {
        let row: Option<CodeRow> = tx
            .fetch_optional(Sql::new(CODE_LOOKUP).bind(code.as_str()))
            .await?;
        let row = judge_code(row, &phone.index, at).map_err(JoinError::Code)?;
        // A number is credited once: joining, erasing and joining again counts nothing the
        // second time.
        let before: Option<String> = tx
            .fetch_optional_value(
                Sql::new("SELECT reason FROM suppressions WHERE phone_index = $1")
                    .bind(phone.index.as_bytes()),
            )
            .await?;
        if before.as_deref() != Some("erased") {
            tx.execute(
                Sql::new("UPDATE codes SET uses = uses + 1 WHERE code = $1").bind(code.as_str()),
            )
            .await?;
            credited_to = Some(row.recruiter_id);
            via_code = Some(code.as_str());
        }
        area_id = row.area_id;
    }

    // The person, their own recruiter entry and permanent code, and their number off the
    // suppression list, in one round trip: SQLite runs the statements in turn in one call,
    // PostgreSQL as one statement of chained inserts.
    let text = match tx {
        WriteTx::Sqlite(_) | WriteTx::SqliteByText { .. } => NEW_MEMBER_SQLITE,
        WriteTx::Postgres(_) => NEW_MEMBER_POSTGRES,
    };
    let person_id: i64 = tx
        .fetch_value(
            Sql::new(text)
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
                .bind(request.quota)
                .bind(own_code.as_str()),
        )
        .await?;
    if let (Some(threshold), Some(code), Some(owner)) = (burst_per_hour, via_code, credited_to) {
        flag_burst(tx, code, owner, threshold, at).await?;
    }
    Ok(JoinOutcome::Joined {
        person_id,
        own_code: own_code.clone(),
        credited_to,
    })
}

/// Someone who joined before: an active member stays as they are, anyone else becomes active
/// again under their new consent, with the code they always had.
async fn rejoin(
    tx: &mut WriteTx<'_>,
    request: &JoinRequest,
    person_id: i64,
    status: &str,
    code: Option<&str>,
) -> Result<JoinOutcome, JoinError> {
    let own_code = OptInCode::parse(code.unwrap_or_default())
        .map_err(|_| StoreError::Other(anyhow::anyhow!("person {person_id} has no code")))?;
    if stored("person status", status, PersonStatus::from_tag)? == PersonStatus::Active {
        return Ok(JoinOutcome::AlreadyMember {
            person_id,
            own_code,
        });
    }
    let consent = &request.consent;
    tx.execute(
        Sql::new(
            "UPDATE people SET status = 'active', language = $2, script = $3, \
             consent_channel = $4, consent_version = $5, consented_at = $6, \
             withdrawn_at = NULL WHERE id = $1",
        )
        .bind(person_id)
        .bind(consent.language.tag())
        .bind(consent.script.tag())
        .bind(&consent.channel)
        .bind(&consent.version)
        .bind(to_millis(consent.at)),
    )
    .await?;
    unsuppress(tx, &request.phone.index).await?;
    Ok(JoinOutcome::Rejoined {
        person_id,
        own_code,
    })
}

/// Flags `code` once joins through it reach `threshold` within an hour (in `code_bursts` and
/// the audit log), and again only an hour after its last flag.
async fn flag_burst(
    tx: &mut WriteTx<'_>,
    code: &str,
    owner: i64,
    threshold: i64,
    at: i64,
) -> Result<(), sqlx::Error> {
    let hour_ago = at - HOUR_MS;
    let joins: i64 = tx
        .fetch_value(
            Sql::new(
                "SELECT COUNT(*) FROM people \
                 WHERE via_code = $1 AND created_at > $2 AND created_at <= $3",
            )
            .bind(code)
            .bind(hour_ago)
            .bind(at),
        )
        .await?;
    let flagged: Option<i64> = tx
        .fetch_optional_value(
            Sql::new("SELECT id FROM code_bursts WHERE code = $1 AND flagged_at > $2 LIMIT 1")
                .bind(code)
                .bind(hour_ago),
        )
        .await?;
    if joins < threshold || flagged.is_some() {
        return Ok(());
    }
    tx.execute(
        Sql::new(
            "INSERT INTO code_bursts (code, recruiter_id, flagged_at, joins) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(code)
        .bind(owner)
        .bind(at)
        .bind(joins),
    )
    .await?;
    tx.execute(
        Sql::new(
            "INSERT INTO audit_log (at, actor, action, target, detail) \
             VALUES ($1, 'system', 'code.burst', $2, $3)",
        )
        .bind(at)
        .bind(format!("recruiter:{owner}"))
        .bind(format!("code {code}: {joins} joins within an hour")),
    )
    .await?;
    Ok(())
}

/// Opting out inside the caller's write transaction: the person (if active) stops, the number
/// joins the suppression list, and the broadcast messages planned for them are withdrawn now
/// (not at send time, so the broadcast's counts say so at once and the sealed number leaves
/// the outbox). Whether an active person opted out.
pub(super) async fn opt_out_in(
    tx: &mut WriteTx<'_>,
    index: &BlindIndex,
    at: i64,
) -> Result<bool, sqlx::Error> {
    let changed = tx
        .execute(
            Sql::new(
                "UPDATE people SET status = 'opted_out', withdrawn_at = $2 \
                 WHERE phone_index = $1 AND status = 'active'",
            )
            .bind(index.as_bytes())
            .bind(at),
        )
        .await?;
    suppress(tx, index, "opt_out", at).await?;
    tx.execute(
        Sql::new(
            "UPDATE outbox SET status = 'suppressed', finished_at = $2, \
             phone_ciphertext = NULL, phone_key_id = NULL, recipient_tag = NULL, \
             last_error = 'the recipient opted out' WHERE status = 'queued' \
             AND kind = 'bulk' AND person_id IN (SELECT id FROM people WHERE phone_index = $1)",
        )
        .bind(index.as_bytes())
        .bind(at),
    )
    .await?;
    Ok(changed == 1)
}

/// Erasing a person inside the caller's write transaction: the number goes for good (its blind
/// index to the suppression list), and nothing queued for them goes out any more, whoever
/// erased them (SMS, menu, admin). Whether a person with a number was erased.
pub(super) async fn erase_in(tx: &mut WriteTx<'_>, id: i64, at: i64) -> Result<bool, sqlx::Error> {
    let index: Option<Option<Vec<u8>>> = tx
        .fetch_optional_value(Sql::new("SELECT phone_index FROM people WHERE id = $1").bind(id))
        .await?;
    let Some(index) = index
        .flatten()
        .and_then(|bytes| BlindIndex::from_bytes(&bytes))
    else {
        return Ok(false);
    };
    tx.execute(
        Sql::new(
            "UPDATE people SET phone_index = NULL, phone_ciphertext = NULL, \
             phone_key_id = NULL, phone_hint = NULL, status = 'erased', erased_at = $2, \
             withdrawn_at = COALESCE(withdrawn_at, $2) WHERE id = $1",
        )
        .bind(id)
        .bind(at),
    )
    .await?;
    suppress(tx, &index, "erased", at).await?;
    tx.execute(
        Sql::new(
            "UPDATE outbox SET status = 'suppressed', finished_at = $2, \
             phone_ciphertext = NULL, phone_key_id = NULL, recipient_tag = NULL, \
             last_error = 'the recipient was erased' \
             WHERE person_id = $1 AND status = 'queued' AND kind <> 'confirmation'",
        )
        .bind(id)
        .bind(at),
    )
    .await?;
    Ok(true)
}

pub(super) const HOUR_MS: i64 = 3_600_000;

impl Store {
    /// Records consent and makes the person a mitan with a code of their own, crediting the
    /// owner of `request.code`. An opted-out person re-joins; an active one is left as is.
    pub async fn join(&self, request: &JoinRequest) -> Result<JoinOutcome, JoinError> {
        with_fresh_code(request.code_length, |own_code| async move {
            // On SQLite with the session writes of USSD hops, in one commit.
            if let Backend::Sqlite { sessions, .. } = &self.backend {
                return sessions.join(request, own_code, self.burst_per_hour).await;
            }
            let mut tx = self.begin_write().await?;
            let outcome = join_in(&mut tx, request, &own_code, self.burst_per_hour).await?;
            tx.commit().await?;
            Ok(outcome)
        })
        .await
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
        let mut tx = self.begin_write().await?;
        let changed = opt_out_in(&mut tx, index, to_millis(at)).await?;
        tx.commit().await?;
        Ok(changed)
    }

    /// Removes the number for good (index, ciphertext, hint); the row stays, anonymous, so that
    /// counts and the cascade do not change. The blind index goes to the suppression list.
    /// Returns whether a person with a number was erased.
    pub async fn erase_person(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let erased = erase_in(&mut tx, id, to_millis(at)).await?;
        tx.commit().await?;
        Ok(erased)
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
}
