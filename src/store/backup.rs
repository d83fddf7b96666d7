//! Copies of the embedded database: a consistent copy made while the service runs, and where
//! a database URL keeps its file.

use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use anyhow::Context as _;
use sqlx::sqlite::SqliteConnectOptions;

use super::{on_reader, Backend, Store, StoreError};
use crate::config::DatabaseUrl;

/// The file an SQLite URL names; `None` for PostgreSQL.
pub fn sqlite_file(url: &DatabaseUrl) -> anyhow::Result<Option<PathBuf>> {
    if url.is_postgres() {
        return Ok(None);
    }
    let options = SqliteConnectOptions::from_str(url.expose())
        .with_context(|| format!("database.url: cannot read {url}"))?;
    Ok(Some(options.get_filename().to_owned()))
}

impl Store {
    /// Writes a consistent copy of the SQLite database to `file` (which must not exist yet):
    /// `VACUUM INTO` reads one snapshot, so joins and sends may go on meanwhile. The copy holds
    /// what the database holds: numbers only sealed, and not the key.
    pub async fn back_up(&self, file: &Path) -> Result<(), StoreError> {
        if let Backend::Postgres(_) = self.backend {
            return Err(StoreError::Other(anyhow::anyhow!(
                "a PostgreSQL database is backed up with pg_dump (see the README)"
            )));
        }
        let target = file.to_string_lossy().to_string();
        on_reader!(self, pool => {
            sqlx::query("VACUUM INTO $1").bind(target).execute(pool).await?;
        });
        Ok(())
    }
}
