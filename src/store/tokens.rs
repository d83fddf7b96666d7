//! Admin API tokens, stored only as SHA-256 hashes.

use chrono::{DateTime, Utc};

use super::NewAuditEntry;
use super::{from_millis, on_pool, stored, to_millis, Store, StoreError};
use crate::access::{
    generate_token, token_hash, Holder, IssueError, IssuedToken, Principal, Role, TokenRequest,
};

#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub role: Role,
    pub recruiter_id: Option<i64>,
    pub hash: &'a [u8; 32],
    pub at: DateTime<Utc>,
}

/// A stored token, without anything that could be used as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub recruiter_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When a request last presented it (to within [`TOKEN_USE_GRAIN`]); `None`: never.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// How stale a token's `last_used_at` may be before a request records its use again: a busy
/// token costs one write a minute, not one a request.
pub const TOKEN_USE_GRAIN: chrono::Duration = chrono::Duration::minutes(1);

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: i64,
    name: String,
    role: String,
    recruiter_id: Option<i64>,
    created_at: i64,
    revoked_at: Option<i64>,
    last_used_at: Option<i64>,
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = StoreError;

    fn try_from(row: TokenRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            name: row.name,
            role: stored("token role", &row.role, Role::from_tag)?,
            recruiter_id: row.recruiter_id,
            created_at: from_millis(row.created_at),
            revoked_at: row.revoked_at.map(from_millis),
            last_used_at: row.last_used_at.map(from_millis),
        })
    }
}

const TOKEN_COLUMNS: &str = "id, name, role, recruiter_id, created_at, revoked_at, last_used_at";

impl Store {
    /// Creates a token, stores its hash, and records `token.create` in the audit log; a request
    /// no token can be made for is refused with why.
    pub async fn issue_token(
        &self,
        request: &TokenRequest<'_>,
    ) -> Result<Result<IssuedToken, IssueError>, StoreError> {
        let name = match request.check() {
            Ok(name) => name,
            Err(refused) => return Ok(Err(refused)),
        };
        if let Some(id) = request.recruiter_id {
            if self.recruiter(id).await?.is_none() {
                return Ok(Err(IssueError::NoSuchRecruiter(id)));
            }
        }
        let token = generate_token();
        let id = self
            .insert_token(&NewToken {
                name: &name,
                role: request.role,
                recruiter_id: request.recruiter_id,
                hash: &token_hash(&token),
                at: request.at,
            })
            .await?;
        let target = format!("token:{id}");
        let detail = format!("role {}", request.role.tag());
        self.append_audit(&NewAuditEntry {
            at: request.at,
            actor: request.actor,
            action: "token.create",
            target: Some(&target),
            detail: Some(&detail),
        })
        .await?;
        Ok(Ok(IssuedToken { id, token }))
    }

    pub async fn insert_token(&self, new: &NewToken<'_>) -> Result<i64, StoreError> {
        let id = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO api_tokens (name, role, recruiter_id, token_hash, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(new.name)
            .bind(new.role.tag())
            .bind(new.recruiter_id)
            .bind(new.hash.as_slice())
            .bind(to_millis(new.at))
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// The holder of the token with this hash, unless it is unknown or revoked; its use at `at`
    /// is recorded when the last one recorded is older than [`TOKEN_USE_GRAIN`] (a failure to
    /// record it is logged, never refused: a read must not fail because writes do).
    pub async fn principal_using_token(
        &self,
        hash: &[u8; 32],
        at: DateTime<Utc>,
    ) -> Result<Option<Principal>, StoreError> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        );
        let row: Option<TokenRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(hash.as_slice()).fetch_optional(pool).await?
        });
        let Some(token) = row.map(TokenRecord::try_from).transpose()? else {
            return Ok(None);
        };
        if token
            .last_used_at
            .is_none_or(|last| at - last >= TOKEN_USE_GRAIN)
        {
            let recorded = on_pool!(self, pool => {
                sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1")
                    .bind(token.id)
                    .bind(to_millis(at))
                    .execute(pool)
                    .await
                    .map(|_| ())
            });
            if let Err(err) = recorded {
                super::log_failure("recording a token's use", &StoreError::from(err).into());
            }
        }
        Ok(Some(Principal {
            holder: Holder::Token(token.id),
            name: token.name,
            role: token.role,
            recruiter_id: token.recruiter_id,
        }))
    }

    /// Every token, newest first.
    pub async fn tokens(&self) -> Result<Vec<TokenRecord>, StoreError> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY id DESC");
        let rows: Vec<TokenRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).fetch_all(pool).await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    pub async fn token(&self, id: i64) -> Result<Option<TokenRecord>, StoreError> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1");
        let row: Option<TokenRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        row.map(TryInto::try_into).transpose()
    }

    /// Makes a token useless from now on. Returns whether a live token was revoked.
    pub async fn revoke_token(&self, id: i64, at: DateTime<Utc>) -> Result<bool, StoreError> {
        let changed = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(to_millis(at))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }
}
