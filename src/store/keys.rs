//! Which master key the database's numbers are sealed with: the id recorded at first start, and
//! the ids found beside stored ciphertexts (a database from before the record was kept).

use chrono::{DateTime, Utc};

use super::{on_pool, to_millis, Store, StoreError};

/// What the database says of the key it was sealed with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SealingKey {
    /// The id recorded at first start, if any.
    pub recorded: Option<String>,
    /// The key ids beside stored numbers (people, recruiters, the outbox), sorted.
    pub in_use: Vec<String>,
    /// Whether anything here needs the key: a stored number or a suppressed number's index.
    pub holds_numbers: bool,
}

impl Store {
    pub async fn sealing_key(&self) -> Result<SealingKey, StoreError> {
        let (recorded, in_use, suppressed): (Option<String>, Vec<String>, i64) = on_pool!(self, pool => {
            let recorded = sqlx::query_scalar("SELECT key_id FROM sealing_key")
                .fetch_optional(pool)
                .await?;
            let in_use = sqlx::query_scalar(
                "SELECT phone_key_id FROM people WHERE phone_key_id IS NOT NULL \
                 UNION SELECT phone_key_id FROM recruiters WHERE phone_key_id IS NOT NULL \
                 UNION SELECT phone_key_id FROM outbox WHERE phone_key_id IS NOT NULL \
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
        Ok(SealingKey {
            holds_numbers: recorded.is_some() || !in_use.is_empty() || suppressed > 0,
            recorded,
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
