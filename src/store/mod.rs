//! The only module that holds SQL.
//!
//! One [`Store`] over either backend: SQLite (the embedded default: one file, WAL mode, busy
//! timeout) or PostgreSQL (several instances on one database). Queries are written once with
//! `$N` placeholders, which both backends accept, and run on whichever pool is configured; the
//! few statements whose dialects differ are spelled per backend. Times are stored as
//! milliseconds since the epoch, so both backends hold the same values.

mod areas;
mod audit;
mod backup;
mod broadcasts;
mod calls;
mod dashboard;
mod enrollment;
mod health;
mod keys;
mod outbox;
mod people;
mod rates;
mod recruiters;
mod reports;
mod scams;
mod sms;
mod stats;
mod suppressions;
mod tips;
mod tokens;
mod tx;
mod ussd;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, TimeZone as _, Utc};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use audit::{AuditEntry, NewAuditEntry};
pub use backup::sqlite_file;
pub use broadcasts::{
    BroadcastRecord, EstimateRows, NewBroadcast, PlanCounts, PlannedBatch, SendCounts,
};
pub use calls::CallRecord;
pub use dashboard::{NewUser, UserRecord};
pub use enrollment::JoinError;
pub use health::{log_failure, PROBE_EVERY};
pub use keys::{BeginError, Holder, Rekey, SealingKey};
pub use outbox::{ClaimedMessage, OutboxEntry, ReportApplied, SendRecord};
pub use people::{PeopleFilter, PersonRecord, PersonSummary};
pub use rates::{SharedRate, Taken};
pub use recruiters::{
    EventCodeRecord, NewEventCode, NewRecruiter, RecruiterChanges, RecruiterFilter,
    RecruiterRecord, TreeRow,
};
pub use reports::{NewFraudReport, ReportedNumber};
pub use sms::{
    Applied, Changed, NumberKeys, PendingConsent, Receipt, ReceiptKind, RecruiterCard, Replies,
    ScamChecked, SmsChange,
};
pub use stats::{Burst, DayJoins, MessagesSent};
pub use tips::TipChanges;
pub use tokens::{NewToken, TokenRecord};
pub use ussd::{DialLookup, KnownCaller, StoredUssdSession, UssdSessionWrite};

use crate::access::Scope;
use crate::config::DatabaseSettings;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Runs `$body` with `$pool` bound to the configured backend's pool. The body is compiled once per
/// backend, so the same query text serves both. On SQLite this is the single writer connection:
/// writers queue in the pool, first come first served, instead of sleeping in SQLite's busy
/// handler.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite { writer: $pool, .. } => $body,
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// As [`on_pool!`], for statements that only read: on SQLite they run on the reader connections,
/// side by side with each other and with the writer (WAL).
macro_rules! on_reader {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite { reader: $pool, .. } => $body,
            $crate::store::Backend::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_reader;

#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Joins through one code within an hour that flag a burst; `None`: no flagging.
    burst_per_hour: Option<i64>,
    /// What the write probe last found ([`Store::watch_writes`]).
    health: Arc<health::WriteHealth>,
}

/// The subtree of recruiter `$1` (bound as [`Scope::root`]) with each member's depth below it;
/// empty when `$1` is NULL. Queries say "in scope" with [`within`].
const SUBTREE: &str = "WITH RECURSIVE sub(id, depth) AS (\
     SELECT id, CAST(0 AS BIGINT) FROM recruiters WHERE id = $1 \
     UNION ALL \
     SELECT r.id, sub.depth + 1 FROM recruiters r JOIN sub ON r.recruited_by = sub.id) ";

/// The condition that `column` (a recruiter's id) is in the scope: with `SUBTREE` for a subtree,
/// none for the whole campaign, so that a count over everyone is read from an index alone (an
/// `$1 IS NULL OR …` test kept SQLite from it, and cost the overview a scan of every person).
fn within(scope: Scope, column: &str) -> String {
    match scope.root() {
        None => "1 = 1".to_string(),
        Some(_) => format!("{column} IN (SELECT id FROM sub)"),
    }
}

/// Counts people by status; use with `FROM people p`.
const STATUS_COUNTS: &str = "COUNT(CASE WHEN p.status = 'active' THEN 1 END) AS active, \
     COUNT(CASE WHEN p.status = 'opted_out' THEN 1 END) AS opted_out, \
     COUNT(CASE WHEN p.status = 'erased' THEN 1 END) AS erased";

