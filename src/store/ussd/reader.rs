//! The two reads of a USSD hop, batched: a continuing hop loads its session, a dial looks up the
//! caller. Every hop makes one, and on SQLite each statement is a round trip to a connection's
//! thread (the largest single cost of a hop under load), so one task takes every read waiting
//! and answers each kind in one statement. Alone, a hop waits for its own read; under load, for
//! one statement instead of a queue of them. On PostgreSQL the same statements run for one hop
//! at a time.
//!
//! The task keeps two connections of its own, one for each kind of read, rather than borrowing
//! from the reader pool: sqlx tests a pooled SQLite connection on its return with a ping, one
//! more round trip to the connection's thread (and a task spawned to make it) for every batch.

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::Connection as _;
use tokio::sync::{mpsc, oneshot};

use super::super::tx::{Sql, Value};
use super::super::StoreError;
use super::{DialRow, StoredUssdSession};

/// A continuing hop's session, unless it has expired.
#[derive(Debug, Clone)]
pub(in crate::store) struct SessionKey {
    pub channel: String,
    pub session_id: String,
    pub now: i64,
}

/// A dial's caller (by blind index) and their newest dropped joining session still within its
/// resume window, other than this one.
#[derive(Debug, Clone)]
pub(in crate::store) struct DialKey {
    pub index: Vec<u8>,
    pub resume_tag: Vec<u8>,
    pub channel: String,
    pub session_id: String,
    pub now: i64,
}

/// `rows` as the rows of a `VALUES` list, each led by its place (`n`), their values bound to
/// `sql`.
fn numbered(sql: &mut Sql, rows: impl IntoIterator<Item = Vec<Value>>) -> String {
    let rows: Vec<String> = rows
        .into_iter()
        .enumerate()
        .map(|(n, row)| {
            let row: Vec<String> = std::iter::once(Value::from(n as i64))
                .chain(row)
                .map(|v| sql.placeholder(v))
                .collect();
            format!("({})", row.join(", "))
        })
        .collect();
    rows.join(", ")
}

/// The sessions of `keys`, one row per session found, numbered by its key's place (`n`).
pub(in crate::store) fn sessions_sql(keys: Vec<SessionKey>) -> Sql {
    let mut sql = Sql::new("");
    let rows = numbered(
        &mut sql,
        keys.into_iter()
            .map(|key| vec![key.channel.into(), key.session_id.into(), key.now.into()]),
    );
    sql.with_text(format!(
        "WITH asked(n, channel, session_id, now) AS (VALUES {rows}) \
         SELECT a.n, s.state, s.last_input, s.last_reply, s.ended FROM asked a \
         JOIN ussd_sessions s ON s.channel = a.channel AND s.session_id = a.session_id \
         AND s.expires_at > a.now"
    ))
}

/// The callers of `keys`, at least one row for each key, numbered by its place (`n`).
pub(in crate::store) fn dials_sql(keys: Vec<DialKey>) -> Sql {
    let mut sql = Sql::new("");
    let rows = numbered(
        &mut sql,
        keys.into_iter().map(|key| {
            vec![
                key.index.into(),
                key.resume_tag.into(),
                key.channel.into(),
                key.session_id.into(),
                key.now.into(),
            ]
        }),
    );
    sql.with_text(format!(
        "WITH asked(n, phone_index, resume_tag, channel, session_id, now) AS (VALUES {rows}) \
         SELECT a.n, p.status, p.language, p.script, c.code AS own_code, p.medium, \
         (SELECT s.state FROM ussd_sessions s WHERE s.resume_tag = a.resume_tag \
          AND s.resume_until > a.now AND NOT (s.channel = a.channel AND s.session_id = a.session_id) \
          ORDER BY s.expires_at DESC LIMIT 1) AS resumable \
         FROM asked a \
         LEFT JOIN people p ON p.phone_index = a.phone_index \
         LEFT JOIN recruiters r ON r.person_id = p.id \
         LEFT JOIN codes c ON c.recruiter_id = r.id AND c.kind = 'permanent'"
    ))
}

/// A session row with its key's place.
pub(in crate::store) type SessionRow = (i64, String, Option<String>, String, bool);

/// The answers to `keys` from the rows of [`sessions_sql`], in the keys' order.
pub(in crate::store) fn sessions_from(
    count: usize,
    rows: Vec<SessionRow>,
) -> Vec<Option<StoredUssdSession>> {
    let mut found = vec![None; count];
    for (n, state, last_input, last_reply, ended) in rows {
        if let Some(slot) = usize::try_from(n).ok().and_then(|n| found.get_mut(n)) {
            *slot = Some(StoredUssdSession {
                state,
                last_input,
                last_reply,
                ended,
            });
        }
    }
    found
}

/// The answers from the rows of [`dials_sql`], in the keys' order: the first row of each key.
pub(in crate::store) fn dials_from(count: usize, rows: Vec<DialRow>) -> Vec<DialRow> {
    let mut found: Vec<Option<DialRow>> = (0..count).map(|_| None).collect();
    for row in rows {
        if let Some(slot) = usize::try_from(row.n).ok().and_then(|n| found.get_mut(n)) {
            slot.get_or_insert(row);
        }
    }
    found.into_iter().map(Option::unwrap_or_default).collect()
}

/// Most reads one statement carries.
const MAX_BATCH: usize = 64;

/// Where an answer goes.
type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum Ask {
    Session(
        SessionKey,
        oneshot::Sender<Result<Option<StoredUssdSession>, StoreError>>,
    ),
    Dial(DialKey, Reply<DialRow>),
    /// Close the connections (the store is closing), and say so.
    Close(oneshot::Sender<()>),
}

