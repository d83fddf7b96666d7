//! Whether the database takes writes. A full disk, a file-size limit or a PostgreSQL server that
//! went away shows first as writes that fail; the service keeps running through it (USSD answers
//! "busy", the API and SMS webhooks 503 so aggregators retry) and carries on by itself once
//! writes work again. [`Store::watch_writes`] probes with a real write every second; `/readyz`
//! reports the result, and the operator reads one line when an episode starts (with its whole
//! cause chain), a reminder a minute while it lasts, and one line when it ends.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

use super::tx::Sql;
use super::{Store, StoreError};

/// How often the probe writes.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);
/// Longest wait for one probe; a write that takes longer counts as failed.
const PROBE_LIMIT: Duration = Duration::from_secs(3);
/// How often a failing episode is logged again.
const REMIND_EVERY: Duration = Duration::from_secs(60);

/// What the last probe found, shared by every clone of the store.
#[derive(Default)]
pub(crate) struct WriteHealth {
    failing: Mutex<Option<Episode>>,
}

/// A run of failed probes.
struct Episode {
    since: Instant,
    reminded: Instant,
    probes: u64,
}

impl WriteHealth {
    /// Whether the last probe (if any) could write.
    pub(crate) fn writable(&self) -> bool {
        self.lock().is_none()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Episode>> {
        // A panic elsewhere cannot leave an episode half-written: it is replaced whole.
        self.failing
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a probe's result and logs the start, a reminder, or the end of an episode.
    fn record(&self, result: Result<(), StoreError>) {
        let now = Instant::now();
        let mut failing = self.lock();
        match (result, failing.as_mut()) {
            (Ok(()), None) => {}
            (Ok(()), Some(episode)) => {
                tracing::info!(
                    after_secs = episode.since.elapsed().as_secs(),
                    failed_probes = episode.probes,
                    "the database takes writes again"
                );
                *failing = None;
            }
            (Err(err), None) => {
                tracing::error!(
                    error = format!("{err:#}"),
                    "the database takes no writes: USSD answers busy, the API and webhooks \
                     answer 503 and /readyz 503 until it does"
                );
                *failing = Some(Episode {
                    since: now,
                    reminded: now,
                    probes: 1,
                });
            }
            (Err(err), Some(episode)) => {
                episode.probes += 1;
                if now.duration_since(episode.reminded) >= REMIND_EVERY {
                    episode.reminded = now;
                    tracing::warn!(
                        for_secs = episode.since.elapsed().as_secs(),
                        error = format!("{err:#}"),
                        "the database still takes no writes"
                    );
                }
            }
        }
        metrics::gauge!("database_writable").set(if failing.is_none() { 1.0 } else { 0.0 });
    }
}

/// Logs a failure of `what` (a hop, a send, a loop's step) with its cause chain, at `error`;
/// but only at `debug` when the cause is the database being unavailable, which the probe
/// already logs once per episode (a full disk would otherwise log a line per request).
pub fn log_failure(what: &str, err: &anyhow::Error) {
    if StoreError::is_unavailable_in(err) {
        tracing::debug!(
            error = format!("{err:#}"),
            "{what} failed: the database is unavailable"
        );
    } else {
        tracing::error!(error = format!("{err:#}"), "{what} failed");
    }
}

impl Store {
    /// Probes with a real write every [`PROBE_EVERY`] until `shutdown`; see the module docs.
    /// Each probe also reads which key the database is sealed with: once it is no longer
    /// `key_id` (`mitan keys rotate` began), this service would seal and look numbers up with a
    /// retired key, so it stops the service (`shutdown`) and answers why.
    pub async fn watch_writes(&self, key_id: &str, shutdown: CancellationToken) -> Option<String> {
        loop {
            let probe = tokio::time::timeout(PROBE_LIMIT, self.probe_write());
            let result = match probe.await {
                Ok(result) => result,
                Err(_) => Err(StoreError::Unavailable(anyhow::anyhow!(
                    "a one-row write took longer than {PROBE_LIMIT:?}"
                ))),
            };
            let sealed = result.as_ref().ok().cloned().flatten();
            self.health.record(result.map(drop));
            if let Some(sealed) = sealed.filter(|sealed| sealed != key_id) {
                let why = format!(
                    "security.master_key: the database's key was rotated (from id {key_id} to \
                     id {sealed}, `mitan keys rotate`): stopping; start again with the new key"
                );
                tracing::error!("{why}");
                shutdown.cancel();
                return Some(why);
            }
            tokio::select! {
                () = shutdown.cancelled() => return None,
                () = tokio::time::sleep(PROBE_EVERY) => {}
            }
        }
    }

    /// Writes a row and deletes it again in one transaction: the commit must reach the disk (on
    /// SQLite, the write-ahead log), so it fails when the disk is full, and nothing is left.
    /// Answers the key the database is sealed with, read in the same transaction.
    async fn probe_write(&self) -> Result<Option<String>, StoreError> {
        let mut tx = self.begin_write().await?;
        tx.execute(Sql::new("INSERT INTO write_probes DEFAULT VALUES"))
            .await?;
        tx.execute(Sql::new("DELETE FROM write_probes")).await?;
        let sealed = tx
            .fetch_optional_value(Sql::new("SELECT key_id FROM sealing_key"))
            .await?;
        tx.commit().await?;
        Ok(sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_episode_starts_at_the_first_failed_probe_and_ends_at_the_first_good_one() {
        let health = WriteHealth::default();
        assert!(health.writable(), "nothing probed yet");
        let full = || Err(StoreError::Unavailable(anyhow::anyhow!("disk full")));
        health.record(full());
        assert!(!health.writable());
        health.record(full());
        assert_eq!(health.lock().as_ref().map(|e| e.probes), Some(2));
        health.record(Ok(()));
        assert!(health.writable());
        health.record(full());
        assert_eq!(
            health.lock().as_ref().map(|e| e.probes),
            Some(1),
            "a new episode"
        );
    }
}
