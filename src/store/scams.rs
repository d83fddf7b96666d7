//! The scam check's figures: checks per local day and fraud kind (`none` included), summed over
//! areas. Nothing of a message or its sender is kept.

use chrono::NaiveDate;

use super::tx::Sql;
use super::{Store, StoreError};

impl Store {
    /// Checks per day and kind from `from` to `to` (both included), by day then kind.
    pub async fn scam_check_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let sql = Sql::new(
            "SELECT day, category, CAST(SUM(checks) AS BIGINT) FROM scam_checks \
             WHERE day >= $1 AND day <= $2 GROUP BY day, category ORDER BY day, category",
        )
        .bind(from.format("%Y-%m-%d").to_string())
        .bind(to.format("%Y-%m-%d").to_string());
        Ok(self.read_all(sql).await?)
    }
}