/// SQLite's batched USSD reads; see the module's notes.
#[derive(Clone)]
pub(crate) struct SessionReader {
    queue: mpsc::Sender<Ask>,
}

impl SessionReader {
    /// Starts the task, which opens its connections to the database of `options` when first
    /// asked; it ends, closing them, when every clone of the reader is dropped.
    pub(in crate::store) fn start(options: SqliteConnectOptions) -> Self {
        let (queue, asks) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(options, asks));
        Self { queue }
    }

    pub(in crate::store) async fn session(
        &self,
        key: SessionKey,
    ) -> Result<Option<StoredUssdSession>, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.ask(Ask::Session(key, tx), rx).await
    }

    pub(in crate::store) async fn dial(&self, key: DialKey) -> Result<DialRow, StoreError> {
        let (tx, rx) = oneshot::channel();
        self.ask(Ask::Dial(key, tx), rx).await
    }

    /// Closes the reader's connections; later reads fail as a closed pool's do.
    pub(in crate::store) async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.queue.send(Ask::Close(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    async fn ask<T>(
        &self,
        ask: Ask,
        answer: oneshot::Receiver<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let stopped = || StoreError::Other(anyhow::anyhow!("the USSD reader has stopped"));
        self.queue.send(ask).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(options: SqliteConnectOptions, mut asks: mpsc::Receiver<Ask>) {
    let mut sessions_conn = Lazy::new(&options);
    let mut dials_conn = Lazy::new(&options);
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while asks.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let mut sessions = Vec::new();
        let mut dials = Vec::new();
        let mut closing = Vec::new();
        for ask in batch.drain(..) {
            match ask {
                Ask::Session(key, tx) => sessions.push((key, tx)),
                Ask::Dial(key, tx) => dials.push((key, tx)),
                Ask::Close(tx) => closing.push(tx),
            }
        }
        tokio::join!(
            answer_sessions(&mut sessions_conn, sessions),
            answer_dials(&mut dials_conn, dials)
        );
        if !closing.is_empty() {
            sessions_conn.shut().await;
            dials_conn.shut().await;
            for tx in closing {
                let _ = tx.send(());
            }
        }
    }
    sessions_conn.close().await;
    dials_conn.close().await;
}

/// A connection of the reader's own, opened when first needed and again after one that failed,
/// until the store closes it.
struct Lazy<'o> {
    options: &'o SqliteConnectOptions,
    conn: Option<SqliteConnection>,
    closed: bool,
}

impl<'o> Lazy<'o> {
    fn new(options: &'o SqliteConnectOptions) -> Self {
        Self {
            options,
            conn: None,
            closed: false,
        }
    }

    /// The rows of `sql`. A connection whose statement failed for any other reason than the
    /// statement itself is closed, so that the next batch opens a fresh one.
    async fn fetch_all<T: super::super::tx::Row>(
        &mut self,
        sql: Sql,
    ) -> Result<Vec<T>, sqlx::Error> {
        if self.closed {
            return Err(sqlx::Error::PoolClosed);
        }
        let (text, args) = sql.sqlite()?;
        let conn = match self.conn.take() {
            Some(conn) => conn,
            None => SqliteConnection::connect_with(self.options).await?,
        };
        let conn = self.conn.insert(conn);
        let rows = sqlx::query_as_with(&text, args).fetch_all(&mut *conn).await;
        if rows
            .as_ref()
            .is_err_and(|err| !matches!(err, sqlx::Error::Database(_)))
        {
            self.close().await;
        }
        rows
    }

    async fn close(&mut self) {
        if let Some(conn) = self.conn.take() {
            let _ = conn.close().await;
        }
    }

    /// Closes the connection for good.
    async fn shut(&mut self) {
        self.closed = true;
        self.close().await;
    }
}

async fn answer_sessions(
    conn: &mut Lazy<'_>,
    asks: Vec<(SessionKey, Reply<Option<StoredUssdSession>>)>,
) {
    if asks.is_empty() {
        return;
    }
    let (keys, answers): (Vec<_>, Vec<_>) = asks.into_iter().unzip();
    let count = keys.len();
    let rows = conn.fetch_all::<SessionRow>(sessions_sql(keys)).await;
    answer(answers, rows.map(|rows| sessions_from(count, rows)));
}

async fn answer_dials(conn: &mut Lazy<'_>, asks: Vec<(DialKey, Reply<DialRow>)>) {
    if asks.is_empty() {
        return;
    }
    let (keys, answers): (Vec<_>, Vec<_>) = asks.into_iter().unzip();
    let count = keys.len();
    let rows = conn.fetch_all::<DialRow>(dials_sql(keys)).await;
    answer(answers, rows.map(|rows| dials_from(count, rows)));
}

/// Each asker gets its answer; when the statement failed, each learns why.
fn answer<T>(answers: Vec<Reply<T>>, found: Result<Vec<T>, sqlx::Error>) {
    match found {
        Ok(found) => {
            for (tx, value) in answers.into_iter().zip(found) {
                let _ = tx.send(Ok(value));
            }
        }
        Err(err) => {
            let err = StoreError::from(err);
            let unavailable = matches!(err, StoreError::Unavailable(_));
            let why = format!("{err:#}");
            for tx in answers {
                let err = anyhow::anyhow!("{why}");
                let _ = tx.send(Err(if unavailable {
                    StoreError::Unavailable(err)
                } else {
                    StoreError::Other(err)
                }));
            }
        }
    }
}
