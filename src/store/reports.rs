//! Fraud-number reports: the reported number sealed under its fraud-report index, one row per
//! counted vote (day, medium, kind), and the expiring vote tags that keep one vote per reporter
//! per number. Nothing here names a reporter.

use chrono::{DateTime, NaiveDate, Utc};

use super::tx::{Sql, WriteTx};
use super::{to_millis, Store, StoreError};
use crate::privacy::SealedPhone;
use crate::reports::{Kind, Medium};

/// One report, as the store needs it: the reported number's index and sealed form, the tags of
/// the reporter's vote (under the current key first, then under keys it replaced), how long the
/// vote is remembered, and what the report says.
#[derive(Debug, Clone)]
pub struct NewFraudReport {
    pub index: [u8; 32],
    pub sealed: SealedPhone,
    pub votes: Vec<[u8; 32]>,
    pub vote_until: DateTime<Utc>,
    pub day: NaiveDate,
    pub medium: Option<Medium>,
    pub kind: Option<Kind>,
}

impl NewFraudReport {
    /// `reporter`'s report of `number` on local `day`, the vote kept until `vote_until`.
    pub fn of(
        vault: &crate::privacy::Vault,
        reporter: &crate::privacy::Msisdn,
        number: &crate::privacy::Msisdn,
        what: (Option<Medium>, Option<Kind>),
        day: NaiveDate,
        vote_until: DateTime<Utc>,
    ) -> Self {
        Self {
            index: vault.reported_index(number),
            sealed: vault.seal(number),
            votes: vault.vote_tags(reporter, number),
            vote_until,
            day,
            medium: what.0,
            kind: what.1,
        }
    }
}

/// A reported number as admins see it, once enough people reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedNumber {
    pub ciphertext: Vec<u8>,
    pub key_id: String,
    pub hint: String,
    pub reporters: i64,
    pub first_day: String,
    pub last_day: String,
    /// Reports per medium, in [`Medium::ALL`] order (reports that named none are not counted).
    pub media: [i64; 3],
    /// Reports per kind, in [`Kind::ALL`] order.
    pub kinds: [i64; 5],
}

