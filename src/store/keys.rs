//! Which master key the database's numbers are sealed with: the id recorded at first start, and
//! the ids found beside stored ciphertexts (a database from before the record was kept); and key
//! rotation: the keys a rotation retired, and re-keying what is stored of a number.

use chrono::{DateTime, Utc};

use super::tx::{Sql, Value, WriteTx};
use super::{on_pool, to_millis, Store, StoreError};
use crate::privacy::{Msisdn, NumberKeys, RetiredKey, SealedPhone, Vault};

/// `sealing_key`'s row: the key, and the key a running rotation replaces.
type Recorded = (String, Option<String>);
/// A `retired_keys` row: key id, sealed under, lookup keys, master (while rotating).
type RetiredRow = (String, String, Vec<u8>, Option<Vec<u8>>);

/// What the database says of the key it was sealed with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealingKey {
    /// The id recorded at first start (or by the last rotation), if any.
    pub recorded: Option<String>,
    /// While a rotation runs: the id of the key it replaces.
    pub rotating_from: Option<String>,
    /// The key ids beside stored numbers (people, recruiters, the outbox), sorted.
    pub in_use: Vec<String>,
    /// Whether anything here needs the key: a stored number or a suppressed number's index.
    pub holds_numbers: bool,
}

impl Store {
    /// Whether the database was made by mitan (it has a migration history), whatever its version.
    pub async fn is_migrated_database(&self) -> bool {
        let found: Result<i64, sqlx::Error> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(pool).await
        });
        found.is_ok_and(|count| count > 0)
    }

    pub async fn sealing_key(&self) -> Result<SealingKey, StoreError> {
        let (recorded, in_use, suppressed): (Option<Recorded>, Vec<String>, i64) = on_pool!(self, pool => {
            let recorded = sqlx::query_as("SELECT key_id, rotating_from FROM sealing_key")
                .fetch_optional(pool)
                .await?;
            let in_use = sqlx::query_scalar(
                "SELECT phone_key_id FROM people WHERE phone_key_id IS NOT NULL \
                 UNION SELECT phone_key_id FROM recruiters WHERE phone_key_id IS NOT NULL \
                 UNION SELECT phone_key_id FROM outbox WHERE phone_key_id IS NOT NULL \
                 UNION SELECT phone_key_id FROM fraud_numbers \
                 ORDER BY 1",
            )
            .fetch_all(pool)
            .await?;
            let suppressed =
                sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM suppressions LIMIT 1) s")
                    .fetch_one(pool)
                    .await?;
            (recorded, in_use, suppressed)
        });
        let (recorded, rotating_from) = recorded.unzip();
        Ok(SealingKey {
            holds_numbers: recorded.is_some() || !in_use.is_empty() || suppressed > 0,
            recorded,
            rotating_from: rotating_from.flatten(),
            in_use,
        })
    }

    /// Records `key_id` as the database's key, unless one is recorded already.
    pub async fn record_sealing_key(
        &self,
        key_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO sealing_key (one, key_id, recorded_at) VALUES (1, $1, $2) \
                 ON CONFLICT (one) DO NOTHING",
            )
            .bind(key_id)
            .bind(to_millis(at))
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

/// The tables that hold numbers sealed (ciphertext and key id), which a rotation walks through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    People,
    Recruiters,
    Outbox,
    FraudNumbers,
}

impl Holder {
    pub const ALL: [Holder; 4] = [
        Holder::People,
        Holder::Recruiters,
        Holder::Outbox,
        Holder::FraudNumbers,
    ];

    fn table(self) -> &'static str {
        match self {
            Holder::People => "people",
            Holder::Recruiters => "recruiters",
            Holder::Outbox => "outbox",
            Holder::FraudNumbers => "fraud_numbers",
        }
    }
}

/// One number moved from the keys it was stored under (`former`) to the current ones; with
/// `outbox_row`, that message is re-sealed too (a broadcast's message is found by its person, not
/// by a tag).
pub struct Rekey {
    pub former: Vec<NumberKeys>,
    pub current: NumberKeys,
    pub sealed: SealedPhone,
    pub outbox_row: Option<i64>,
}

