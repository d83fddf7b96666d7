//! The tip library: tips and their texts, saved whole in one transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::tx::{Sql, WriteTx};
use super::{on_reader, to_millis, Store, StoreError};
use crate::broadcasts::TextKey;
use crate::encoding::{Encoding, TextCost};
use crate::enrollment::{Language, Script};
use crate::tips::{NewTip, StoredTip, TipText};

#[derive(sqlx::FromRow)]
struct TipRow {
    id: i64,
    slug: Option<String>,
    category: String,
    position: i64,
    active: bool,
}

#[derive(sqlx::FromRow)]
struct TextRow {
    tip_id: i64,
    language: String,
    script: String,
    body: String,
    template_id: Option<String>,
    encoding: String,
    parts: i64,
}

pub(crate) fn encoding_tag(encoding: Encoding) -> &'static str {
    match encoding {
        Encoding::Gsm7 => "gsm7",
        Encoding::Ucs2 => "ucs2",
    }
}

fn encoding_from_tag(tag: &str) -> Encoding {
    if tag == "gsm7" {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

impl TextRow {
    fn into_text(self) -> Option<(i64, TipText)> {
        let key = TextKey::new(
            Language::from_tag(&self.language)?,
            Script::from_tag(&self.script)?,
        );
        let encoding = encoding_from_tag(&self.encoding);
        let cost = TextCost {
            encoding,
            units: crate::encoding::sms_cost(&self.body).units,
            parts: self.parts as usize,
        };
        Some((
            self.tip_id,
            TipText {
                key,
                body: self.body,
                template_id: self.template_id,
                cost,
            },
        ))
    }
}

/// Writes `texts` of tip `id` inside the caller's transaction: each replaces the tip's text of
/// its language and script, others stay.
async fn upsert_texts(
    tx: &mut WriteTx<'_>,
    id: i64,
    texts: &[TipText],
    at: i64,
) -> Result<(), sqlx::Error> {
    for text in texts {
        tx.execute(
            Sql::new(
                "INSERT INTO tip_texts (tip_id, language, script, body, template_id, \
                 encoding, parts, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                 ON CONFLICT (tip_id, language, script) DO UPDATE SET \
                 body = excluded.body, template_id = excluded.template_id, \
                 encoding = excluded.encoding, parts = excluded.parts, \
                 updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(text.key.language.tag())
            .bind(text.key.script.tag())
            .bind(&text.body)
            .bind(text.template_id.as_deref())
            .bind(encoding_tag(text.cost.encoding))
            .bind(text.cost.parts as i64)
            .bind(at),
        )
        .await?;
    }
    Ok(())
}

/// What an admin changes in a tip; `None` keeps a field, texts given replace theirs.
#[derive(Debug, Clone, Default)]
pub struct TipChanges<'a> {
    pub category: Option<&'a str>,
    pub order: Option<i64>,
    pub active: Option<bool>,
    pub texts: &'a [TipText],
}

const TIP_SELECT: &str = "SELECT id, slug, category, position, active FROM tips";
const TEXT_SELECT: &str =
    "SELECT tip_id, language, script, body, template_id, encoding, parts FROM tip_texts";

impl Store {
    /// Saves a tip and its texts. A tip with a slug that exists already is updated: its
    /// category, order and active flag replaced, each given text replaced, other texts kept.
    pub async fn save_tip(&self, tip: &NewTip, at: DateTime<Utc>) -> Result<i64, StoreError> {
        let at = to_millis(at);
        let mut tx = self.begin_write().await?;
        let id: i64 = tx
            .fetch_value(
                Sql::new(
                    "INSERT INTO tips (slug, category, position, active, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) \
                     ON CONFLICT (slug) DO UPDATE SET category = excluded.category, \
                     position = excluded.position, active = excluded.active, \
                     updated_at = excluded.updated_at \
                     RETURNING id",
                )
                .bind(tip.slug.as_deref())
                .bind(tip.category.as_str())
                .bind(tip.order)
                .bind(tip.active)
                .bind(at),
            )
            .await?;
        upsert_texts(&mut tx, id, &tip.texts, at).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Changes a tip; false if there is none with this id.
    pub async fn update_tip(
        &self,
        id: i64,
        changes: &TipChanges<'_>,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let at = to_millis(at);
        let mut tx = self.begin_write().await?;
        let found = tx
            .execute(
                Sql::new(
                    "UPDATE tips SET category = COALESCE($2, category), \
                     position = COALESCE($3, position), active = COALESCE($4, active), \
                     updated_at = $5 WHERE id = $1",
                )
                .bind(id)
                .bind(changes.category)
                .bind(changes.order)
                .bind(changes.active)
                .bind(at),
            )
            .await?
            == 1;
        if !found {
            return Ok(false);
        }
        upsert_texts(&mut tx, id, changes.texts, at).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn tip(&self, id: i64) -> Result<Option<StoredTip>, StoreError> {
        let sql = format!("{TIP_SELECT} WHERE id = $1");
        let texts_sql = format!("{TEXT_SELECT} WHERE tip_id = $1");
        let (row, texts): (Option<TipRow>, Vec<TextRow>) = on_reader!(self, pool => {
            let row = sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?;
            let texts = sqlx::query_as(&texts_sql).bind(id).fetch_all(pool).await?;
            (row, texts)
        });
        Ok(row.map(|row| assemble(vec![row], texts).remove(0)))
    }

    /// The library in drip order (active and inactive).
    pub async fn tips(&self) -> Result<Vec<StoredTip>, StoreError> {
        let sql = format!("{TIP_SELECT} ORDER BY position, id");
        let (rows, texts): (Vec<TipRow>, Vec<TextRow>) = on_reader!(self, pool => {
            let rows = sqlx::query_as(&sql).fetch_all(pool).await?;
            let texts = sqlx::query_as(TEXT_SELECT).fetch_all(pool).await?;
            (rows, texts)
        });
        Ok(assemble(rows, texts))
    }
}

fn assemble(rows: Vec<TipRow>, texts: Vec<TextRow>) -> Vec<StoredTip> {
    let mut by_tip: BTreeMap<i64, Vec<TipText>> = BTreeMap::new();
    for (tip_id, text) in texts.into_iter().filter_map(TextRow::into_text) {
        by_tip.entry(tip_id).or_default().push(text);
    }
    rows.into_iter()
        .map(|row| {
            let mut texts = by_tip.remove(&row.id).unwrap_or_default();
            texts.sort_by_key(|t| TextKey::ALL.iter().position(|k| *k == t.key));
            StoredTip {
                id: row.id,
                slug: row.slug,
                category: row.category,
                order: row.position,
                active: row.active,
                texts,
            }
        })
        .collect()
}
