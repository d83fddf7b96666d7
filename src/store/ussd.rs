//! USSD sessions: the menu state between hops.

use chrono::{DateTime, Utc};

use super::{on_pool, on_reader, to_millis, Store, StoreError};

/// A live session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredUssdSession {
    pub state: String,
    pub last_input: Option<String>,
    pub last_reply: String,
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
    pub expires_at: DateTime<Utc>,
    pub resume_until: Option<DateTime<Utc>>,
}

impl Store {
    /// The session, unless it has expired.
    pub async fn ussd_session(
        &self,
        channel: &str,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StoredUssdSession>, StoreError> {
        let row: Option<(String, Option<String>, String)> = on_reader!(self, pool => {
            sqlx::query_as(
                "SELECT state, last_input, last_reply FROM ussd_sessions \
                 WHERE channel = $1 AND session_id = $2 AND expires_at > $3",
            )
            .bind(channel)
            .bind(session_id)
            .bind(to_millis(now))
            .fetch_optional(pool)
            .await?
        });
        Ok(
            row.map(|(state, last_input, last_reply)| StoredUssdSession {
                state,
                last_input,
                last_reply,
            }),
        )
    }

    pub async fn save_ussd_session(&self, write: &UssdSessionWrite<'_>) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO ussd_sessions (channel, session_id, state, last_input, last_reply, \
                 resume_tag, expires_at, resume_until) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (channel, session_id) DO UPDATE SET state = excluded.state, \
                 last_input = excluded.last_input, last_reply = excluded.last_reply, \
                 resume_tag = excluded.resume_tag, expires_at = excluded.expires_at, \
                 resume_until = excluded.resume_until",
            )
            .bind(write.channel)
            .bind(write.session_id)
            .bind(write.state)
            .bind(write.last_input)
            .bind(write.last_reply)
            .bind(write.resume_tag)
            .bind(to_millis(write.expires_at))
            .bind(write.resume_until.map(to_millis))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Ends a session: its row goes.
    pub async fn delete_ussd_session(
        &self,
        channel: &str,
        session_id: &str,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM ussd_sessions WHERE channel = $1 AND session_id = $2")
                .bind(channel)
                .bind(session_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The aggregator says a session ended: its row goes, unless the caller was in the middle of
    /// joining (kept for resuming until its window passes).
    pub async fn end_ussd_session(
        &self,
        channel: &str,
        session_id: &str,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "DELETE FROM ussd_sessions WHERE channel = $1 AND session_id = $2 \
                 AND resume_tag IS NULL",
            )
            .bind(channel)
            .bind(session_id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The newest dropped joining session of this caller, still within its resume window, other
    /// than the session they are in now.
    pub async fn resumable_ussd_session(
        &self,
        resume_tag: &[u8],
        channel: &str,
        current_session: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, StoreError> {
        let state = on_reader!(self, pool => {
            sqlx::query_scalar(
                "SELECT state FROM ussd_sessions WHERE resume_tag = $1 AND resume_until > $2 \
                 AND NOT (channel = $3 AND session_id = $4) ORDER BY expires_at DESC LIMIT 1",
            )
            .bind(resume_tag)
            .bind(to_millis(now))
            .bind(channel)
            .bind(current_session)
            .fetch_optional(pool)
            .await?
        });
        Ok(state)
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
