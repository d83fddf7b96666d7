//! Key rotation, `mitan keys rotate`: every stored number re-sealed, and every blind index and tag
//! re-derived, under a new master key, in batches, while the service runs.
//!
//! Beginning records the new key as the database's and keeps the old one, sealed under the new,
//! as a retired key (`store::keys`): a service with the new key then opens numbers sealed under
//! the old one (read-only: nothing new is sealed with it) and finds them under the old lookup keys,
//! moving what it meets to the new keys as it goes (`Store::rekey_on_contact`). The batches move
//! the rest: each stored number, opened with the old key, moves with everything stored of it in
//! one transaction. A rotation interrupted anywhere resumes where it stopped, because each row says
//! which key it is sealed under. When no number is sealed under the old key any more, the old key
//! itself is forgotten and only its lookup keys stay, for what exists only as a keyed hash (an
//! erased number on the suppression list, a pending consent): a service given the old key is then
//! refused.

use std::ops::ControlFlow;

use chrono::Utc;

use crate::privacy::{MasterKey, Vault};
use crate::store::{BeginError, Holder, Rekey, SealingKey, Store, StoreError};

/// Numbers re-keyed per transaction.
pub const BATCH: u32 = 500;

/// How a rotation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotated {
    pub from: String,
    pub to: String,
    /// Numbers re-sealed by this run (earlier, interrupted runs not counted).
    pub resealed: u64,
    /// Whether this run began the rotation (or resumed one).
    pub began: bool,
}

