//! Reading recruiters, their figures, the recruitment tree under one of them, and event codes.

use chrono::{DateTime, Utc};

use super::tx::{Sql, WriteTx};
use super::{
    from_millis, on_pool, to_millis, within, JoinError, Scope, StatusRow, Store, StoreError,
    STATUS_COUNTS, SUBTREE,
};
use crate::enrollment::figures::{RecruiterFigures, StatusCounts};
use crate::enrollment::{OptInCode, RecruiterKind};
use crate::privacy::{BlindIndex, SealedPhone};

/// A stored recruiter. Their phone, if any, is shown only by its hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecruiterRecord {
    pub id: i64,
    pub kind: RecruiterKind,
    pub name: String,
    pub area_id: Option<i64>,
    pub phone_hint: Option<String>,
    pub quota: i64,
    pub recruited_by: Option<i64>,
    /// The person behind a mitan's entry.
    pub person_id: Option<i64>,
    /// The permanent opt-in code.
    pub code: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RecruiterRow {
    id: i64,
    kind: String,
    name: String,
    area_id: Option<i64>,
    phone_hint: Option<String>,
    quota: i64,
    recruited_by: Option<i64>,
    person_id: Option<i64>,
    created_at: i64,
    code: Option<String>,
    #[sqlx(flatten)]
    direct: StatusRow,
}

impl RecruiterRow {
    fn split(self) -> (RecruiterRecord, StatusCounts) {
        let record = RecruiterRecord {
            id: self.id,
            // The database's CHECK allows only the known kinds.
            kind: RecruiterKind::from_tag(&self.kind).unwrap_or(RecruiterKind::Mitan),
            name: self.name,
            area_id: self.area_id,
            phone_hint: self.phone_hint,
            quota: self.quota,
            recruited_by: self.recruited_by,
            person_id: self.person_id,
            code: self.code,
            created_at: from_millis(self.created_at),
        };
        (record, self.direct.into())
    }
}

/// The recruiters a list shows, a page at a time (by id).
#[derive(Debug, Clone)]
pub struct RecruiterFilter<'a> {
    pub scope: Scope,
    pub kind: Option<RecruiterKind>,
    pub area_id: Option<i64>,
    pub name_contains: Option<&'a str>,
    /// Leave out mitans of a village (other than the scope's root); see
    /// [`crate::access::Principal::sees_individually`].
    pub without_village_mitans: bool,
    pub after: i64,
    pub limit: i64,
}

/// What an admin may change about a recruiter. `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct RecruiterChanges<'a> {
    pub name: Option<&'a str>,
    /// `Some(None)` takes the recruiter out of any area.
    pub area_id: Option<Option<i64>>,
    pub quota: Option<i64>,
}

/// One recruiter of a tree, with its place in it and its direct recruits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeRow {
    pub recruiter: RecruiterRecord,
    pub depth: i64,
    pub direct: StatusCounts,
}

/// An event code (a training camp).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventCodeRecord {
    pub code: String,
    pub recruiter_id: i64,
    pub label: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct EventCodeRow {
    code: String,
    recruiter_id: i64,
    label: Option<String>,
    expires_at: Option<i64>,
    max_uses: Option<i64>,
    uses: i64,
    created_at: i64,
}

const RECRUITER_COLUMNS: &str = "r.id, r.kind, r.name, r.area_id, r.phone_hint, r.quota, \
     r.recruited_by, r.person_id, r.created_at, c.code";

/// Recruiters (`r`) with their direct recruits counted: `prefix` (a CTE) first, `extra` columns
/// beside the recruiter's, `filter` in WHERE, `tail` after GROUP BY.
struct RecruitersSql<'a> {
    prefix: &'a str,
    from: &'a str,
    extra: &'a str,
    filter: &'a str,
    tail: &'a str,
}

impl RecruitersSql<'_> {
    fn text(&self) -> String {
        let Self {
            prefix,
            from,
            extra,
            filter,
            tail,
        } = self;
        format!(
            "{prefix}SELECT {RECRUITER_COLUMNS}{extra}, {STATUS_COUNTS} FROM {from} \
             LEFT JOIN codes c ON c.recruiter_id = r.id AND c.kind = 'permanent' \
             LEFT JOIN people p ON p.recruited_by = r.id \
             WHERE {filter} GROUP BY {RECRUITER_COLUMNS}{extra} {tail}"
        )
    }
}

const ONE_RECRUITER: RecruitersSql<'static> = RecruitersSql {
    prefix: "",
    from: "recruiters r",
    extra: "",
    filter: "r.id = $1",
    tail: "",
};

