//! The privacy core: phone numbers are parsed once ([`Msisdn`]), stored only sealed
//! ([`SealedPhone`]), and shown only masked.

mod msisdn;
mod redact;
mod vault;

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use secrecy::ExposeSecret as _;

pub use msisdn::{Msisdn, PhoneError};
pub use redact::without_numbers;
pub use vault::{
    BlindIndex, KeyError, MasterKey, NumberKeys, OpenError, RetiredKey, SealedPhone, Vault,
};

/// `security.…`: where the master key comes from.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Base64 of 32 random bytes; every key mitan uses is derived from it.
    pub master_key: Option<secrecy::SecretString>,
    /// Read when `master_key` is unset; generated there in development.
    pub master_key_file: std::path::PathBuf,
    /// Refuse to start without a key (production).
    pub require_master_key: bool,
}

/// Where the master key came from, for the start-up log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    Config,
    File,
    Generated,
}

/// Finds the master key: `security.master_key`, else the key file, else (development only, and
/// only for a database with no number in it: `may_generate`) a new key written to the key file.
pub fn load_master_key(
    security: &SecuritySettings,
    may_generate: bool,
) -> anyhow::Result<(MasterKey, KeySource)> {
    if let Some(text) = &security.master_key {
        let key = MasterKey::from_base64(text.expose_secret())
            .map_err(|err| anyhow::anyhow!("security.master_key: {err}"))?;
        return Ok((key, KeySource::Config));
    }
    let path = &security.master_key_file;
    if path.exists() {
        let key = read_key_file(path).context("security.master_key_file")?;
        return Ok((key, KeySource::File));
    }
    if security.require_master_key {
        anyhow::bail!(
            "security.master_key: required (security.require_master_key = true) but \
             MITAN__SECURITY__MASTER_KEY is not set and {} does not exist",
            path.display()
        );
    }
    if !may_generate {
        anyhow::bail!(
            "security.master_key_file: {} does not exist, but the database holds numbers sealed \
             with a master key: restore that key file (or set MITAN__SECURITY__MASTER_KEY); a new \
             key would leave every stored number unreadable",
            path.display()
        );
    }
    let key = MasterKey::generate();
    write_key_file(path, &key)
        .with_context(|| format!("security.master_key_file: cannot create {}", path.display()))?;
    Ok((key, KeySource::Generated))
}

/// The vault of the master key given, for a database that recorded `recorded` as its key, kept
/// the keys earlier rotations `retired`, and holds numbers sealed under the ids `in_use`: refused,
/// in one line saying what to do, unless the key is the database's. A key a rotation retired is
/// refused too; the vault opens numbers sealed under it only while its rotation runs.
pub fn unlock(
    master: &MasterKey,
    recorded: Option<&str>,
    retired: &[RetiredKey],
    in_use: &[String],
) -> Result<Vault, String> {
    let vault = Vault::new(master);
    let key_id = vault.key_id().to_string();
    let mismatch = |sealed: &str| {
        format!(
            "security.master_key: this key (id {key_id}) is not the one this database's numbers \
             are sealed with (id {sealed}): start with the key the database was made with \
             (security.master_key_file or MITAN__SECURITY__MASTER_KEY)"
        )
    };
    if let Some(sealed) = recorded.filter(|id| *id != key_id) {
        if retired.iter().any(|key| key.key_id == key_id) {
            return Err(format!(
                "security.master_key: this key (id {key_id}) was retired by `mitan keys rotate`; \
                 the database is sealed with key {sealed} now: start with the new key \
                 (security.master_key_file or MITAN__SECURITY__MASTER_KEY)"
            ));
        }
        return Err(mismatch(sealed));
    }
    let vault = vault.with_retired(retired).map_err(|err| {
        format!("security.master_key: a retired key kept in the database does not open ({err}): the database is damaged")
    })?;
    match in_use.iter().find(|id| !vault.opens(id)) {
        None => Ok(vault),
        Some(sealed) => Err(mismatch(sealed)),
    }
}

/// Reads a key file: base64 of 32 bytes (surrounding whitespace ignored).
pub fn read_key_file(path: &Path) -> anyhow::Result<MasterKey> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?,
    );
    MasterKey::from_base64(&text).map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))
}