/// What stopped a rotation.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(
        "the new key (id {0}) is the key the database is sealed with already: nothing to rotate"
    )]
    SameKey(String),
    #[error(
        "the database is sealed with key {recorded}, neither the configured key (id {configured}) \
         nor the new one (id {new}): rotate with the configuration the service runs with"
    )]
    NotOurs {
        recorded: String,
        configured: String,
        new: String,
    },
    #[error(
        "a rotation to key {to} is under way, not to the new key (id {new}): finish it first \
         with --new-key-file naming key {to}"
    )]
    OtherRotation { to: String, new: String },
    #[error("the rotation stopped before it finished; run the same command again to resume")]
    Interrupted,
    #[error(
        "{0} stored numbers sealed under the old key cannot be opened with it (corrupt): the \
         rotation cannot finish"
    )]
    Unopenable(u64),
    #[error("a stored retired key cannot be opened with the new key: {0}")]
    Retired(crate::privacy::OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Progress, after each batch: numbers re-sealed so far by this run, and how many there were.
pub trait Progress {
    fn batch(&mut self, done: u64, total: u64) -> ControlFlow<()>;
}

impl<F: FnMut(u64, u64) -> ControlFlow<()>> Progress for F {
    fn batch(&mut self, done: u64, total: u64) -> ControlFlow<()> {
        self(done, total)
    }
}

/// Rotates from the configured key to `new`, or resumes a rotation to `new` that was
/// interrupted; `progress` may stop it after any batch (it resumes later where it stopped).
pub async fn rotate(
    store: &Store,
    configured: &MasterKey,
    new: &MasterKey,
    batch: u32,
    progress: &mut impl Progress,
) -> Result<Rotated, RotateError> {
    let (configured_vault, new_vault) = (Vault::new(configured), Vault::new(new));
    let (configured_id, new_id) = (configured_vault.key_id(), new_vault.key_id().to_string());
    let state = store.sealing_key().await?;
    let (from, began) = match plan(&state, configured_id, &new_id)? {
        Plan::Begin => {
            let mut retired = Vec::new();
            for key in store.retired_keys().await? {
                let carried = new_vault
                    .reseal_retired(&configured_vault, &key)
                    .map_err(RotateError::Retired)?;
                retired.push(carried);
            }
            retired.push(new_vault.retire(configured));
            match store
                .begin_rotation(configured_id, &new_id, &retired, Utc::now())
                .await?
            {
                Ok(()) => {}
                Err(BeginError::NotSealedWith(_)) => {
                    return Err(RotateError::NotOurs {
                        recorded: "another key (a rotation began meanwhile)".into(),
                        configured: configured_id.to_string(),
                        new: new_id,
                    })
                }
            }
            (configured_id.to_string(), true)
        }
        Plan::Resume(from) => (from, false),
    };
    let vault = new_vault
        .with_retired(&store.retired_keys().await?)
        .map_err(RotateError::Retired)?;
    let mut resealed = 0;
    let mut before = store.count_sealed_under(&from).await?;
    loop {
        reseal_all(store, &vault, &from, batch, before, &mut resealed, progress).await?;
        let remaining = store.finish_rotation(&from).await?;
        if remaining == 0 {
            return Ok(Rotated {
                from,
                to: new_id,
                resealed,
                began,
            });
        }
        // Rows sealed under the old key while the pass ran (a service still on the old key in
        // its last second) are taken by another pass; rows no pass can open stop the rotation.
        if remaining >= before {
            return Err(RotateError::Unopenable(remaining));
        }
        before = remaining;
    }
}

enum Plan {
    Begin,
    Resume(String),
}

fn plan(state: &SealingKey, configured: &str, new: &str) -> Result<Plan, RotateError> {
    match (state.recorded.as_deref(), state.rotating_from.as_deref()) {
        (Some(to), Some(from)) if to == new => Ok(Plan::Resume(from.to_string())),
        (Some(to), Some(_)) => Err(RotateError::OtherRotation {
            to: to.to_string(),
            new: new.to_string(),
        }),
        (Some(recorded), None) if recorded == new => Err(RotateError::SameKey(new.to_string())),
        (Some(recorded), None) if recorded != configured => Err(RotateError::NotOurs {
            recorded: recorded.to_string(),
            configured: configured.to_string(),
            new: new.to_string(),
        }),
        _ if configured == new => Err(RotateError::SameKey(new.to_string())),
        // A database whose key was never recorded is taken to be sealed with the configured key
        // (as `mitan serve` would check, the ids beside its numbers must agree).
        (None, _) if state.in_use.iter().any(|id| id != configured) => Err(RotateError::NotOurs {
            recorded: state.in_use.join(", "),
            configured: configured.to_string(),
            new: new.to_string(),
        }),
        _ => Ok(Plan::Begin),
    }
}

/// One pass over every holder of sealed numbers, in id order, a batch per transaction.
async fn reseal_all(
    store: &Store,
    vault: &Vault,
    from: &str,
    batch: u32,
    total: u64,
    resealed: &mut u64,
    progress: &mut impl Progress,
) -> Result<(), RotateError> {
    for holder in Holder::ALL {
        let mut after = 0;
        loop {
            let rows = store.sealed_under(holder, from, after, batch).await?;
            let Some((last, _)) = rows.last() else { break };
            after = *last;
            let numbers: Vec<Rekey> = rows
                .iter()
                .filter_map(|(id, ciphertext)| Some((*id, vault.open(ciphertext, from).ok()?)))
                .map(|(id, phone)| Rekey {
                    former: vault.former_number_keys(&phone),
                    current: vault.number_keys(&phone),
                    sealed: vault.seal(&phone),
                    outbox_row: (holder == Holder::Outbox).then_some(id),
                })
                .collect();
            store.rekey(&numbers).await?;
            *resealed += numbers.len() as u64;
            if progress.batch(*resealed, total.max(*resealed)).is_break() {
                return Err(RotateError::Interrupted);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(recorded: Option<&str>, rotating_from: Option<&str>, in_use: &[&str]) -> SealingKey {
        SealingKey {
            recorded: recorded.map(str::to_string),
            rotating_from: rotating_from.map(str::to_string),
            in_use: in_use.iter().map(|id| id.to_string()).collect(),
            holds_numbers: true,
        }
    }

    #[test]
    fn a_rotation_begins_only_from_the_key_in_use_and_resumes_only_to_its_own_key() {
        assert!(matches!(
            plan(&state(Some("aa"), None, &["aa"]), "aa", "bb"),
            Ok(Plan::Begin)
        ));
        assert!(matches!(
            plan(&state(None, None, &[]), "aa", "bb"),
            Ok(Plan::Begin)
        ));
        assert!(matches!(
            plan(&state(Some("bb"), Some("aa"), &["aa", "bb"]), "aa", "bb"),
            Ok(Plan::Resume(from)) if from == "aa"
        ));
        // Resuming works from either configuration: the old key or the new one.
        assert!(matches!(
            plan(&state(Some("bb"), Some("aa"), &["aa", "bb"]), "bb", "bb"),
            Ok(Plan::Resume(_))
        ));
        assert!(matches!(
            plan(&state(Some("aa"), None, &["aa"]), "aa", "aa"),
            Err(RotateError::SameKey(_))
        ));
        assert!(matches!(
            plan(&state(Some("bb"), None, &["bb"]), "aa", "bb"),
            Err(RotateError::SameKey(_))
        ));
        assert!(matches!(
            plan(&state(Some("cc"), None, &["cc"]), "aa", "bb"),
            Err(RotateError::NotOurs { .. })
        ));
        assert!(matches!(
            plan(&state(None, None, &["cc"]), "aa", "bb"),
            Err(RotateError::NotOurs { .. })
        ));
        assert!(matches!(
            plan(&state(Some("cc"), Some("aa"), &[]), "aa", "bb"),
            Err(RotateError::OtherRotation { .. })
        ));
    }
}
