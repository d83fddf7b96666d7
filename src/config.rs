//! Layered configuration: built-in `config/default.toml` → `--config FILE` → `MITAN__…` environment.
//!
//! Every key is typed; an unknown key or a bad value becomes a [`ConfigError`] whose one-line
//! message names the key, what is wrong, and where the value came from (never the value itself:
//! it may be a secret).
//!
//! The environment is read as text, exactly as written (`env`): a secret, a sender number or a
//! DLT id that looks like a number stays the text it is; numbers and booleans are read from the
//! text where a setting is one.

mod channels;
mod env;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::Figment;
use serde::Deserialize;

use env::{text_list, Environment};

use crate::broadcasts::{ContentPolicy, FrequencyCap, SendRules, SendWindow};
use crate::privacy::SecuritySettings;
use crate::providers::ChannelSettings;

/// The defaults, built into the binary so that `mitan` runs from any working directory.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub security: SecuritySettings,
    pub campaign: CampaignSettings,
    pub ussd: UssdSettings,
    pub broadcasts: BroadcastSettings,
    /// Read in a second step, once each channel's kind is known (`channels.rs`).
    #[serde(deserialize_with = "channels::read_later")]
    pub channels: BTreeMap<String, ChannelSettings>,
    pub outbound: OutboundSettings,
    pub sms: SmsSettings,
    pub reports: ReportSettings,
    pub voice: VoiceSettings,
    pub phone: PhoneSettings,
    pub log: LogSettings,
    pub dashboard: DashboardSettings,
    pub cards: CardSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    pub public_url: String,
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    pub shutdown_grace_secs: u64,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub max_connections: u32,
    pub connect_timeout_secs: u64,
    pub busy_timeout_ms: u64,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.url)
            .field("max_connections", &self.max_connections)
            .finish_non_exhaustive()
    }
}

/// A database URL; its `Debug`/`Display` hide any password.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }
}

impl TryFrom<String> for DatabaseUrl {
    type Error = String;

    fn try_from(url: String) -> Result<Self, Self::Error> {
        let known = ["sqlite:", "postgres://", "postgresql://"];
        if known.iter().any(|scheme| url.starts_with(scheme)) {
            Ok(Self(url))
        } else {
            Err("must start with sqlite:// or postgres://".to_string())
        }
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                f.write_str(url.as_str())
            }
            _ => f.write_str(&self.0),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "\"{self}\"")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSettings {
    pub ussd_code: String,
    pub timezone: TimeZone,
    pub default_quota: u32,
    pub erase_opted_out_after_days: u32,
    pub code_length: CodeLength,
    pub send_window: SendWindow,
    pub max_tips_per_week: u32,
    pub tip_validity_hours: u32,
    pub max_sms_parts: usize,
    #[serde(deserialize_with = "text_list")]
    pub allowed_domains: Vec<String>,
    #[serde(deserialize_with = "text_list")]
    pub allowed_numbers: Vec<String>,
    pub price_per_sms_part: f64,
    /// Joins through one code within an hour that flag the code as a burst.
    pub burst_threshold_per_hour: u32,
    /// The areas loaded into an empty database at start; unset: the Bilaspur example built in.
    pub areas_file: Option<PathBuf>,
    /// The scam check's phrase lists, read at start; unset: `config/scams.toml`, built in.
    pub scam_rules_file: Option<PathBuf>,
}

impl CampaignSettings {
    /// The campaign's local day (its time zone) at `at`.
    pub fn local_day(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        at.with_timezone(&self.timezone.0).date_naive()
    }

    /// What tip and broadcast texts may contain.
    pub fn content_policy(&self) -> ContentPolicy {
        ContentPolicy {
            allowed_domains: self.allowed_domains.clone(),
            allowed_numbers: self.allowed_numbers.clone(),
            max_parts: self.max_sms_parts,
        }
    }