impl Store {
    pub async fn recruiter(&self, id: i64) -> Result<Option<RecruiterRecord>, StoreError> {
        let sql = ONE_RECRUITER.text();
        let row: Option<RecruiterRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(|row| row.split().0))
    }

    /// A page of recruiters in `filter.scope`, by id, each with its direct recruits counted.
    pub async fn recruiters(
        &self,
        filter: &RecruiterFilter<'_>,
    ) -> Result<Vec<(RecruiterRecord, StatusCounts)>, StoreError> {
        // The page is chosen first and only its recruiters' people are counted: grouping every
        // recruiter before the LIMIT made a page of 50 cost a count over the whole campaign.
        let page = format!(
            "(SELECT * FROM recruiters r \
             WHERE {} AND ($2 IS NULL OR r.kind = $2) \
             AND ($3 IS NULL OR r.area_id = $3) AND ($4 IS NULL OR LOWER(r.name) LIKE $4) \
             AND r.id > $5 AND NOT ($7 AND r.kind = 'mitan' AND r.id <> COALESCE($1, 0) \
                 AND EXISTS (SELECT 1 FROM areas a WHERE a.id = r.area_id AND a.kind = 'village')) \
             ORDER BY r.id LIMIT $6) r",
            within(filter.scope, "r.id")
        );
        let sql = RecruitersSql {
            prefix: SUBTREE,
            from: &page,
            filter: "1 = 1",
            tail: "ORDER BY r.id",
            ..ONE_RECRUITER
        }
        .text();
        let pattern = filter
            .name_contains
            .map(|text| format!("%{}%", text.to_lowercase()));
        let rows: Vec<RecruiterRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(filter.scope.root())
                .bind(filter.kind.map(RecruiterKind::tag))
                .bind(filter.area_id)
                .bind(pattern.as_deref())
                .bind(filter.after)
                .bind(filter.limit)
                .bind(filter.without_village_mitans)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(RecruiterRow::split).collect())
    }

    /// Whether `id` is within `scope` (and exists).
    pub async fn in_scope(&self, scope: Scope, id: i64) -> Result<bool, StoreError> {
        let sql = format!(
            "{SUBTREE}SELECT 1 FROM recruiters r WHERE r.id = $2 AND {}",
            within(scope, "r.id")
        );
        let found: Option<i32> = on_pool!(self, pool => {
            sqlx::query_scalar(&sql)
                .bind(scope.root())
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// A recruiter's direct recruits and the reach of the cascade below them.
    pub async fn recruiter_figures(&self, id: i64) -> Result<RecruiterFigures, StoreError> {
        #[derive(sqlx::FromRow)]
        struct SubtreeRow {
            #[sqlx(flatten)]
            counts: StatusRow,
            depth: i64,
            recruiters: i64,
        }
        let direct_sql = format!("SELECT {STATUS_COUNTS} FROM people p WHERE p.recruited_by = $1");
        let subtree_sql = format!(
            "{SUBTREE}SELECT {STATUS_COUNTS}, \
             COALESCE(MAX(sub.depth) + 1, 0) AS depth, \
             (SELECT COUNT(*) - 1 FROM sub) AS recruiters \
             FROM people p JOIN sub ON p.recruited_by = sub.id"
        );
        let (direct, subtree): (StatusRow, SubtreeRow) = on_pool!(self, pool => {
            let direct = sqlx::query_as(&direct_sql).bind(id).fetch_one(pool).await?;
            let subtree = sqlx::query_as(&subtree_sql).bind(id).fetch_one(pool).await?;
            (direct, subtree)
        });
        Ok(RecruiterFigures {
            direct: direct.into(),
            subtree: subtree.counts.into(),
            subtree_recruiters: subtree.recruiters.max(0),
            depth: subtree.depth,
        })
    }

    /// The recruiters under `root`, down to `max_depth` generations, parents before children:
    /// the nearest `limit` of them (`root` counted), generation by generation.
    pub async fn recruiter_tree(
        &self,
        root: i64,
        max_depth: i64,
        limit: i64,
    ) -> Result<Vec<TreeRow>, StoreError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            #[sqlx(flatten)]
            recruiter: RecruiterRow,
            depth: i64,
        }
        let prefix = "WITH RECURSIVE sub(id, depth) AS (\
             SELECT id, CAST(0 AS BIGINT) FROM recruiters WHERE id = $1 \
             UNION ALL \
             SELECT r.id, sub.depth + 1 FROM recruiters r JOIN sub ON r.recruited_by = sub.id \
             WHERE sub.depth < $2) ";
        let sql = RecruitersSql {
            prefix,
            // The nearest `limit` (root included) are chosen before their people are counted.
            from: "(SELECT id, depth FROM sub ORDER BY depth, id LIMIT $3) sub \
                   JOIN recruiters r ON r.id = sub.id",
            extra: ", sub.depth",
            filter: "1 = 1",
            tail: "ORDER BY sub.depth, r.id",
        }
        .text();
        let rows: Vec<Row> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(root)
                .bind(max_depth)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| {
                let (recruiter, direct) = row.recruiter.split();
                TreeRow {
                    recruiter,
                    depth: row.depth,
                    direct,
                }
            })
            .collect())
    }

    /// Changes a recruiter; returns whether it exists.
    pub async fn update_recruiter(
        &self,
        id: i64,
        changes: &RecruiterChanges<'_>,
    ) -> Result<bool, StoreError> {
        let changed = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE recruiters SET name = COALESCE($2, name), quota = COALESCE($3, quota), \
                 area_id = CASE WHEN $4 THEN $5 ELSE area_id END WHERE id = $1",
            )
            .bind(id)
            .bind(changes.name)
            .bind(changes.quota)
            .bind(changes.area_id.is_some())
            .bind(changes.area_id.flatten())
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Makes recruiter `recruiter_id`'s event code `code` expire at `at`, unless it expires
    /// earlier already; returns whether it changed.
    pub async fn expire_event_code(
        &self,
        recruiter_id: i64,
        code: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let changed = on_pool!(self, pool => {
            sqlx::query(
                "UPDATE codes SET expires_at = $3 WHERE code = $1 AND recruiter_id = $2 \
                 AND kind = 'event' AND (expires_at IS NULL OR expires_at > $3)",
            )
            .bind(code)
            .bind(recruiter_id)
            .bind(to_millis(at))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Whether a recruiter already has this phone.
    pub async fn recruiter_phone_in_use(&self, index: &BlindIndex) -> Result<bool, StoreError> {
        let found: Option<i32> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT 1 FROM recruiters WHERE phone_index = $1")
                .bind(index.as_bytes())
                .fetch_optional(pool)
                .await?
        });
        Ok(found.is_some())
    }

    /// Event codes of recruiters in `scope` (of one owner when given), newest first.
    pub async fn event_codes(
        &self,
        scope: Scope,
        owner: Option<i64>,
    ) -> Result<Vec<EventCodeRecord>, StoreError> {
        // Conditions only where they apply, so that one owner's codes are found by index
        // rather than by reading every recruiter's code.
        let owned = if owner.is_some() {
            "recruiter_id = $2"
        } else {
            "$2 IS NULL"
        };
        let sql = format!(
            "{SUBTREE}SELECT code, recruiter_id, label, expires_at, max_uses, uses, created_at \
             FROM codes WHERE kind = 'event' AND {} AND {owned} \
             ORDER BY created_at DESC, code",
            within(scope, "recruiter_id")
        );
        let rows: Vec<EventCodeRow> = on_pool!(self, pool => {
            sqlx::query_as(&sql)
                .bind(scope.root())
                .bind(owner)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(EventCodeRow::record).collect())
    }

    /// The event code `code`, whoever's it is (`mitan cards --event-code`).
    pub async fn event_code(&self, code: &str) -> Result<Option<EventCodeRecord>, StoreError> {
        let row: Option<EventCodeRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT code, recruiter_id, label, expires_at, max_uses, uses, created_at \
                 FROM codes WHERE kind = 'event' AND code = $1",
            )
            .bind(code)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(EventCodeRow::record))
    }
}

