//! A write transaction on whichever backend is configured, so that a body of statements that
//! must commit together is one plain `async fn` over [`WriteTx`], compiled once, instead of a
//! macro expanded per backend and per call site.
//!
//! Statements are [`Sql`] values: the query text (the same `$N` text runs on both backends) and
//! its bound [`Value`]s, turned into the backend's arguments only when run.

use std::borrow::Cow;

use sqlx::postgres::{PgArguments, PgRow};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::Arguments as _;

use super::{Backend, Store};

/// An open write transaction, on a pooled connection it owns (`'static`) or on one borrowed for
/// `'c`. Dropped without [`WriteTx::commit`], it rolls back (but see [`WriteTx::SqliteByText`]).
pub(crate) enum WriteTx<'c> {
    Sqlite(sqlx::Transaction<'c, sqlx::Sqlite>),
    /// A SQLite transaction begun and ended in the text of its statements, for the USSD writer:
    /// `BEGIN IMMEDIATE` goes with its first statement and `COMMIT` with its last
    /// ([`WriteTx::commit_with`]), two calls to the connection's thread fewer than sqlx's own
    /// transaction makes. Dropped without a commit it does not roll back: its owner does.
    SqliteByText {
        conn: &'c mut sqlx::SqliteConnection,
        begun: bool,
    },
    Postgres(sqlx::Transaction<'c, sqlx::Postgres>),
}

/// Where a [`WriteTx`]'s next statement runs.
enum Conn<'a> {
    /// With `BEGIN IMMEDIATE` before it when `begin`.
    Sqlite {
        conn: &'a mut sqlx::SqliteConnection,
        begin: bool,
    },
    Postgres(&'a mut sqlx::PgConnection),
}

impl Conn<'_> {
    /// `sql`'s text and arguments for SQLite, after `BEGIN IMMEDIATE` when `begin`.
    fn sqlite(
        sql: Sql,
        begin: bool,
    ) -> Result<(Cow<'static, str>, SqliteArguments<'static>), sqlx::Error> {
        let (text, args) = sql.sqlite()?;
        let text = if begin {
            format!("BEGIN IMMEDIATE; {text}").into()
        } else {
            text
        };
        Ok((text, args))
    }
}

/// One statement and its arguments, in order (`$1`, `$2`, …).
#[derive(Debug)]
pub(crate) struct Sql {
    text: Cow<'static, str>,
    values: Vec<Value>,
}

/// A value bound to a statement; `None` is SQL NULL of that type.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
    Bool(Option<bool>),
}

/// A row type both backends can read (`#[derive(sqlx::FromRow)]` structs and tuples).
pub(crate) trait Row:
    for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}
impl<T> Row for T where
    T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin
{
}

impl Sql {
    pub(crate) fn new(text: impl Into<Cow<'static, str>>) -> Self {
        Self {
            text: text.into(),
            values: Vec::new(),
        }
    }

    /// The next argument.
    pub(crate) fn bind(mut self, value: impl Into<Value>) -> Self {
        self.values.push(value.into());
        self
    }

    /// The next arguments, in order.
    pub(crate) fn bind_all(mut self, values: impl IntoIterator<Item = Value>) -> Self {
        self.values.extend(values);
        self
    }

    /// Adds an argument for a statement whose text is still being written; its placeholder.
    pub(crate) fn placeholder(&mut self, value: impl Into<Value>) -> String {
        self.values.push(value.into());
        format!("${}", self.values.len())
    }

    /// Sets the text once the placeholders are known.
    pub(crate) fn with_text(mut self, text: impl Into<Cow<'static, str>>) -> Self {
        self.text = text.into();
        self
    }