    /// When planned messages may leave.
    pub fn send_rules(&self) -> SendRules {
        SendRules {
            window: self.send_window,
            zone: self.timezone.0,
            validity: chrono::Duration::hours(i64::from(self.tip_validity_hours)),
        }
    }

    pub fn frequency_cap(&self) -> FrequencyCap {
        FrequencyCap::new(self.max_tips_per_week)
    }
}

/// An IANA time zone such as `Asia/Kolkata`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
pub struct TimeZone(pub chrono_tz::Tz);

impl TryFrom<String> for TimeZone {
    type Error = String;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        name.parse().map(TimeZone).map_err(|_| {
            format!("unknown time zone {name:?}: use an IANA name such as Asia/Kolkata")
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BroadcastSettings {
    /// Whether this instance runs the planner loop.
    pub planner: bool,
    /// People planned per transaction.
    pub plan_batch: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UssdSettings {
    pub session_timeout_secs: u64,
    pub resume_window_secs: u64,
}

/// The outbox and its dispatcher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboundSettings {
    /// The channel for sends that answer no inbound message (invitations, broadcasts).
    pub default_channel: String,
    /// Dispatcher loops in this instance; 0 sends nothing (another instance sends).
    pub workers: u32,
    /// No longer read (each instance once kept to `1 / instances` of every channel's rate); the
    /// instances on one PostgreSQL database now share each channel's rate through it. Accepted
    /// so that an upgrade starts, with a warning to remove it.
    pub instances: Option<u32>,
    /// Tries before a message that keeps failing transiently is given up.
    pub max_attempts: u32,
    /// First retry delay; each retry doubles it (with jitter), up to `backoff_max_secs`.
    pub backoff_base_secs: u64,
    pub backoff_max_secs: u64,
    /// How long a claimed message is this instance's to send; a claim older than this after a
    /// crash is marked `unknown` and reconciled from delivery reports, never resent.
    pub lease_secs: u64,
    /// Longest wait for an aggregator to answer one send.
    pub send_timeout_secs: u64,
    /// A reply not sent within this many seconds is dropped (`expired`).
    pub reply_ttl_secs: u64,
    /// Sealed numbers of sent messages are cleared after this many days even without a final
    /// delivery report.
    pub forget_after_days: u32,
}

/// Inbound SMS and missed calls.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    /// How long a JOIN, missed call or invitation waits for YES before it is forgotten.
    pub pending_consent_hours: u32,
    /// Inbound messages one number may send a minute; more are acknowledged and dropped.
    pub inbound_per_minute: u32,
    /// Replies to messages that are not keywords, per number per day.
    pub auto_replies_per_day: u32,
    /// Invitations one recruiter may send an hour.
    pub invites_per_hour: u32,
    /// Webhook receipts (aggregator message ids) are kept this many days to recognise retries.
    pub receipts_days: u32,
}

/// Fraud-number reports (USSD "report a fraud number", SMS `REPORT`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSettings {
    /// A number is shown to admins once this many different people reported it in the window.
    pub reporters_to_show: Count,
    /// Reports are counted, and each reporter's vote remembered, for this many days; older
    /// reports are deleted.
    pub window_days: Days,
    /// Reports one number may make a day (per instance); more are acknowledged, not counted.
    pub per_reporter_daily: Count,
}

/// Tips by phone call (`[voice]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoiceSettings {
    /// The channel calls are placed through; `None`: no calls.
    pub channel: Option<String>,
    /// Where the recordings are.
    pub audio_dir: std::path::PathBuf,
    /// A busy or unanswered call is placed again this much later.
    pub retry_after_minutes: Count,
    /// Tries of one call, the first included.
    pub max_attempts: Count,
    /// The language of the consent notice played to a stranger.
    pub consent_language: crate::enrollment::Language,
}

/// A positive count, at most 1000.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "u32")]
pub struct Count(pub u32);

impl TryFrom<u32> for Count {
    type Error = String;

