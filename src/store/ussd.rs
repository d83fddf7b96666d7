//! USSD sessions: the menu state between hops.

use chrono::{DateTime, Utc};

use tokio::sync::{mpsc, oneshot};

use super::tx::{Sql, WriteTx};
use super::{on_pool, on_reader, stored, to_millis, Backend, Store, StoreError};
use crate::enrollment::PersonStatus;
use crate::enrollment::{Language, Script};
use crate::privacy::BlindIndex;

/// What a dial needs to know, in one read: the caller, if they ever joined, and their newest
/// dropped joining session still within its resume window (another session than this one).
#[derive(Debug, Clone, Default)]
pub struct DialLookup {
    pub caller: Option<KnownCaller>,
    pub resumable: Option<String>,
}

#[derive(Debug, Clone)]
pub struct KnownCaller {
    pub status: PersonStatus,
    pub language: Language,
    pub script: Script,
    pub own_code: Option<String>,
    /// Tips come by call.
    pub voice: bool,
}

#[derive(sqlx::FromRow)]
struct DialRow {
    status: Option<String>,
    language: Option<String>,
    script: Option<String>,
    own_code: Option<String>,
    medium: Option<String>,
    resumable: Option<String>,
}

/// A session as stored: live, or ended and kept until it expires to answer retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUssdSession {
    pub state: String,
    pub last_input: Option<String>,
    pub last_reply: String,
    /// The session is over and `last_reply` was its final screen.
    pub ended: bool,
}

/// What is written after a hop that continues the session.
#[derive(Debug, Clone)]
pub struct UssdSessionWrite<'a> {
    pub channel: &'a str,
    pub session_id: &'a str,
    pub state: &'a str,
    pub last_input: Option<&'a str>,
    pub last_reply: &'a str,
    /// Only while joining: lets the caller resume on their next dial.
    pub resume_tag: Option<&'a [u8]>,
    /// The session is over: `last_reply` is its final screen, kept only to answer retries.
    pub ended: bool,
    pub expires_at: DateTime<Utc>,
    pub resume_until: Option<DateTime<Utc>>,
}