    /// The text and SQLite's arguments (the values move; nothing is copied).
    pub(super) fn sqlite(
        self,
    ) -> Result<(Cow<'static, str>, SqliteArguments<'static>), sqlx::Error> {
        let mut args = SqliteArguments::default();
        for value in self.values {
            match value {
                Value::Int(v) => args.add(v),
                Value::Text(v) => args.add(v),
                Value::Bytes(v) => args.add(v),
                Value::Bool(v) => args.add(v),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok((self.text, args))
    }

    /// The text and PostgreSQL's arguments.
    pub(super) fn postgres(self) -> Result<(Cow<'static, str>, PgArguments), sqlx::Error> {
        let mut args = PgArguments::default();
        for value in self.values {
            match value {
                Value::Int(v) => args.add(v),
                Value::Text(v) => args.add(v),
                Value::Bytes(v) => args.add(v),
                Value::Bool(v) => args.add(v),
            }
            .map_err(sqlx::Error::Encode)?;
        }
        Ok((self.text, args))
    }
}

impl Store {
    /// Opens a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so
    /// two writers queue for the one writer connection instead of failing when a read upgrades.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx<'static>, sqlx::Error> {
        Ok(match &self.backend {
            Backend::Sqlite { writer, .. } => {
                WriteTx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?)
            }
            Backend::Postgres(pool) => WriteTx::Postgres(pool.begin().await?),
        })
    }
}

impl Store {
    /// Runs one writing statement as a transaction of its own, and returns its rows. On
    /// PostgreSQL a statement alone is atomic, so it is sent alone: one round trip where
    /// `BEGIN`, the statement and `COMMIT` took three. SQLite takes its write lock up front, as
    /// [`Store::begin_write`] does (a statement's own lock could not wait for another writer).
    pub(crate) async fn write_alone<T: Row>(&self, sql: Sql) -> Result<Vec<T>, sqlx::Error> {
        match &self.backend {
            Backend::Sqlite { .. } => {
                let mut tx = self.begin_write().await?;
                let rows = tx.fetch_all(sql).await?;
                tx.commit().await?;
                Ok(rows)
            }
            Backend::Postgres(pool) => {
                let (text, args) = sql.postgres()?;
                sqlx::query_as_with(&text, args).fetch_all(pool).await
            }
        }
    }

    /// Runs a statement that only reads, on SQLite's reader connections (side by side with
    /// each other and with the writer) or on PostgreSQL's pool.
    pub(crate) async fn read_all<T: Row>(&self, sql: Sql) -> Result<Vec<T>, sqlx::Error> {
        match &self.backend {
            Backend::Sqlite { reader, .. } => {
                let (text, args) = sql.sqlite()?;
                sqlx::query_as_with(&text, args).fetch_all(reader).await
            }
            Backend::Postgres(pool) => {
                let (text, args) = sql.postgres()?;
                sqlx::query_as_with(&text, args).fetch_all(pool).await
            }
        }
    }
}

impl<'c> WriteTx<'c> {
    /// A transaction on `conn` begun with its first statement ([`WriteTx::SqliteByText`]).
    pub(crate) fn sqlite_by_text(conn: &'c mut sqlx::SqliteConnection) -> Self {
        WriteTx::SqliteByText { conn, begun: false }
    }
}