    fn try_from(n: u32) -> Result<Self, Self::Error> {
        if (1..=1000).contains(&n) {
            Ok(Self(n))
        } else {
            Err("must be from 1 to 1000".into())
        }
    }
}

/// A number of days from 1 to 366.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "u32")]
pub struct Days(pub u32);

impl TryFrom<u32> for Days {
    type Error = String;

    fn try_from(n: u32) -> Result<Self, Self::Error> {
        if (1..=366).contains(&n) {
            Ok(Self(n))
        } else {
            Err("must be from 1 to 366 days".into())
        }
    }
}

/// Digits in an opt-in code, check digit included.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "usize")]
pub struct CodeLength(pub usize);

impl TryFrom<usize> for CodeLength {
    type Error = String;

    fn try_from(len: usize) -> Result<Self, Self::Error> {
        use crate::enrollment::code_limits::{MAX_LEN, MIN_LEN};
        if (MIN_LEN..=MAX_LEN - 2).contains(&len) {
            Ok(Self(len))
        } else {
            Err(format!("must be from {MIN_LEN} to {}", MAX_LEN - 2))
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneSettings {
    pub default_region: Region,
}

/// An ISO 3166 region known to the phone-number metadata, e.g. `IN`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
pub struct Region(pub phonenumber::country::Id);

impl TryFrom<String> for Region {
    type Error = String;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        code.to_ascii_uppercase()
            .parse()
            .map(Region)
            .map_err(|_| format!("unknown region {code:?}: use a two-letter code such as IN"))
    }
}

/// Printed code cards (`mitan cards`, the dashboard's `cards.pdf`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardSettings {
    /// The number villagers send `JOIN <code>` to, as printed; unset, cards say only the text.
    pub sms_number: Option<String>,
    /// Print the code inside the dial string (`*384*25*482918#`): only once the aggregator hands
    /// mitan the digits dialled after the service code as the first hop's code.
    pub code_in_dial: bool,
    /// Print a QR code of an `sms:` link (`JOIN <code>` to `sms_number`) for smartphones.
    pub qr: bool,
}

/// The web dashboard under `/admin`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardSettings {
    /// How long a sign-in lasts.
    pub session_hours: u32,
    /// Wrong passwords one username may try a minute before the sign-in page waits.
    pub login_attempts_per_minute: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub filter: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

/// A configuration problem, already phrased as the one line an operator needs.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads the layers: defaults, then `file` (if any), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_figment(Self::figment(file)?)
    }

    /// The layered sources, before extraction; tests add their own values on top.
    pub fn figment(file: Option<&Path>) -> Result<Figment, ConfigError> {
        let vars = std::env::vars_os().map(|(name, value)| {
            (
                name.to_string_lossy().into_owned(),
                value.to_string_lossy().into_owned(),
            )
        });
        Self::figment_with_env(file, vars)
    }

    /// As [`Settings::figment`], with `vars` (name, value) standing for the process environment.
    pub fn figment_with_env(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Figment, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULT_TOML));
        if let Some(path) = file {
            if !path.is_file() {
                return Err(ConfigError(format!(
                    "--config {}: no such file",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file(path));
        }
        Ok(figment.merge(Environment::from_vars(vars)))
    }

    /// Extracts the settings. Lossy: a number or a boolean may come as text (the environment
    /// gives nothing else); a text setting never takes a number, so it is never guessed at.
    /// The channels come second: which keys a channel takes depends on its kind.
    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let describe = |err| ConfigError(describe(err));
        let mut settings: Settings = figment.extract_lossy().map_err(describe)?;
        settings.channels = channels::read(&figment)?;
        settings.channels.retain(|_, channel| channel.enabled);
        Ok(settings)
    }
}