#[derive(Clone)]
pub(crate) enum Backend {
    /// One writer connection and a pool of readers on the same file.
    Sqlite {
        reader: SqlitePool,
        writer: SqlitePool,
        /// USSD session writes, group-committed on `writer`.
        sessions: ussd::SessionWriter,
        /// USSD hops' reads, batched on connections of their own.
        reads: ussd::SessionReader,
        /// The live USSD sessions as `sessions` committed them.
        live: ussd::SessionCache,
    },
    Postgres(PgPool),
}

/// What `/readyz` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    DatabaseDown,
    /// The database answers, but the write probe failed: the disk is full, say.
    WritesFailing,
    MigrationsPending,
}

/// The longest `/readyz` waits for the database before calling it down.
const READINESS_LIMIT: Duration = Duration::from_secs(2);

/// A store error the callers can act on; everything else is [`StoreError::Other`].
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("already exists")]
    Duplicate,
    /// The database cannot serve for now (a full disk, an I/O error, a server that is down or
    /// unreachable, every connection busy): worth trying again later, not a bug.
    #[error(transparent)]
    Unavailable(anyhow::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if matches!(&err, sqlx::Error::Database(db) if db.is_unique_violation()) {
            return StoreError::Duplicate;
        }
        if is_unavailable(&err) {
            metrics::counter!("database_unavailable_total").increment(1);
            return StoreError::Unavailable(err.into());
        }
        StoreError::Other(err.into())
    }
}

/// Whether `err` means the database cannot serve for now rather than that the request was wrong:
/// SQLite's full disk, I/O, locking and read-only errors; PostgreSQL's connection, shutdown,
/// resource and I/O errors (SQLSTATE classes 08, 53, 57P, 58); a pool with no connection to lend.
fn is_unavailable(err: &sqlx::Error) -> bool {
    use sqlx::Error;
    match err {
        Error::Io(_)
        | Error::Tls(_)
        | Error::PoolTimedOut
        | Error::PoolClosed
        | Error::WorkerCrashed => true,
        Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                // Primary result codes: BUSY 5, LOCKED 6, NOMEM 7, READONLY 8, IOERR 10,
                // FULL 13, CANTOPEN 14 (extended codes keep the primary in their low byte).
                let primary = code.parse::<i32>().unwrap_or_default() & 0xff;
                return matches!(primary, 5..=8 | 10 | 13 | 14);
            }
            ["08", "53", "57P", "58"]
                .iter()
                .any(|class| code.starts_with(class))
        }
        _ => false,
    }
}

impl StoreError {
    /// Whether this error, or any error in `err`'s cause chain, is [`StoreError::Unavailable`].
    pub fn is_unavailable_in(err: &anyhow::Error) -> bool {
        err.chain().any(|cause| {
            matches!(
                cause.downcast_ref::<StoreError>(),
                Some(StoreError::Unavailable(_))
            ) || cause
                .downcast_ref::<sqlx::Error>()
                .is_some_and(is_unavailable)
        })
    }
}

/// Lends a pooled connection only outside a transaction. A write whose commit failed can leave
/// sqlx believing a transaction is still open on the connection (SQLite rolled it back itself,
/// so sqlx's own ROLLBACK failed); such a connection is closed and replaced, instead of failing
/// every later write with "begin at non-zero transaction depth".
fn outside_transaction<C: sqlx::Connection>(
    conn: &mut C,
    _: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    let fresh = !conn.is_in_transaction();
    Box::pin(async move { Ok(fresh) })
}

/// How long a PostgreSQL connection may sit idle in the pool and still be lent without a ping.
const PING_AFTER_IDLE: Duration = Duration::from_secs(10);

/// Lends a PostgreSQL connection outside a transaction ([`outside_transaction`]), pinging it
/// first only when it has sat idle for [`PING_AFTER_IDLE`]: one that was just used is alive, and
/// a ping before every acquire was a round trip per statement (the dispatcher's claim, record
/// and suppression check each paid one). One that fails its ping is closed and another lent.
fn fresh_postgres(
    conn: &mut sqlx::PgConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool, sqlx::Error>> + Send + '_>> {
    use sqlx::Connection as _;
    Box::pin(async move {
        if conn.is_in_transaction() {
            return Ok(false);
        }
        if meta.idle_for < PING_AFTER_IDLE {
            return Ok(true);
        }
        Ok(conn.ping().await.is_ok())
    })
}