/// Writes a new random key to `path`, which must not exist, readable by its owner alone.
pub fn create_key_file(path: &Path) -> anyhow::Result<MasterKey> {
    let key = MasterKey::generate();
    write_key_file(path, &key).with_context(|| format!("cannot create {}", path.display()))?;
    Ok(key)
}

fn write_key_file(path: &Path, key: &MasterKey) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(key.to_base64().as_bytes())?;
    file.write_all(b"\n")?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn settings(file: PathBuf, key: Option<&str>, require: bool) -> SecuritySettings {
        SecuritySettings {
            master_key: key.map(|k| k.to_string().into()),
            master_key_file: file,
            require_master_key: require,
        }
    }

    #[test]
    fn development_generates_a_key_once_and_then_reuses_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data/master.key");
        let (first, source) = load_master_key(&settings(file.clone(), None, false), true).unwrap();
        assert_eq!(source, KeySource::Generated);
        let (again, source) = load_master_key(&settings(file.clone(), None, false), true).unwrap();
        assert_eq!(source, KeySource::File);
        assert_eq!(*first.to_base64(), *again.to_base64());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key file readable by others: {mode:o}");
        }
    }

    #[test]
    fn production_refuses_to_run_without_a_key() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_master_key(&settings(dir.path().join("none.key"), None, true), true)
            .err()
            .unwrap()
            .to_string();
        assert!(err.starts_with("security.master_key: required"), "{err}");
        assert!(!dir.path().join("none.key").exists());
    }

    #[test]
    fn a_malformed_key_names_the_setting() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_master_key(
            &settings(dir.path().join("k"), Some("c2hvcnQ="), false),
            true,
        )
        .err()
        .unwrap()
        .to_string();
        assert_eq!(
            err,
            "security.master_key: must be base64 of exactly 32 bytes, found 5 bytes"
        );
    }

    #[test]
    fn no_key_is_generated_for_a_database_that_holds_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("master.key");
        let err = load_master_key(&settings(file.clone(), None, false), false)
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("does not exist, but the database holds numbers"),
            "{err}"
        );
        assert!(!file.exists(), "no key file written");
    }

    #[test]
    fn a_key_unlocks_only_a_database_sealed_with_it() {
        let (aa, bb) = (MasterKey::generate(), MasterKey::generate());
        let (id_a, id_b) = (
            Vault::new(&aa).key_id().to_string(),
            Vault::new(&bb).key_id().to_string(),
        );
        assert!(unlock(&aa, None, &[], &[]).is_ok());
        assert!(unlock(&aa, Some(&id_a), &[], std::slice::from_ref(&id_a)).is_ok());
        let err = unlock(&bb, Some(&id_a), &[], &[]).err().unwrap();
        assert!(
            err.contains(&format!("this key (id {id_b})")) && err.contains(&format!("(id {id_a})")),
            "{err}"
        );
        // A database from before the id was recorded: the ids beside its numbers decide.
        assert!(unlock(&bb, None, &[], std::slice::from_ref(&id_a)).is_err());
        assert!(unlock(&aa, Some(&id_a), &[], &[id_a.clone(), "cc".into()]).is_err());
    }

    #[test]
    fn after_a_rotation_the_old_key_is_refused_and_the_new_one_opens_both_until_it_ends() {
        let (old, new) = (MasterKey::generate(), MasterKey::generate());
        let (id_old, id_new) = (
            Vault::new(&old).key_id().to_string(),
            Vault::new(&new).key_id().to_string(),
        );
        let retired = Vault::new(&new).retire(&old);
        let err = unlock(
            &old,
            Some(&id_new),
            std::slice::from_ref(&retired),
            std::slice::from_ref(&id_old),
        )
        .err()
        .unwrap();
        assert!(err.contains("was retired by `mitan keys rotate`"), "{err}");
        let during = unlock(
            &new,
            Some(&id_new),
            std::slice::from_ref(&retired),
            &[id_old.clone(), id_new.clone()],
        )
        .unwrap();
        assert!(during.opens(&id_old));
        // Once the rotation has ended, a number still sealed under the old key is a mismatch.
        let ended = RetiredKey {
            master: None,
            ..retired
        };
        assert!(unlock(
            &new,
            Some(&id_new),
            std::slice::from_ref(&ended),
            std::slice::from_ref(&id_new)
        )
        .is_ok());
        assert!(unlock(&new, Some(&id_new), &[ended], &[id_old]).is_err());
    }
}
