//! The settings every in-process app runs with: port 0, its own database, a random master key,
//! the generic channel's secret, and the suite's pretend noon.

use base64::Engine as _;
use figment::providers::Serialized;
use figment::Figment;
use mitan::config::Settings;
use rand::Rng as _;

use super::database::TestDatabase;

/// A fresh master key, in base64 as `security.master_key` takes it.
pub fn random_master_key() -> String {
    let key: [u8; 32] = rand::thread_rng().gen();
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// The test settings: port 0, a fresh database, a random master key, quiet logs.
pub fn test_figment(db: &TestDatabase) -> Figment {
    Settings::figment(None)
        .expect("defaults")
        .merge(Serialized::default("server.bind", "127.0.0.1:0"))
        .merge(Serialized::default("database.url", &db.url))
        .merge(Serialized::default("database.max_connections", 4))
        .merge(Serialized::default(
            "security.master_key",
            random_master_key(),
        ))
        .merge(Serialized::default(
            "security.master_key_file",
            db.dir.path().join("master.key"),
        ))
        .merge(Serialized::default(
            "channels.generic.secret",
            GENERIC_SECRET,
        ))
        // Recordings a test writes, in a folder of its own (empty until it does).
        .merge(Serialized::default(
            "voice.audio_dir",
            db.dir.path().join("audio"),
        ))
        // Tests drive the dispatcher themselves, one step at a time.
        .merge(Serialized::default("outbound.workers", 0))
}

/// The channels of the default settings: one of each kind, named after it.
pub const CHANNEL_KINDS: [&str; 6] = [
    "africastalking",
    "console",
    "twilio",
    "exotel",
    "kannel",
    "generic",
];

/// The `generic` channel's signing secret in tests.
pub const GENERIC_SECRET: &str = "test-generic-secret";

/// Noon in Bilaspur on the day the suite pretends it is: 2026-11-28 12:00 IST.
pub fn test_start_time() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone as _;
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 28, 6, 30, 0)
        .unwrap()
}