impl EventCodeRow {
    fn record(self) -> EventCodeRecord {
        EventCodeRecord {
            code: self.code,
            recruiter_id: self.recruiter_id,
            label: self.label,
            expires_at: self.expires_at.map(from_millis),
            max_uses: self.max_uses,
            uses: self.uses,
            created_at: from_millis(self.created_at),
        }
    }
}

/// A recruiter an admin adds (a mitan's entry is made by [`Store::join`]).
#[derive(Debug, Clone)]
pub struct NewRecruiter<'a> {
    pub kind: RecruiterKind,
    pub name: &'a str,
    pub area_id: Option<i64>,
    pub phone: Option<&'a SealedPhone>,
    pub quota: i64,
    pub recruited_by: Option<i64>,
    pub code_length: usize,
    pub at: DateTime<Utc>,
}
/// What a new code is: a recruiter's (or mitan's) own, or an event code with its label,
/// expiry and use limit.
pub(super) enum NewCode<'a> {
    Permanent,
    Event {
        label: &'a str,
        expires_at: Option<i64>,
        max_uses: Option<i64>,
    },
}
/// The one place rows enter `codes`. A clash with a code in use is a unique violation, which
/// [`with_fresh_code`] answers with another code.
pub(super) async fn insert_code(
    tx: &mut WriteTx<'_>,
    code: &OptInCode,
    recruiter_id: i64,
    new: &NewCode<'_>,
    at: i64,
) -> Result<(), sqlx::Error> {
    let (kind, label, expires_at, max_uses) = match new {
        NewCode::Permanent => ("permanent", None, None, None),
        NewCode::Event {
            label,
            expires_at,
            max_uses,
        } => ("event", Some(*label), *expires_at, *max_uses),
    };
    tx.execute(
        Sql::new(
            "INSERT INTO codes (code, recruiter_id, kind, label, expires_at, max_uses, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(code.as_str())
        .bind(recruiter_id)
        .bind(kind)
        .bind(label)
        .bind(expires_at)
        .bind(max_uses)
        .bind(at),
    )
    .await?;
    Ok(())
}
/// An error that may be a fresh code clashing with one in use.
pub(super) trait MaybeClash {
    fn is_clash(&self) -> bool;
}
impl MaybeClash for StoreError {
    fn is_clash(&self) -> bool {
        matches!(self, StoreError::Duplicate)
    }
}
impl MaybeClash for JoinError {
    fn is_clash(&self) -> bool {
        matches!(self, JoinError::Store(StoreError::Duplicate))
    }
}
/// Runs `write` with a fresh code of `length` digits, and again with another while it clashes
/// with a code in use (rare; after every third clash the codes get a digit longer, as many in a
/// row mean that length is crowded). The one place codes are drawn.
pub(super) async fn with_fresh_code<T, E, F, Fut>(length: usize, mut write: F) -> Result<T, E>
where
    E: MaybeClash,
    F: FnMut(OptInCode) -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    let mut attempt = 0;
    loop {
        match write(OptInCode::generate(length + attempt / 3)).await {
            Err(err) if err.is_clash() && attempt < CODE_ATTEMPTS => attempt += 1,
            done => return done,
        }
    }
}
/// How many fresh codes to try before giving up (a clash is rare; many in a row means the code
/// space of that length is crowded).
const CODE_ATTEMPTS: usize = 8;
/// An event code an admin issues (a training camp): owned by a recruiter, maybe expiring, maybe
/// limited in uses.
#[derive(Debug, Clone)]
pub struct NewEventCode<'a> {
    pub recruiter_id: i64,
    pub label: &'a str,
    pub expires_at: Option<DateTime<Utc>>,
    pub max_uses: Option<i64>,
    pub code_length: usize,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Adds a recruiter with a fresh permanent code; returns its id and code.
    /// [`StoreError::Duplicate`] when another recruiter has the same phone.
    pub async fn create_recruiter(
        &self,
        new: &NewRecruiter<'_>,
    ) -> Result<(i64, OptInCode), StoreError> {
        // A phone already in use is a duplicate at once, not a code clash worth retrying.
        if let Some(phone) = new.phone {
            if self.recruiter_phone_in_use(&phone.index).await? {
                return Err(StoreError::Duplicate);
            }
        }
        with_fresh_code(new.code_length, |code| async move {
            let id = self.try_create_recruiter(new, &code).await?;
            Ok((id, code))
        })
        .await
    }

    async fn try_create_recruiter(
        &self,
        new: &NewRecruiter<'_>,
        code: &OptInCode,
    ) -> Result<i64, StoreError> {
        let at = to_millis(new.at);
        let mut tx = self.begin_write().await?;
        let id: i64 = tx
            .fetch_value(
                Sql::new(
                    "INSERT INTO recruiters (kind, name, area_id, phone_index, phone_ciphertext, \
                     phone_key_id, phone_hint, quota, recruited_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
                )
                .bind(new.kind.tag())
                .bind(new.name)
                .bind(new.area_id)
                .bind(new.phone.map(|p| p.index.as_bytes()))
                .bind(new.phone.map(|p| &p.ciphertext))
                .bind(new.phone.map(|p| &p.key_id))
                .bind(new.phone.map(|p| &p.hint))
                .bind(new.quota)
                .bind(new.recruited_by)
                .bind(at),
            )
            .await?;
        insert_code(&mut tx, code, id, &NewCode::Permanent, at).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn create_event_code(&self, new: &NewEventCode<'_>) -> Result<OptInCode, StoreError> {
        let event = NewCode::Event {
            label: new.label,
            expires_at: new.expires_at.map(to_millis),
            max_uses: new.max_uses,
        };
        with_fresh_code(new.code_length, |code| {
            let event = &event;
            async move {
                let mut tx = self.begin_write().await?;
                insert_code(&mut tx, &code, new.recruiter_id, event, to_millis(new.at)).await?;
                tx.commit().await?;
                Ok(code)
            }
        })
        .await
    }
}