type Tally = (
    Vec<u8>,
    String,
    String,
    i64,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

/// Records a report inside the caller's transaction. Answers whether it counted: a reporter who
/// already reported this number inside the window is not counted again (and is answered alike).
pub(crate) async fn report_in(
    tx: &mut WriteTx<'_>,
    report: &NewFraudReport,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let Some(current) = report.votes.first() else {
        return Ok(false);
    };
    let mut live = Sql::new("");
    let tags: Vec<String> = report
        .votes
        .iter()
        .map(|tag| live.placeholder(tag.to_vec()))
        .collect();
    let at = live.placeholder(to_millis(now));
    let live = live.with_text(format!(
        "SELECT COUNT(*) FROM fraud_votes WHERE tag IN ({}) AND expires_at > {at}",
        tags.join(", ")
    ));
    let voted: i64 = tx.fetch_value(live).await?;
    if voted > 0 {
        return Ok(false);
    }
    // A vote whose time is over is renewed; a live one (a concurrent copy) is left alone.
    let cast = tx
        .execute(
            Sql::new(
                "INSERT INTO fraud_votes (tag, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (tag) DO UPDATE SET expires_at = excluded.expires_at \
                 WHERE fraud_votes.expires_at <= $3",
            )
            .bind(current.as_slice())
            .bind(to_millis(report.vote_until))
            .bind(to_millis(now)),
        )
        .await?;
    if cast == 0 {
        return Ok(false);
    }
    let number: i64 = tx
        .fetch_value(
            Sql::new(
                "INSERT INTO fraud_numbers (phone_index, phone_ciphertext, phone_key_id, phone_hint) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (phone_index) DO UPDATE SET \
                 phone_hint = excluded.phone_hint RETURNING id",
            )
            .bind(report.index.as_slice())
            .bind(&report.sealed.ciphertext)
            .bind(&report.sealed.key_id)
            .bind(&report.sealed.hint),
        )
        .await?;
    tx.execute(
        Sql::new(
            "INSERT INTO fraud_reports (number_id, day, medium, kind) VALUES ($1, $2, $3, $4)",
        )
        .bind(number)
        .bind(report.day.format("%Y-%m-%d").to_string())
        .bind(report.medium.map(Medium::as_str))
        .bind(report.kind.map(Kind::as_str)),
    )
    .await?;
    Ok(true)
}

impl Store {
    /// Records a report in a transaction of its own (USSD); SMS reports go with their reply
    /// through `apply_sms`.
    pub async fn report_fraud(
        &self,
        report: &NewFraudReport,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let counted = report_in(&mut tx, report, now).await?;
        tx.commit().await?;
        Ok(counted)
    }

    /// Numbers reported by at least `reporters` people from `since` (a local day) on, most
    /// reported first.
    pub async fn reported_numbers(
        &self,
        since: NaiveDate,
        reporters: i64,
    ) -> Result<Vec<ReportedNumber>, StoreError> {
        let count = |column: &str, value: &str| {
            format!("CAST(SUM(CASE WHEN r.{column} = '{value}' THEN 1 ELSE 0 END) AS BIGINT)")
        };
        let tallies: Vec<String> = Medium::ALL
            .iter()
            .map(|m| count("medium", m.as_str()))
            .chain(Kind::ALL.iter().map(|k| count("kind", k.as_str())))
            .collect();
        let sql = Sql::new(format!(
            "SELECT n.phone_ciphertext, n.phone_key_id, n.phone_hint, COUNT(*), MIN(r.day), \
             MAX(r.day), {} FROM fraud_numbers n JOIN fraud_reports r ON r.number_id = n.id \
             WHERE r.day >= $1 GROUP BY n.id, n.phone_ciphertext, n.phone_key_id, n.phone_hint \
             HAVING COUNT(*) >= $2 ORDER BY COUNT(*) DESC, MAX(r.day) DESC, n.id",
            tallies.join(", ")
        ))
        .bind(since.format("%Y-%m-%d").to_string())
        .bind(reporters);
        let rows: Vec<Tally> = self.read_all(sql).await?;
        Ok(rows
            .into_iter()
            .map(|r| ReportedNumber {
                ciphertext: r.0,
                key_id: r.1,
                hint: r.2,
                reporters: r.3,
                first_day: r.4,
                last_day: r.5,
                media: [r.6, r.7, r.8],
                kinds: [r.9, r.10, r.11, r.12, r.13],
            })
            .collect())
    }

    /// How many numbers were reported from `since` on, and by how many reports in all (the
    /// numbers below the threshold are counted, never shown).
    pub async fn report_totals(&self, since: NaiveDate) -> Result<(i64, i64), StoreError> {
        let sql = Sql::new(
            "SELECT COUNT(DISTINCT number_id), COUNT(*) FROM fraud_reports WHERE day >= $1",
        )
        .bind(since.format("%Y-%m-%d").to_string());
        let rows: Vec<(i64, i64)> = self.read_all(sql).await?;
        Ok(rows.first().copied().unwrap_or_default())
    }

    /// Forgets reports of days before `before`, the numbers no report is left of, and votes
    /// whose time is over. Answers how many reports went.
    pub async fn forget_old_reports(
        &self,
        before: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.begin_write().await?;
        let gone = tx
            .execute(
                Sql::new("DELETE FROM fraud_reports WHERE day < $1")
                    .bind(before.format("%Y-%m-%d").to_string()),
            )
            .await?;
        tx.execute(Sql::new(
            "DELETE FROM fraud_numbers WHERE NOT EXISTS \
             (SELECT 1 FROM fraud_reports r WHERE r.number_id = fraud_numbers.id)",
        ))
        .await?;
        tx.execute(Sql::new("DELETE FROM fraud_votes WHERE expires_at <= $1").bind(to_millis(now)))
            .await?;
        tx.commit().await?;
        Ok(gone)
    }
}