/// Why a rotation cannot begin.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BeginError {
    #[error("the database's key is no longer {0}: another rotation began")]
    NotSealedWith(String),
}

impl Store {
    /// The keys rotations retired, sealed under the current key.
    pub async fn retired_keys(&self) -> Result<Vec<RetiredKey>, StoreError> {
        let rows: Vec<RetiredRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT key_id, sealed_under, lookup, master FROM retired_keys ORDER BY retired_at, key_id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(key_id, sealed_under, lookup, master)| RetiredKey {
                key_id,
                sealed_under,
                lookup,
                master,
            })
            .collect())
    }

    /// Begins a rotation from key `from` to key `to`, in one transaction: `retired` (the key
    /// replaced, and those retired before, all sealed under `to`) is kept, and `to` becomes the
    /// database's key, with `from` still opened until [`Store::finish_rotation`].
    pub async fn begin_rotation(
        &self,
        from: &str,
        to: &str,
        retired: &[RetiredKey],
        at: DateTime<Utc>,
    ) -> Result<Result<(), BeginError>, StoreError> {
        let mut tx = self.begin_write().await?;
        let at = to_millis(at);
        tx.execute(
            Sql::new(
                "INSERT INTO sealing_key (one, key_id, recorded_at) VALUES (1, $1, $2) \
                 ON CONFLICT (one) DO NOTHING",
            )
            .bind(from)
            .bind(at),
        )
        .await?;
        let moved = tx
            .execute(
                Sql::new(
                    "UPDATE sealing_key SET key_id = $2, rotating_from = $1, recorded_at = $3 \
                     WHERE key_id = $1 AND rotating_from IS NULL",
                )
                .bind(from)
                .bind(to)
                .bind(at),
            )
            .await?;
        if moved != 1 {
            return Ok(Err(BeginError::NotSealedWith(from.to_string())));
        }
        for key in retired {
            tx.execute(
                Sql::new(
                    "INSERT INTO retired_keys (key_id, sealed_under, lookup, master, retired_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO UPDATE SET \
                     sealed_under = excluded.sealed_under, lookup = excluded.lookup, \
                     master = excluded.master",
                )
                .bind(key.key_id.as_str())
                .bind(key.sealed_under.as_str())
                .bind(key.lookup.clone())
                .bind(key.master.clone())
                .bind(at),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// How many stored numbers are sealed under `key_id`.
    pub async fn count_sealed_under(&self, key_id: &str) -> Result<u64, StoreError> {
        // A read: on SQLite it runs beside the writer instead of taking its lock.
        let counted: Vec<(i64,)> = self.read_all(sealed_under_count(key_id)).await?;
        Ok(counted
            .first()
            .map_or(0, |(count,)| u64::try_from(*count).unwrap_or_default()))
    }

    /// Up to `limit` rows of `holder` sealed under `key_id` with an id above `after`, by id: the
    /// row's id and its ciphertext.
    pub async fn sealed_under(
        &self,
        holder: Holder,
        key_id: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<(i64, Vec<u8>)>, StoreError> {
        let sql = Sql::new(format!(
            "SELECT id, phone_ciphertext FROM {} WHERE phone_key_id = $1 AND id > $2 \
             AND phone_ciphertext IS NOT NULL ORDER BY id LIMIT $3",
            holder.table()
        ))
        .bind(key_id)
        .bind(after)
        .bind(i64::from(limit));
        Ok(self.read_all(sql).await?)
    }

    /// Moves every stored trace of each number in `numbers` (its person and recruiter rows, the
    /// suppression list, a pending consent, queued messages, a resumable USSD session) from the
    /// keys it was stored under to the current ones, in one transaction.
    pub async fn rekey(&self, numbers: &[Rekey]) -> Result<(), StoreError> {
        if numbers.iter().all(|n| n.former.is_empty()) {
            return Ok(());
        }
        let mut tx = self.begin_write().await?;
        rekey_in(&mut tx, numbers).await?;
        tx.commit().await?;
        // Sessions moved to the caller's new resume tag.
        self.forget_live_sessions();
        Ok(())
    }

    /// Before a number someone just used (a dial, an SMS, an invitation, a send) is looked up:
    /// if the vault knows keys it replaced and anything of the number is still stored under one,
    /// it is moved to the current keys, so that every lookup needs the current key alone. Costs
    /// nothing without a rotation, and a read once one has run.
    pub async fn rekey_on_contact(&self, vault: &Vault, phone: &Msisdn) -> Result<(), StoreError> {
        if !vault.has_former_keys() {
            return Ok(());
        }
        let former = vault.former_number_keys(phone);
        let mut sql = Sql::new("");
        let indexes = placeholders(&mut sql, former.iter().map(|k| k.index.as_bytes().to_vec()));
        let consents = placeholders(&mut sql, former.iter().map(|k| k.consent.to_vec()));
        let resumes = placeholders(&mut sql, former.iter().map(|k| k.resume.to_vec()));
        let reported = placeholders(&mut sql, former.iter().map(|k| k.reported.to_vec()));
        let sql = sql.with_text(format!(
            "SELECT COUNT(*) FROM (\
             SELECT 1 AS one FROM people WHERE phone_index IN ({indexes}) \
             UNION ALL SELECT 1 FROM recruiters WHERE phone_index IN ({indexes}) \
             UNION ALL SELECT 1 FROM suppressions WHERE phone_index IN ({indexes}) \
             UNION ALL SELECT 1 FROM sms_pending_consents WHERE tag IN ({consents}) \
             UNION ALL SELECT 1 FROM outbox WHERE recipient_tag IN ({consents}) \
             UNION ALL SELECT 1 FROM ussd_sessions WHERE resume_tag IN ({resumes}) \
             UNION ALL SELECT 1 FROM fraud_numbers WHERE phone_index IN ({reported})) s"
        ));
        let found: Vec<(i64,)> = self.read_all(sql).await?;
        if found.first().is_none_or(|(count,)| *count == 0) {
            return Ok(());
        }
        self.rekey(&[Rekey {
            former,
            current: vault.number_keys(phone),
            sealed: vault.seal(phone),
            outbox_row: None,
        }])
        .await
    }

    /// Ends the rotation from `from` if no stored number is sealed under it any more: the
    /// retired key keeps only its lookups. Answers how many numbers are still sealed under it
    /// (0: the rotation is over).
    pub async fn finish_rotation(&self, from: &str) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        if let WriteTx::Postgres(_) = tx {
            // Writers that began before this transaction have committed once the lock is held,
            // so the count below misses none of their rows.
            tx.execute(Sql::new(
                "LOCK TABLE people, recruiters, outbox, fraud_numbers IN SHARE MODE",
            ))
            .await?;
        }
        let remaining = count_sealed_under(&mut tx, from).await?;
        if remaining == 0 {
            tx.execute(
                Sql::new("UPDATE retired_keys SET master = NULL WHERE key_id = $1").bind(from),
            )
            .await?;
            tx.execute(
                Sql::new("UPDATE sealing_key SET rotating_from = NULL WHERE rotating_from = $1")
                    .bind(from),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(remaining)
    }
}

/// How many stored numbers are sealed under `key_id`, over every table that holds one.
fn sealed_under_count(key_id: &str) -> Sql {
    Sql::new(
        "SELECT (SELECT COUNT(*) FROM people WHERE phone_key_id = $1) \
         + (SELECT COUNT(*) FROM recruiters WHERE phone_key_id = $1) \
         + (SELECT COUNT(*) FROM outbox WHERE phone_key_id = $1) \
         + (SELECT COUNT(*) FROM fraud_numbers WHERE phone_key_id = $1)",
    )
    .bind(key_id)
}

async fn count_sealed_under(tx: &mut WriteTx<'_>, key_id: &str) -> Result<u64, sqlx::Error> {
    let count: i64 = tx.fetch_value(sealed_under_count(key_id)).await?;
    Ok(u64::try_from(count).unwrap_or_default())
}

/// Binds `values` and answers their placeholders, comma-separated.
fn placeholders(sql: &mut Sql, values: impl Iterator<Item = Vec<u8>>) -> String {
    values
        .map(|value| sql.placeholder(value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statements of [`Store::rekey`]: each reads the pairs (former key → current key) from a
/// `moved` list of VALUES, so a batch of numbers takes eleven statements, not eleven per number.
async fn rekey_in(tx: &mut WriteTx<'_>, numbers: &[Rekey]) -> Result<(), sqlx::Error> {
    let mut values = Vec::new();
    let mut rows = Vec::new();
    for number in numbers {
        for former in &number.former {
            let mut row = Vec::new();
            for value in [
                Value::from(former.index.as_bytes().to_vec()),
                Value::from(number.current.index.as_bytes().to_vec()),
                Value::from(former.consent.to_vec()),
                Value::from(number.current.consent.to_vec()),
                Value::from(former.resume.to_vec()),
                Value::from(number.current.resume.to_vec()),
                Value::from(number.sealed.ciphertext.clone()),
                Value::from(number.sealed.key_id.clone()),
                Value::Int(number.outbox_row),
                Value::from(former.reported.to_vec()),
                Value::from(number.current.reported.to_vec()),
            ] {
                values.push(value);
                row.push(format!("${}", values.len()));
            }
            rows.push(format!("({})", row.join(", ")));
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let moved = format!(
        "WITH moved (old_index, new_index, old_consent, new_consent, old_resume, new_resume, \
         ciphertext, key_id, outbox_row, old_reported, new_reported) AS (VALUES {}) ",
        rows.join(", ")
    );
    let statements = [
        "UPDATE people SET phone_index = moved.new_index, phone_ciphertext = moved.ciphertext, \
         phone_key_id = moved.key_id FROM moved WHERE people.phone_index = moved.old_index",
        "UPDATE recruiters SET phone_index = moved.new_index, \
         phone_ciphertext = moved.ciphertext, phone_key_id = moved.key_id \
         FROM moved WHERE recruiters.phone_index = moved.old_index",
        // A number on the list under both keys keeps one entry, the current one.
        "DELETE FROM suppressions WHERE phone_index IN (SELECT old_index FROM moved \
         WHERE EXISTS (SELECT 1 FROM suppressions s WHERE s.phone_index = moved.new_index))",
        "UPDATE suppressions SET phone_index = moved.new_index FROM moved \
         WHERE suppressions.phone_index = moved.old_index",
        "DELETE FROM sms_pending_consents WHERE tag IN (SELECT old_consent FROM moved \
         WHERE EXISTS (SELECT 1 FROM sms_pending_consents p WHERE p.tag = moved.new_consent))",
        "UPDATE sms_pending_consents SET tag = moved.new_consent FROM moved \
         WHERE sms_pending_consents.tag = moved.old_consent",
        "UPDATE outbox SET recipient_tag = moved.new_consent, \
         phone_ciphertext = moved.ciphertext, phone_key_id = moved.key_id \
         FROM moved WHERE outbox.recipient_tag = moved.old_consent",
        "UPDATE ussd_sessions SET resume_tag = moved.new_resume FROM moved \
         WHERE ussd_sessions.resume_tag = moved.old_resume",
        "UPDATE outbox SET phone_ciphertext = moved.ciphertext, phone_key_id = moved.key_id \
         FROM moved WHERE outbox.id = moved.outbox_row AND outbox.phone_ciphertext IS NOT NULL",
        // A reported number moves to its new index, unless another instance already counted
        // it under the new key meanwhile: then it keeps its old index (its reports are counted
        // apart) but is re-sealed all the same, so the rotation can finish.
        "UPDATE fraud_numbers SET phone_index = moved.new_reported, \
         phone_ciphertext = moved.ciphertext, phone_key_id = moved.key_id FROM moved \
         WHERE fraud_numbers.phone_index = moved.old_reported AND NOT EXISTS \
         (SELECT 1 FROM fraud_numbers f WHERE f.phone_index = moved.new_reported)",
        "UPDATE fraud_numbers SET phone_ciphertext = moved.ciphertext, \
         phone_key_id = moved.key_id FROM moved \
         WHERE fraud_numbers.phone_index = moved.old_reported",
    ];
    for statement in statements {
        tx.execute(Sql::new(format!("{moved}{statement}")).bind_all(values.iter().cloned()))
            .await?;
    }
    Ok(())
}
