//! The suppression list: numbers (by blind index) that must not be messaged, because they
//! opted out, were erased, or the network says they refuse messages. A number leaves the list
//! only when its owner joins again.

use chrono::{DateTime, Utc};

use super::tx::{Sql, WriteTx};
use super::{on_pool, to_millis, Store, StoreError};
use crate::privacy::BlindIndex;

/// Puts a number on the suppression list (or changes why it is there).
pub(super) async fn suppress(
    tx: &mut WriteTx<'_>,
    index: &BlindIndex,
    reason: &str,
    at: i64,
) -> Result<(), sqlx::Error> {
    tx.execute(
        Sql::new(
            "INSERT INTO suppressions (phone_index, reason, at) VALUES ($1, $2, $3) \
             ON CONFLICT (phone_index) DO UPDATE SET reason = excluded.reason, at = excluded.at",
        )
        .bind(index.as_bytes())
        .bind(reason)
        .bind(at),
    )
    .await?;
    Ok(())
}

/// Takes a number off the suppression list: its owner joined (again).
pub(super) async fn unsuppress(
    tx: &mut WriteTx<'_>,
    index: &BlindIndex,
) -> Result<(), sqlx::Error> {
    tx.execute(Sql::new("DELETE FROM suppressions WHERE phone_index = $1").bind(index.as_bytes()))
        .await?;
    Ok(())
}

impl Store {
    /// Adds a number to the suppression list (an aggregator says it refuses messages).
    pub async fn suppress(
        &self,
        index: &BlindIndex,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        suppress(&mut tx, index, reason, to_millis(now)).await?;
        tx.commit().await?;
        Ok(())
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

    /// Which of `indexes` must not be messaged, in order: [`Store::is_suppressed`] for several
    /// numbers in one query (the dispatcher checks each batch it claims at once).
    pub async fn suppressed_among(&self, indexes: &[&BlindIndex]) -> Result<Vec<bool>, StoreError> {
        if indexes.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("");
        let listed = indexes
            .iter()
            .map(|index| sql.placeholder(index.as_bytes()))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = sql.with_text(format!(
            "SELECT phone_index FROM suppressions WHERE phone_index IN ({listed})"
        ));
        let found: Vec<(Vec<u8>,)> = self.read_all(sql).await?;
        Ok(indexes
            .iter()
            .map(|index| found.iter().any(|(bytes,)| bytes == index.as_bytes()))
            .collect())
    }
}