/// One line per problem: `server.bind: invalid socket address syntax (from MITAN__SERVER__BIND)`.
fn describe(errors: figment::Error) -> String {
    errors
        .into_iter()
        .map(|err| {
            let key = if err.path.is_empty() {
                "(top level)".to_string()
            } else {
                err.path.join(".")
            };
            let source = err
                .metadata
                .as_ref()
                .map(|meta| match &meta.source {
                    Some(figment::Source::File(path)) => format!(" (in {})", path.display()),
                    _ if meta.name.contains("environment") => {
                        format!(" (from the environment: {})", env_name(&err.path))
                    }
                    _ => String::new(),
                })
                .unwrap_or_default();
            format!("{key}: {}{source}", what_is_wrong(&err.kind))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn env_name(path: &[String]) -> String {
    if path == ["database", "url"] {
        return "DATABASE_URL or MITAN__DATABASE__URL".into();
    }
    format!("MITAN__{}", path.join("__").to_ascii_uppercase())
}

/// What is wrong, without the value: the value may be a secret (figment's own messages for a bad
/// type or value quote it).
fn what_is_wrong(kind: &figment::error::Kind) -> String {
    use figment::error::Kind;
    match kind {
        Kind::UnknownField(field, _) => format!("unknown key {field:?}"),
        Kind::MissingField(field) => format!("missing key {field:?}"),
        Kind::InvalidType(actual, expected) => {
            format!("expected {expected}, found {}", kind_of(actual))
        }
        Kind::InvalidValue(actual, expected) => {
            format!(
                "expected {expected}, found {} that does not fit",
                kind_of(actual)
            )
        }
        Kind::Unsupported(actual) | Kind::UnsupportedKey(actual, _) => {
            format!("{} is not supported here", kind_of(actual))
        }
        Kind::UnknownVariant(found, expected) => {
            format!(
                "unknown value {found:?}, expected one of {}",
                expected.join(", ")
            )
        }
        other => other.to_string(),
    }
}

/// The kind of a value, never the value.
fn kind_of(actual: &figment::error::Actual) -> &'static str {
    use figment::error::Actual;
    match actual {
        Actual::Bool(_) => "a boolean",
        Actual::Unsigned(_) | Actual::Signed(_) => "a whole number",
        Actual::Float(_) => "a decimal number",
        Actual::Char(_) | Actual::Str(_) => "text",
        Actual::Seq => "a list",
        Actual::Map => "a table",
        _ => "a value of another kind",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use figment::providers::Serialized;

    fn with(key: &str, value: &str) -> Result<Settings, ConfigError> {
        Settings::from_figment(
            Figment::from(Toml::string(DEFAULT_TOML)).merge(Serialized::default(key, value)),
        )
    }

    #[test]
    fn the_built_in_defaults_are_a_complete_safe_development_config() {
        let settings = Settings::from_figment(Figment::from(Toml::string(DEFAULT_TOML))).unwrap();
        assert_eq!(settings.server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.database.url.expose(), "sqlite://data/mitan.db");
        assert!(!settings.security.require_master_key);
        assert!(settings.security.master_key.is_none());
        assert_eq!(settings.server.max_body_bytes, 64 * 1024);
        assert_eq!(settings.log.format, LogFormat::Human);
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = with("server.bind", "not-an-address")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("configuration: server.bind: "), "{err}");
        assert!(!err.contains('\n'));
    }

    #[test]
    fn an_unknown_key_is_refused() {
        let err = with("server.bnd", "127.0.0.1:1").unwrap_err().to_string();
        assert!(err.contains("unknown key \"bnd\""), "{err}");
    }

    #[test]
    fn an_unknown_log_format_lists_the_choices() {
        let err = with("log.format", "xml").unwrap_err().to_string();
        assert!(err.contains("log.format"), "{err}");
        assert!(err.contains("human, json"), "{err}");
    }

    #[test]
    fn database_urls_must_name_a_supported_backend() {
        let err = with("database.url", "mysql://x").unwrap_err().to_string();
        assert!(err.contains("database.url"), "{err}");
        assert!(with("database.url", "postgres://u:p@h/db").is_ok());
    }

    #[test]
    fn a_database_password_never_appears_when_printed() {
        let url = DatabaseUrl::try_from("postgres://mitan:s3cret@db/mitan".to_string()).unwrap();
        assert_eq!(url.to_string(), "postgres://mitan:***@db/mitan");
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn the_default_channels_are_there_and_a_channel_of_an_unknown_kind_is_refused() {
        let settings = Settings::from_figment(Figment::from(Toml::string(DEFAULT_TOML))).unwrap();
        let names: Vec<&str> = settings.channels.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "africastalking",
                "console",
                "exotel",
                "generic",
                "kannel",
                "twilio"
            ]
        );
        let err = with("channels.mine.kind", "carrier-pigeon")
            .unwrap_err()
            .to_string();
        assert!(err.contains("channels.mine.kind"), "{err}");
    }

    #[test]
    fn a_disabled_channel_is_gone() {
        let settings = Settings::from_figment(
            Figment::from(Toml::string(DEFAULT_TOML))
                .merge(Serialized::default("channels.console.enabled", false)),
        )
        .unwrap();
        assert!(!settings.channels.contains_key("console"));
        assert!(settings.channels.contains_key("africastalking"));
    }

    #[test]
    fn an_unknown_time_zone_is_refused() {
        let err = with("campaign.timezone", "Asia/Bilaspur")
            .unwrap_err()
            .to_string();
        assert!(err.contains("campaign.timezone"), "{err}");
    }

    #[test]
    fn the_campaign_rules_default_to_daytime_two_tips_a_week_and_government_contacts() {
        let settings = Settings::from_figment(Figment::from(Toml::string(DEFAULT_TOML))).unwrap();
        let campaign = &settings.campaign;
        assert_eq!(campaign.send_window.to_string(), "10:00-19:00");
        assert_eq!(campaign.max_tips_per_week, 2);
        assert_eq!(campaign.allowed_numbers, ["1930", "112"]);
        assert_eq!(
            campaign.allowed_domains,
            ["cybercrime.gov.in", "sancharsaathi.gov.in"]
        );
        let err = with("campaign.send_window", "19:00-10:00")
            .unwrap_err()
            .to_string();
        assert!(err.contains("campaign.send_window"), "{err}");
        assert!(err.contains("midnight"), "{err}");
    }

    #[test]
    fn an_error_about_a_setting_never_shows_its_value() {
        for key in [
            "security.master_key",
            "channels.twilio.auth_token",
            "channels.twilio.account_sid",
            "channels.africastalking.api_key",
            "channels.exotel.api_token",
            "channels.kannel.password",
            "channels.generic.secret",
            "channels.exotel.entity_id",
            "channels.exotel.template_id",
        ] {
            let err = Settings::from_figment(
                Figment::from(Toml::string(DEFAULT_TOML))
                    .merge(Serialized::default(key, 4_815_162_342_u64)),
            )
            .unwrap_err()
            .to_string();
            assert!(err.starts_with(&format!("configuration: {key}: ")), "{err}");
            assert!(
                err.contains("expected a string, found a whole number"),
                "{err}"
            );
            assert!(!err.contains("4815162342"), "{err}");
        }
        // A value in a file is never quoted either, whatever its type.
        let err = with("channels.twilio.tps", "s3cret-token")
            .unwrap_err()
            .to_string();
        assert!(err.contains("channels.twilio.tps"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        let vars = [(
            "MITAN__CHANNELS__GENERIC__SECRET__X".into(),
            "s3cret".into(),
        )];
        let err = Settings::from_figment(Settings::figment_with_env(None, vars).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("channels.generic.secret: expected a string, found a table"),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
    }

    #[test]
    fn an_unknown_region_is_refused() {
        let err = with("phone.default_region", "XX").unwrap_err().to_string();
        assert!(err.contains("phone.default_region"), "{err}");
        assert!(with("phone.default_region", "ke").is_ok());
    }
}
