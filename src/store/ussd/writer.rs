//! SQLite's USSD session writes, group-committed: every write waiting goes in one transaction.

use sqlx::pool::PoolConnection;
use sqlx::Sqlite;
use tokio::sync::{mpsc, oneshot};

use super::super::enrollment::join_in;
use super::super::tx::{Sql, WriteTx};
use super::super::{to_millis, StoreError};
use super::cache::SessionCache;
use super::UssdSessionWrite;
use crate::enrollment::{JoinOutcome, JoinRequest, OptInCode};
use crate::store::JoinError;

/// A session write, owned so that it can wait in the SQLite writer's queue.
#[derive(Debug, Clone)]
pub(super) enum SessionOp {
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
pub(super) struct OwnedSessionWrite {
    pub(super) channel: String,
    pub(super) session_id: String,
    pub(super) state: String,
    pub(super) last_input: Option<String>,
    pub(super) last_reply: String,
    pub(super) resume_tag: Option<Vec<u8>>,
    pub(super) expires_at: i64,
    pub(super) resume_until: Option<i64>,
    pub(super) ended: bool,
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
    /// `DELETE`.
    pub(super) fn statement_of(ops: Vec<SessionOp>) -> Sql {
        let mut sql = Sql::new("");
        let text = Self::text_of(&mut sql, ops);
        sql.with_text(text)
    }

    /// The writes of many hops as statements in one text, their values bound to `sql` (SQLite
    /// runs them in turn, the parameters numbered across them): every deletion in one `DELETE`,
    /// then every save in one upsert.
    ///
    /// That is the outcome of running the hops one after another in some order, which is all
    /// that hops answered together can ask: a hop writes a save, a deletion (the aggregator
    /// ended the session), or a deletion then a save (the session ended: its row and the
    /// caller's dropped ones go, its final screen stays), and a deletion never removes a
    /// final screen another hop saves (final screens carry no resume tag, and hops of one
    /// session take turns). So the deleting hops first, then the others, each in queue order,
    /// is such an order; in it every deletion comes before every save.
    fn statements_of(sql: &mut Sql, ops: Vec<SessionOp>) -> String {
        let (saves, deletions): (Vec<_>, Vec<_>) = ops
            .into_iter()
            .partition(|op| matches!(op, SessionOp::Save(_)));
        let statements: Vec<String> = [deletions, saves]
            .into_iter()
            .filter(|run| !run.is_empty())
            .map(|run| Self::text_of(sql, run))
            .collect();
        statements.join("; ")
    }

    /// The text of one statement for writes of one kind, their values bound to `sql`.
    fn text_of(sql: &mut Sql, ops: Vec<SessionOp>) -> String {
        let saves = matches!(ops.first(), Some(SessionOp::Save(_)));
        let mut parts = Vec::with_capacity(ops.len());
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
        if saves {
            format!("{SAVE_COLUMNS}{}{SAVE_CONFLICT}", parts.join(", "))
        } else {
            format!("DELETE FROM ussd_sessions WHERE {}", parts.join(" OR "))
        }
    }
}

/// Most writes one transaction carries (9 values a save: well under SQLite's 32,766).
const MAX_BATCH: usize = 256;

/// One caller's writes, committed together: a hop's session writes, or a join.
enum Job {
    Sessions {
        ops: Vec<SessionOp>,
        done: oneshot::Sender<Result<(), StoreError>>,
    },
    Join {
        join: Box<JoinJob>,
        done: oneshot::Sender<Result<JoinOutcome, JoinError>>,
    },
}

/// A join and what it needs besides the request: the new member's code, the burst threshold.
struct JoinJob {
    request: JoinRequest,
    own_code: OptInCode,
    burst_per_hour: Option<i64>,
}

/// What a job got, to be sent once the batch is committed.
enum Answer {
    Sessions,
    Join(Result<JoinOutcome, JoinError>),
}

/// SQLite's writes of a USSD hop, group-committed: its session, and the join at its end. Every
/// hop writes its session, and on SQLite every write queues for the one writer connection, so
/// one task takes all the writes waiting, writes them in one transaction (each join's statements
/// in turn, then the sessions' deletions and saves as one statement each) and answers each hop
/// once they are committed. A batch of session writes alone, most of them, is a single call to
/// the connection's thread, `BEGIN` and `COMMIT` included.
/// Under load a hop waits for one commit instead of a queue of them; alone it waits for its own.
/// A write that fails (a join's code that clashes, a full disk) rolls the batch back, and each
/// job is written again on its own, so one cannot fail the others.
#[derive(Clone)]
pub(crate) struct SessionWriter {
    queue: mpsc::Sender<Job>,
}

/// The writer connection and the sessions it keeps in memory as it commits them.
struct Writer {
    conn: Held,
    live: SessionCache,
}

impl Writer {
    /// After a write that failed: the connection goes back to the pool, which replaces it if a
    /// failed commit left it inside a transaction, and what the database holds is read again.
    fn reset(&mut self) {
        self.conn.release();
        self.live.clear();
    }
}

impl SessionWriter {
    /// Starts the task, which keeps `live` as it commits; it ends when every clone of the
    /// writer is dropped.
    pub(in crate::store) fn start(writer: sqlx::SqlitePool, live: SessionCache) -> Self {
        let (queue, jobs) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(writer, live, jobs));
        Self { queue }
    }

