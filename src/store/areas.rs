//! Areas: district → thana → village.

use super::tx::Sql;
use super::{on_pool, Store, StoreError};
use crate::enrollment::{Area, AreaKind, AreaPlan};

#[derive(sqlx::FromRow)]
struct AreaRow {
    id: i64,
    parent_id: Option<i64>,
    kind: String,
    name: String,
}

impl From<AreaRow> for Area {
    fn from(row: AreaRow) -> Self {
        Self {
            id: row.id,
            parent_id: row.parent_id,
            // The database's CHECK allows only the three kinds.
            kind: AreaKind::from_tag(&row.kind).unwrap_or(AreaKind::Village),
            name: row.name,
        }
    }
}

impl Store {
    /// Every area, in the order they were made (parents before their children).
    pub async fn areas(&self) -> Result<Vec<Area>, StoreError> {
        let rows: Vec<AreaRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, parent_id, kind, name FROM areas ORDER BY id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn area(&self, id: i64) -> Result<Option<Area>, StoreError> {
        let row: Option<AreaRow> = on_pool!(self, pool => {
            sqlx::query_as("SELECT id, parent_id, kind, name FROM areas WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Into::into))
    }

    /// Adds an area; [`StoreError::Duplicate`] when a sibling has that name.
    pub async fn create_area(
        &self,
        kind: AreaKind,
        name: &str,
        parent_id: Option<i64>,
    ) -> Result<i64, StoreError> {
        let id = on_pool!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO areas (parent_id, kind, name) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(parent_id)
            .bind(kind.tag())
            .bind(name)
            .fetch_one(pool)
            .await?
        });
        Ok(id)
    }

    /// Renames an area; returns whether it exists.
    pub async fn rename_area(&self, id: i64, name: &str) -> Result<bool, StoreError> {
        let changed = on_pool!(self, pool => {
            sqlx::query("UPDATE areas SET name = $2 WHERE id = $1")
                .bind(id)
                .bind(name)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Creates the planned areas if the database has none yet, in one transaction. Returns
    /// whether it did (another instance starting at the same moment may have done it first).
    pub async fn seed_areas(&self, plan: &AreaPlan) -> Result<bool, StoreError> {
        match self.try_seed_areas(plan).await {
            Err(StoreError::Duplicate) => Ok(false),
            other => other,
        }
    }

    async fn try_seed_areas(&self, plan: &AreaPlan) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let existing: i64 = tx
            .fetch_value(Sql::new("SELECT COUNT(*) FROM areas"))
            .await?;
        if existing > 0 {
            return Ok(false);
        }
        let insert = |parent: Option<i64>, kind: AreaKind, name: &str| {
            Sql::new("INSERT INTO areas (parent_id, kind, name) VALUES ($1, $2, $3) RETURNING id")
                .bind(parent)
                .bind(kind.tag())
                .bind(name)
        };
        for district in &plan.districts {
            let district_id: i64 = tx
                .fetch_value(insert(None, AreaKind::District, &district.name))
                .await?;
            for thana in &district.thanas {
                let thana_id: i64 = tx
                    .fetch_value(insert(Some(district_id), AreaKind::Thana, &thana.name))
                    .await?;
                for village in &thana.villages {
                    tx.execute(insert(Some(thana_id), AreaKind::Village, village))
                        .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(true)
    }
}
