//! Dashboard users (a password kept only as its argon2 hash) and their sessions (a cookie kept
//! only as its SHA-256), in the database so that any instance serves any session.

use chrono::{DateTime, Utc};

use super::tx::Sql;
use super::{from_millis, on_pool, on_reader, stored, to_millis, Store, StoreError};
use crate::access::Role;

/// A user to create (`mitan user create`).
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub role: Role,
    pub recruiter_id: Option<i64>,
    pub password_hash: &'a str,
    pub at: DateTime<Utc>,
}

/// A dashboard user as stored (the hash is there to check a password, never shown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub recruiter_id: Option<i64>,
    pub password_hash: String,
    /// The language the user's pages are in (`en` or `hi`).
    pub language: String,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    role: String,
    recruiter_id: Option<i64>,
    password_hash: String,
    language: String,
    created_at: i64,
    disabled_at: Option<i64>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            username: row.username,
            role: stored("user role", &row.role, Role::from_tag)?,
            recruiter_id: row.recruiter_id,
            password_hash: row.password_hash,
            language: row.language,
            created_at: from_millis(row.created_at),
            disabled_at: row.disabled_at.map(from_millis),
        })
    }
}

const USER_COLUMNS: &str =
    "id, username, role, recruiter_id, password_hash, language, created_at, disabled_at";

impl Store {
    /// Creates a user; [`StoreError::Duplicate`] when the username is taken.
    pub async fn create_user(&self, new: &NewUser<'_>) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let id = tx
            .fetch_value(
                Sql::new(
                    "INSERT INTO dashboard_users (username, role, recruiter_id, password_hash, \
                     created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(new.username)
                .bind(new.role.tag())
                .bind(new.recruiter_id)
                .bind(new.password_hash)
                .bind(to_millis(new.at)),
            )
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn user_by_name(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM dashboard_users WHERE username = $1");
        let row: Option<UserRow> = on_reader!(self, pool => {
            sqlx::query_as(&sql).bind(username).fetch_optional(pool).await?
        });
        row.map(TryInto::try_into).transpose()
    }

    /// Every user, in the order they were created.
    pub async fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        let sql = format!("SELECT {USER_COLUMNS} FROM dashboard_users ORDER BY id");
        let rows: Vec<UserRow> = on_reader!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Disables a user and ends their sessions at once; false if there is no such user.
    pub async fn disable_user(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let found = tx
            .execute(
                Sql::new(
                    "UPDATE dashboard_users SET disabled_at = COALESCE(disabled_at, $2) \
                     WHERE id = $1",
                )
                .bind(id)
                .bind(to_millis(at)),
            )
            .await?
            == 1;
        tx.execute(Sql::new("DELETE FROM dashboard_sessions WHERE user_id = $1").bind(id))
            .await?;
        tx.commit().await?;
        Ok(found)
    }

    /// The language a user's pages are shown in.
    pub async fn set_user_language(&self, id: i64, language: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE dashboard_users SET language = $2 WHERE id = $1")
                .bind(id)
                .bind(language)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Opens a session for `user_id` under the SHA-256 of its cookie, until `expires_at`.
    pub async fn open_session(
        &self,
        token_hash: &[u8; 32],
        user_id: i64,
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO dashboard_sessions (token_hash, user_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash.as_slice())
            .bind(user_id)
            .bind(to_millis(at))
            .bind(to_millis(expires_at))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The user of a live session: not expired, the user not disabled.
    pub async fn session_user(
        &self,
        token_hash: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<UserRecord>, StoreError> {
        let columns = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM dashboard_sessions s JOIN dashboard_users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL"
        );
        let row: Option<UserRow> = on_reader!(self, pool => {
            sqlx::query_as(&sql)
                .bind(token_hash.as_slice())
                .bind(to_millis(now))
                .fetch_optional(pool)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    /// Ends a session (logout).
    pub async fn close_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM dashboard_sessions WHERE token_hash = $1")
                .bind(token_hash.as_slice())
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Forgets sessions past their expiry (housekeeping); how many.
    pub async fn purge_sessions(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let purged = on_pool!(self, pool => {
            sqlx::query("DELETE FROM dashboard_sessions WHERE expires_at <= $1")
                .bind(to_millis(now))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(purged)
    }
}