impl Store {
    /// Opens the database named by `settings.url`, creating an SQLite file and its folder if
    /// needed. Does not migrate.
    pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<Self> {
        let url = &settings.url;
        let acquire = Duration::from_secs(settings.connect_timeout_secs);
        let backend = if url.is_postgres() {
            let options = PgConnectOptions::from_str(url.expose())
                .with_context(|| format!("database.url: cannot read {url}"))?;
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections.max(1))
                .acquire_timeout(acquire)
                .test_before_acquire(false)
                .before_acquire(fresh_postgres)
                .connect_with(options)
                .await
                .with_context(|| format!("database: cannot connect to {url}"))?;
            Backend::Postgres(pool)
        } else {
            let options = SqliteConnectOptions::from_str(url.expose())
                .with_context(|| format!("database.url: cannot read {url}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_millis(settings.busy_timeout_ms))
                // Deleted and erased content is overwritten, not left in free pages.
                .pragma("secure_delete", "ON")
                .foreign_keys(true);
            let file = options.get_filename().to_owned();
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("database: cannot create the data folder {}", dir.display())
                })?;
            }
            // An SQLite connection is a file handle: it cannot drop like a network connection,
            // so it is not pinged before each use (a round trip to its worker thread per
            // statement, the largest single cost of a USSD hop).
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .before_acquire(outside_transaction)
                .acquire_timeout(acquire)
                .connect_with(options.clone())
                .await
                .with_context(|| format!("database: cannot open {url}"))?;
            let reader = SqlitePoolOptions::new()
                .max_connections(settings.max_connections.max(1))
                .test_before_acquire(false)
                .before_acquire(outside_transaction)
                .acquire_timeout(acquire)
                .connect_with(options.clone())
                .await
                .with_context(|| format!("database: cannot open {url}"))?;
            let live = ussd::SessionCache::default();
            let sessions = ussd::SessionWriter::start(writer.clone(), live.clone());
            let reads = ussd::SessionReader::start(options);
            Backend::Sqlite {
                reader,
                writer,
                sessions,
                reads,
                live,
            }
        };
        Ok(Self {
            backend,
            burst_per_hour: None,
            health: Arc::default(),
        })
    }

    /// Flags a code once joins through it reach `per_hour` within an hour (in `code_bursts` and
    /// the audit log). The joins still count.
    pub fn flag_join_bursts(mut self, per_hour: u32) -> Self {
        self.burst_per_hour = Some(i64::from(per_hour.max(1)));
        self
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Applies every migration not yet applied. Safe to run from several instances at once.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => SQLITE_MIGRATIONS.run(writer).await,
            Backend::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .context("database: applying migrations")
    }

    /// Whether the database answers within [`READINESS_LIMIT`], every migration this binary
    /// knows is applied, and the last write probe could write.
    pub async fn readiness(&self) -> Readiness {
        match tokio::time::timeout(READINESS_LIMIT, self.answers_and_is_migrated()).await {
            Ok(Readiness::Ready) if !self.health.writable() => Readiness::WritesFailing,
            Ok(readiness) => readiness,
            Err(_) => Readiness::DatabaseDown,
        }
    }

    async fn answers_and_is_migrated(&self) -> Readiness {
        let expected = match &self.backend {
            Backend::Sqlite { .. } => &SQLITE_MIGRATIONS,
            Backend::Postgres(_) => &POSTGRES_MIGRATIONS,
        }
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .count() as i64;
        let applied: Result<i64, sqlx::Error> = on_pool!(self, pool => {
            if let Err(err) = sqlx::query("SELECT 1").execute(pool).await {
                tracing::debug!(error = %err, "database does not answer");
                return Readiness::DatabaseDown;
            }
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE",
            )
            .fetch_one(pool)
            .await
        });
        match applied {
            Ok(count) if count >= expected => Readiness::Ready,
            _ => Readiness::MigrationsPending,
        }
    }

    /// Moves SQLite's write-ahead log into the database and empties it, so that content already
    /// overwritten (erased numbers, purged sessions) leaves the disk too. Nothing to do on
    /// PostgreSQL.
    pub async fn compact(&self) -> Result<(), StoreError> {
        if let Backend::Sqlite { writer: pool, .. } = &self.backend {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Closes every connection, waiting for statements in flight.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite {
                reader,
                writer,
                reads,
                ..
            } => {
                reads.close().await;
                reader.close().await;
                writer.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// A value the database holds, read back into its type; one the code does not know (written by a
/// newer version, or by hand) is an error naming it, never a silent default.
pub(crate) fn stored<T>(
    what: &str,
    value: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(value).ok_or_else(|| {
        StoreError::Other(anyhow::anyhow!("unknown {what} {value:?} in the database"))
    })
}

pub(crate) fn to_millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The three columns of [`STATUS_COUNTS`].
#[derive(sqlx::FromRow)]
struct StatusRow {
    active: i64,
    opted_out: i64,
    erased: i64,
}

impl From<StatusRow> for crate::enrollment::figures::StatusCounts {
    fn from(row: StatusRow) -> Self {
        Self {
            active: row.active,
            opted_out: row.opted_out,
            erased: row.erased,
        }
    }
}