impl Store {
    /// The caller of a dial and any session of theirs to resume; see [`DialLookup`].
    pub async fn dial_lookup(
        &self,
        index: &BlindIndex,
        resume_tag: &[u8],
        channel: &str,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<DialLookup, StoreError> {
        let row: DialRow = on_reader!(self, pool => {
            sqlx::query_as(
                "SELECT p.status, p.language, p.script, c.code AS own_code, p.medium, \
                 (SELECT s.state FROM ussd_sessions s WHERE s.resume_tag = $2 \
                  AND s.resume_until > $3 AND NOT (s.channel = $4 AND s.session_id = $5) \
                  ORDER BY s.expires_at DESC LIMIT 1) AS resumable \
                 FROM (SELECT 1 AS one) o \
                 LEFT JOIN people p ON p.phone_index = $1 \
                 LEFT JOIN recruiters r ON r.person_id = p.id \
                 LEFT JOIN codes c ON c.recruiter_id = r.id AND c.kind = 'permanent'",
            )
            .bind(index.as_bytes())
            .bind(resume_tag)
            .bind(to_millis(now))
            .bind(channel)
            .bind(session_id)
            .fetch_one(pool)
            .await?
        });
        let caller = match (row.status, row.language, row.script) {
            (Some(status), Some(language), Some(script)) => Some(KnownCaller {
                status: stored("person status", &status, PersonStatus::from_tag)?,
                language: stored("language", &language, Language::from_tag)?,
                script: stored("script", &script, Script::from_tag)?,
                own_code: row.own_code,
                voice: row.medium.as_deref() == Some("voice"),
            }),
            _ => None,
        };
        Ok(DialLookup {
            caller,
            resumable: row.resumable,
        })
    }

    /// The session, unless it has expired.
    pub async fn ussd_session(
        &self,
        channel: &str,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredUssdSession>, StoreError> {
        let row: Option<(String, Option<String>, String, bool)> = on_reader!(self, pool => {
            sqlx::query_as(
                "SELECT state, last_input, last_reply, ended FROM ussd_sessions \
                 WHERE channel = $1 AND session_id = $2 AND expires_at > $3",
            )
            .bind(channel)
            .bind(session_id)
            .bind(to_millis(now))
            .fetch_optional(pool)
            .await?
        });
        Ok(
            row.map(|(state, last_input, last_reply, ended)| StoredUssdSession {
                state,
                last_input,
                last_reply,
                ended,
            }),
        )
    }

    pub async fn save_ussd_session(&self, write: &UssdSessionWrite<'_>) -> Result<(), StoreError> {
        self.write_session(vec![SessionOp::Save(write.into())])
            .await
    }

    /// Ends a session: it keeps only its final screen (`write`, marked ended, with no resume
    /// tag) until it expires, and with `forget` every dropped session of the same caller goes.
    pub async fn finish_ussd_session(
        &self,
        write: &UssdSessionWrite<'_>,
        forget: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        let ending = OwnedSessionWrite {
            ended: true,
            resume_tag: None,
            resume_until: None,
            ..write.into()
        };
        self.write_session(vec![
            SessionOp::Delete {
                channel: ending.channel.clone(),
                session_id: ending.session_id.clone(),
                resume_tag: forget.map(<[u8]>::to_vec),
            },
            SessionOp::Save(ending),
        ])
        .await
    }

    /// The aggregator says a session ended: its row goes, unless the caller was in the middle of
    /// joining (kept for resuming until its window passes).
    pub async fn end_ussd_session(
        &self,
        channel: &str,
        session_id: &str,
    ) -> Result<(), StoreError> {
        self.write_session(vec![SessionOp::End {
            channel: channel.into(),
            session_id: session_id.into(),
        }])
        .await
    }

    /// Writes `ops` in order, all or none: on SQLite through the group-committing writer.
    async fn write_session(&self, ops: Vec<SessionOp>) -> Result<(), StoreError> {
        match &self.backend {
            Backend::Sqlite { sessions, .. } => sessions.submit(ops).await,
            Backend::Postgres(_) => {
                let mut tx = self.begin_write().await?;
                for op in ops {
                    tx.execute(SessionOp::statement_of(vec![op])).await?;
                }
                tx.commit().await?;
                Ok(())
            }
        }
    }

    /// Forgets every dropped session of this caller except the current one.
    pub async fn forget_resumable_ussd_sessions(
        &self,
        resume_tag: &[u8],
        channel: &str,
        current_session: &str,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "DELETE FROM ussd_sessions WHERE resume_tag = $1 \
                 AND NOT (channel = $2 AND session_id = $3)",
            )
            .bind(resume_tag)
            .bind(channel)
            .bind(current_session)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Deletes sessions that are over and past any resume window. Returns how many went.
    pub async fn purge_ussd_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let purged = on_pool!(self, pool => {
            sqlx::query(
                "DELETE FROM ussd_sessions WHERE expires_at <= $1 \
                 AND (resume_until IS NULL OR resume_until <= $1)",
            )
            .bind(to_millis(now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(purged)
    }
}

/// A session write, owned so that it can wait in the SQLite writer's queue.
#[derive(Debug, Clone)]
enum SessionOp {
    Save(OwnedSessionWrite),
    /// This session, and with a resume tag every session of the same caller.
    Delete {
        channel: String,
        session_id: String,
        resume_tag: Option<Vec<u8>>,
    },
    /// This session, unless it is kept for resuming or ended (kept to answer retries).
    End {
        channel: String,
        session_id: String,
    },
}

#[derive(Debug, Clone)]
struct OwnedSessionWrite {
    channel: String,
    session_id: String,
    state: String,
    last_input: Option<String>,
    last_reply: String,
    resume_tag: Option<Vec<u8>>,
    expires_at: i64,
    resume_until: Option<i64>,
    ended: bool,
}

impl From<&UssdSessionWrite<'_>> for OwnedSessionWrite {
    fn from(write: &UssdSessionWrite<'_>) -> Self {
        Self {
            channel: write.channel.into(),
            session_id: write.session_id.into(),
            state: write.state.into(),
            last_input: write.last_input.map(str::to_string),
            last_reply: write.last_reply.into(),
            resume_tag: write.resume_tag.map(<[u8]>::to_vec),
            expires_at: to_millis(write.expires_at),
            resume_until: write.resume_until.map(to_millis),
            ended: write.ended,
        }
    }
}

const SAVE_COLUMNS: &str = "INSERT INTO ussd_sessions (channel, session_id, state, last_input, \
     last_reply, resume_tag, expires_at, resume_until, ended) VALUES ";
const SAVE_CONFLICT: &str = " ON CONFLICT (channel, session_id) DO UPDATE SET \
     state = excluded.state, last_input = excluded.last_input, last_reply = excluded.last_reply, \
     resume_tag = excluded.resume_tag, expires_at = excluded.expires_at, \
     resume_until = excluded.resume_until, ended = excluded.ended";

impl SessionOp {
    /// One statement for writes of one kind: saves as one multi-row upsert, deletions as one
    /// `DELETE` (a batch is split into runs of one kind, so their order holds).
    fn statement_of(ops: Vec<SessionOp>) -> Sql {
        let mut sql = Sql::new("");
        let saves = matches!(ops.first(), Some(SessionOp::Save(_)));
        let mut parts = Vec::new();
        for op in ops {
            let part = match op {
                SessionOp::Save(w) => {
                    let values = [
                        sql.placeholder(w.channel),
                        sql.placeholder(w.session_id),
                        sql.placeholder(w.state),
                        sql.placeholder(w.last_input),
                        sql.placeholder(w.last_reply),
                        sql.placeholder(w.resume_tag),
                        sql.placeholder(w.expires_at),
                        sql.placeholder(w.resume_until),
                        sql.placeholder(w.ended),
                    ];
                    format!("({})", values.join(", "))
                }
                SessionOp::Delete {
                    channel,
                    session_id,
                    resume_tag,
                } => {
                    let mut term = format!(
                        "(channel = {} AND session_id = {})",
                        sql.placeholder(channel),
                        sql.placeholder(session_id)
                    );
                    if let Some(tag) = resume_tag {
                        term = format!("{term} OR resume_tag = {}", sql.placeholder(tag));
                    }
                    term
                }
                SessionOp::End {
                    channel,
                    session_id,
                } => format!(
                    "(channel = {} AND session_id = {} AND resume_tag IS NULL AND NOT ended)",
                    sql.placeholder(channel),
                    sql.placeholder(session_id)
                ),
            };
            parts.push(part);
        }
        let text = if saves {
            format!("{SAVE_COLUMNS}{}{SAVE_CONFLICT}", parts.join(", "))
        } else {
            format!("DELETE FROM ussd_sessions WHERE {}", parts.join(" OR "))
        };
        sql.with_text(text)
    }
}

/// Most writes one transaction carries (9 values a save: well under SQLite's 32,766).
const MAX_BATCH: usize = 256;

/// One caller's writes, committed together.
struct Job {
    ops: Vec<SessionOp>,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// SQLite's USSD session writes, group-committed. Every hop writes its session, and on SQLite
/// every write queues for the one writer connection, so one task takes all the writes waiting,
/// writes them in one transaction (the saves as one statement) and answers each hop once they
/// are committed. Under load a hop waits for one commit instead of a queue of them; alone it
/// waits for its own.
#[derive(Clone)]
pub(crate) struct SessionWriter {
    queue: mpsc::Sender<Job>,
}

impl SessionWriter {
    /// Starts the task; it ends when every clone of the writer is dropped.
    pub(super) fn start(writer: sqlx::SqlitePool) -> Self {
        let (queue, jobs) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(writer, jobs));
        Self { queue }
    }

    async fn submit(&self, ops: Vec<SessionOp>) -> Result<(), StoreError> {
        let (done, answer) = oneshot::channel();
        let stopped = || StoreError::Other(anyhow::anyhow!("the session writer has stopped"));
        self.queue
            .send(Job { ops, done })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(pool: sqlx::SqlitePool, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let ops: Vec<SessionOp> = batch.iter().flat_map(|job| job.ops.clone()).collect();
        match write(&pool, ops).await {
            Ok(()) => {
                for job in batch.drain(..) {
                    let _ = job.done.send(Ok(()));
                }
                continue;
            }
            // The database takes no writes now: each hop learns why, none tries again alone.
            Err(StoreError::Unavailable(err)) => {
                let why = format!("{err:#}");
                for job in batch.drain(..) {
                    let err = anyhow::anyhow!("{why}");
                    let _ = job.done.send(Err(StoreError::Unavailable(err)));
                }
                continue;
            }
            Err(_) => {}
        }
        // One bad write must not fail the others: each on its own.
        for job in batch.drain(..) {
            let result = write(&pool, job.ops.clone()).await;
            let _ = job.done.send(result);
        }
    }
}

/// Writes `ops` in order in one transaction, a statement per run of one kind.
async fn write(pool: &sqlx::SqlitePool, ops: Vec<SessionOp>) -> Result<(), StoreError> {
    let mut tx = WriteTx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?);
    let mut run: Vec<SessionOp> = Vec::new();
    for op in ops {
        let save = |op: &SessionOp| matches!(op, SessionOp::Save(_));
        if run.last().is_some_and(|last| save(last) != save(&op)) {
            tx.execute(SessionOp::statement_of(std::mem::take(&mut run)))
                .await?;
        }
        run.push(op);
    }
    if !run.is_empty() {
        tx.execute(SessionOp::statement_of(run)).await?;
    }
    tx.commit().await?;
    Ok(())
}