impl WriteTx<'_> {
    fn conn(&mut self) -> Conn<'_> {
        match self {
            WriteTx::Sqlite(tx) => Conn::Sqlite {
                conn: tx,
                begin: false,
            },
            WriteTx::SqliteByText { conn, begun } => Conn::Sqlite {
                conn,
                begin: !std::mem::replace(begun, true),
            },
            WriteTx::Postgres(tx) => Conn::Postgres(tx),
        }
    }

    /// Runs a statement; the rows it changed.
    pub(crate) async fn execute(&mut self, sql: Sql) -> Result<u64, sqlx::Error> {
        Ok(match self.conn() {
            Conn::Sqlite { conn, begin } => {
                let (text, args) = Conn::sqlite(sql, begin)?;
                sqlx::query_with(&text, args)
                    .execute(conn)
                    .await?
                    .rows_affected()
            }
            Conn::Postgres(conn) => {
                let (text, args) = sql.postgres()?;
                sqlx::query_with(&text, args)
                    .execute(conn)
                    .await?
                    .rows_affected()
            }
        })
    }

    pub(crate) async fn fetch_all<T: Row>(&mut self, sql: Sql) -> Result<Vec<T>, sqlx::Error> {
        match self.conn() {
            Conn::Sqlite { conn, begin } => {
                let (text, args) = Conn::sqlite(sql, begin)?;
                sqlx::query_as_with(&text, args).fetch_all(conn).await
            }
            Conn::Postgres(conn) => {
                let (text, args) = sql.postgres()?;
                sqlx::query_as_with(&text, args).fetch_all(conn).await
            }
        }
    }

    pub(crate) async fn fetch_optional<T: Row>(
        &mut self,
        sql: Sql,
    ) -> Result<Option<T>, sqlx::Error> {
        match self.conn() {
            Conn::Sqlite { conn, begin } => {
                let (text, args) = Conn::sqlite(sql, begin)?;
                sqlx::query_as_with(&text, args).fetch_optional(conn).await
            }
            Conn::Postgres(conn) => {
                let (text, args) = sql.postgres()?;
                sqlx::query_as_with(&text, args).fetch_optional(conn).await
            }
        }
    }

    pub(crate) async fn fetch_one<T: Row>(&mut self, sql: Sql) -> Result<T, sqlx::Error> {
        match self.conn() {
            Conn::Sqlite { conn, begin } => {
                let (text, args) = Conn::sqlite(sql, begin)?;
                sqlx::query_as_with(&text, args).fetch_one(conn).await
            }
            Conn::Postgres(conn) => {
                let (text, args) = sql.postgres()?;
                sqlx::query_as_with(&text, args).fetch_one(conn).await
            }
        }
    }

    /// The first column of the one row a statement returns (`RETURNING id`, `COUNT(*)`).
    pub(crate) async fn fetch_value<T>(&mut self, sql: Sql) -> Result<T, sqlx::Error>
    where
        (T,): Row,
    {
        let (value,) = self.fetch_one::<(T,)>(sql).await?;
        Ok(value)
    }

    /// As [`WriteTx::fetch_value`], for a statement that may return no row.
    pub(crate) async fn fetch_optional_value<T>(
        &mut self,
        sql: Sql,
    ) -> Result<Option<T>, sqlx::Error>
    where
        (T,): Row,
    {
        Ok(self
            .fetch_optional::<(T,)>(sql)
            .await?
            .map(|(value,)| value))
    }

    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.commit_with(None).await
    }

    /// Runs `last`, if any, and commits; on a transaction begun by text, in one call.
    pub(crate) async fn commit_with(mut self, last: Option<Sql>) -> Result<(), sqlx::Error> {
        let by_text = matches!(self, WriteTx::SqliteByText { .. });
        let last = match last {
            Some(sql) if !by_text => {
                self.execute(sql).await?;
                None
            }
            last => last,
        };
        match self {
            WriteTx::Sqlite(tx) => tx.commit().await,
            WriteTx::Postgres(tx) => tx.commit().await,
            WriteTx::SqliteByText { conn, begun } => {
                let (text, args) = match last {
                    Some(sql) => sql.sqlite()?,
                    None => (Cow::Borrowed(""), SqliteArguments::default()),
                };
                let text = match (begun, text.is_empty()) {
                    (false, true) => return Ok(()),
                    (false, false) => format!("BEGIN IMMEDIATE; {text}; COMMIT"),
                    (true, true) => "COMMIT".to_string(),
                    (true, false) => format!("{text}; COMMIT"),
                };
                sqlx::query_with(&text, args).execute(conn).await?;
                Ok(())
            }
        }
    }
}

/// `From` for each type a statement binds, and for its `Option` (a NULL of the same type: on
/// PostgreSQL a NULL's type matters).
macro_rules! value_from {
    ($($ty:ty => $variant:ident($convert:expr)),* $(,)?) => {
        $(
            impl From<$ty> for Value {
                fn from(value: $ty) -> Self {
                    Value::$variant(Some($convert(value)))
                }
            }
            impl From<Option<$ty>> for Value {
                fn from(value: Option<$ty>) -> Self {
                    Value::$variant(value.map($convert))
                }
            }
        )*
    };
}

value_from! {
    i64 => Int(|v| v),
    bool => Bool(|v| v),
    String => Text(|v| v),
    &str => Text(str::to_string),
    &String => Text(String::clone),
    Vec<u8> => Bytes(|v| v),
    &[u8] => Bytes(<[u8]>::to_vec),
    &Vec<u8> => Bytes(Vec::clone),
}