    pub(super) async fn submit(&self, ops: Vec<SessionOp>) -> Result<(), StoreError> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Job::Sessions { ops, done })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Joins as [`Store::join`](crate::store::Store::join) does in its own transaction, with
    /// `own_code` for a new member.
    pub(in crate::store) async fn join(
        &self,
        request: &JoinRequest,
        own_code: OptInCode,
        burst_per_hour: Option<i64>,
    ) -> Result<JoinOutcome, JoinError> {
        let (done, answer) = oneshot::channel();
        let join = Box::new(JoinJob {
            request: request.clone(),
            own_code,
            burst_per_hour,
        });
        self.queue
            .send(Job::Join { join, done })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Other(anyhow::anyhow!("the session writer has stopped"))
}

/// Batches in a row that keep the writer connection before it goes back to the pool, so that
/// other writers (the admin API, the dispatcher) take their turn under a steady USSD load.
const TURNS_HELD: usize = 8;

async fn run(pool: sqlx::SqlitePool, live: SessionCache, mut jobs: mpsc::Receiver<Job>) {
    let mut writer = Writer {
        conn: Held::new(pool),
        live,
    };
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut turns = 0;
    loop {
        while batch.len() < MAX_BATCH {
            let Ok(job) = jobs.try_recv() else { break };
            batch.push(job);
        }
        // The connection is kept while writes keep coming: sqlx tests a pooled SQLite connection
        // with a ping when it returns, a round trip to its thread (and a task spawned to make
        // it) that the next batch would wait for.
        if batch.is_empty() || turns == TURNS_HELD {
            writer.conn.release();
            turns = 0;
            if batch.is_empty() && jobs.recv_many(&mut batch, MAX_BATCH).await == 0 {
                break;
            }
        }
        write_batch(&mut writer, &mut batch).await;
        turns += 1;
    }
}

/// The writer connection while the task holds it.
struct Held {
    pool: sqlx::SqlitePool,
    conn: Option<PoolConnection<Sqlite>>,
}

impl Held {
    fn new(pool: sqlx::SqlitePool) -> Self {
        Self { pool, conn: None }
    }

    async fn conn(&mut self) -> Result<&mut PoolConnection<Sqlite>, sqlx::Error> {
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await?,
        };
        Ok(self.conn.insert(conn))
    }

    /// Back to the pool, which lends it again only outside a transaction.
    fn release(&mut self) {
        self.conn = None;
    }
}

