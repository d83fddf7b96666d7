//! USSD sessions: the menu state between hops.

use chrono::{DateTime, Utc};

use super::{on_pool, stored, to_millis, Backend, Store, StoreError};
use crate::enrollment::PersonStatus;
use crate::enrollment::{Language, Script};
use crate::privacy::BlindIndex;

mod cache;
mod reader;
mod writer;

pub(crate) use cache::SessionCache;
pub(crate) use reader::SessionReader;
use reader::{DialKey, SessionKey};
pub(crate) use writer::SessionWriter;
use writer::{OwnedSessionWrite, SessionOp};

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

#[derive(sqlx::FromRow, Default)]
pub(in crate::store) struct DialRow {
    /// The place of its key in a batch ([`reader::dials_sql`]).
    n: i64,
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
        let key = DialKey {
            index: index.as_bytes().to_vec(),
            resume_tag: resume_tag.to_vec(),
            channel: channel.into(),
            session_id: session_id.into(),
            now: to_millis(now),
        };
        let row = match &self.backend {
            Backend::Sqlite { reads, .. } => reads.dial(key).await?,
            Backend::Postgres(_) => {
                let rows = self.read_all(reader::dials_sql(vec![key])).await?;
                reader::dials_from(1, rows).pop().unwrap_or_default()
            }
        };
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
        let key = SessionKey {
            channel: channel.into(),
            session_id: session_id.into(),
            now: to_millis(now),
        };
        match &self.backend {
            Backend::Sqlite { reads, live, .. } => {
                match live.get(&key.channel, &key.session_id, key.now) {
                    Some(held) => Ok(Some(held)),
                    None => reads.session(key).await,
                }
            }
            Backend::Postgres(_) => {
                let rows = self.read_all(reader::sessions_sql(vec![key])).await?;
                Ok(reader::sessions_from(1, rows).pop().flatten())
            }
        }
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
        self.forget_live_sessions();
        Ok(())
    }

    /// After sessions were deleted or changed other than through the USSD writer: the sessions
    /// SQLite's writer keeps in memory are read again ([`SessionCache`]).
    pub(super) fn forget_live_sessions(&self) {
        if let Backend::Sqlite { live, .. } = &self.backend {
            live.clear();
        }
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