/// Writes the batch and answers each job; empties `batch`.
async fn write_batch(writer: &mut Writer, batch: &mut Vec<Job>) {
    let failed = match write(writer, batch).await {
        Ok(answers) => {
            for (job, answer) in batch.drain(..).zip(answers) {
                send(job, Ok(answer));
            }
            return;
        }
        Err(failed) => failed,
    };
    writer.reset();
    // The database takes no writes now: each hop learns why, none tries again alone.
    if let StoreError::Unavailable(err) = failed {
        let why = format!("{err:#}");
        for job in batch.drain(..) {
            send(job, Err(StoreError::Unavailable(anyhow::anyhow!("{why}"))));
        }
        return;
    }
    // One bad write must not fail the others: each on its own.
    for job in batch.drain(..) {
        let result = write(writer, std::slice::from_ref(&job)).await;
        if result.is_err() {
            writer.reset();
        }
        send(job, result.map(|mut answers| answers.remove(0)));
    }
}

fn send(job: Job, result: Result<Answer, StoreError>) {
    match (job, result) {
        (Job::Sessions { done, .. }, result) => {
            let _ = done.send(result.map(|_| ()));
        }
        (Job::Join { done, .. }, Ok(Answer::Join(outcome))) => {
            let _ = done.send(outcome);
        }
        (Job::Join { done, .. }, Ok(Answer::Sessions)) => {
            let _ = done.send(Err(JoinError::Store(StoreError::Other(anyhow::anyhow!(
                "a join was answered as a session write"
            )))));
        }
        (Job::Join { done, .. }, Err(err)) => {
            let _ = done.send(Err(JoinError::Store(err)));
        }
    }
}

/// Writes the jobs in one transaction: each join in turn, then the session writes
/// ([`SessionOp::statements_of`]). A join refused for its code wrote nothing and is answered
/// so; any other failure fails the whole transaction, which is rolled back.
///
/// The transaction is begun and ended in the text of its statements ([`WriteTx::SqliteByText`]):
/// a batch of session writes alone, most of them, is a single call to the connection's thread,
/// `BEGIN` and `COMMIT` included, and a batch with a join (a journey has one join and six session
/// writes) is a call for each of the join's statements and one for the sessions and `COMMIT`.
async fn write(writer: &mut Writer, jobs: &[Job]) -> Result<Vec<Answer>, StoreError> {
    let mut ops: Vec<SessionOp> = Vec::new();
    for job in jobs {
        if let Job::Sessions { ops: more, .. } = job {
            ops.extend(more.iter().cloned());
        }
    }
    let conn = writer.conn.conn().await?;
    let answers = match write_in(conn, jobs, ops.clone()).await {
        Ok(answers) => answers,
        Err(err) => {
            abandon(conn).await;
            return Err(err);
        }
    };
    writer.live.committed(&ops);
    Ok(answers)
}

async fn write_in(
    conn: &mut sqlx::SqliteConnection,
    jobs: &[Job],
    ops: Vec<SessionOp>,
) -> Result<Vec<Answer>, StoreError> {
    let mut tx = WriteTx::sqlite_by_text(conn);
    let mut answers = Vec::with_capacity(jobs.len());
    for job in jobs {
        match job {
            Job::Sessions { .. } => answers.push(Answer::Sessions),
            Job::Join { join, .. } => {
                let outcome =
                    join_in(&mut tx, &join.request, &join.own_code, join.burst_per_hour).await;
                match outcome {
                    Err(JoinError::Store(err)) => return Err(err),
                    outcome => answers.push(Answer::Join(outcome)),
                }
            }
        }
    }
    let sessions = (!ops.is_empty()).then(|| {
        let mut sql = Sql::new("");
        let text = SessionOp::statements_of(&mut sql, ops);
        sql.with_text(text)
    });
    tx.commit_with(sessions).await?;
    Ok(answers)
}

/// After a statement failed: its transaction is rolled back, unless SQLite ended it itself (a
/// full disk, say) or it never began; a connection that cannot say is not lent again.
async fn abandon(conn: &mut PoolConnection<Sqlite>) {
    if let Err(rollback) = sqlx::query("ROLLBACK").execute(&mut **conn).await {
        if !rollback.to_string().contains("no transaction is active") {
            conn.close_on_drop();
        }
    }
}
