//! `channels.<name>`: the keys every channel takes, and those of its kind.
//!
//! Which keys a channel may have depends on its `kind`, so a channel is read in two steps: first
//! the keys every channel takes ([`Common`], read with the rest of the settings by figment's
//! lossy extraction, so `tps` and `enabled` are read from the environment's text), then the
//! remaining keys as the kind's own settings ([`ProviderSettings::deserialize_as`]: one struct
//! per kind, refusing any key the kind does not take). The kind's keys are all text, read as
//! written.
//!
//! serde's internally tagged enum (`#[serde(tag = "kind")]`) cannot do this: it buffers the
//! table into serde's own `Content` before it knows the variant, so figment's lossy reading is
//! lost (`tps = "25"` from the environment is refused as text), and so are the key and the
//! source of any error (`channels.twilio: expected u32` instead of
//! `channels.twilio.tps: … (from the environment: MITAN__CHANNELS__TWILIO__TPS)`).

use std::collections::BTreeMap;

use figment::error::Kind;
use figment::value::{Dict, Value};
use figment::Figment;
use serde::{Deserialize, Deserializer};

use super::{describe, ConfigError};
use crate::providers::{ChannelKind, ChannelSettings, ProviderSettings};

/// The keys every channel takes, whatever its kind: [`Common`]'s fields.
const COMMON_KEYS: [&str; 8] = [
    "kind",
    "enabled",
    "tps",
    "burst",
    "optin_number",
    "optout_number",
    "voice_number",
    "voice_cps",
];

/// A channel's keys that every kind takes (the first step; the kind's own keys are ignored
/// here and read in the second).
#[derive(Deserialize)]
#[serde(expecting = "a table of the channel's settings")]
struct Common {
    kind: ChannelKind,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    #[serde(default = "default_tps")]
    tps: u32,
    burst: Option<u32>,
    optin_number: Option<String>,
    optout_number: Option<String>,
    voice_number: Option<String>,
    #[serde(default = "default_voice_cps")]
    voice_cps: u32,
}

fn default_voice_cps() -> u32 {
    1
}

fn enabled_by_default() -> bool {
    true
}

fn default_tps() -> u32 {
    10
}

/// The first step, of every channel at once.
#[derive(Deserialize)]
struct Channels {
    channels: BTreeMap<String, Common>,
}

/// While the other settings are read, `channels` is only set aside: [`read`] reads it once
/// each channel's kind is known.
pub(super) fn read_later<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, ChannelSettings>, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer)?;
    Ok(BTreeMap::new())
}

/// Every channel (enabled or not) of the layered settings.
pub(super) fn read(figment: &Figment) -> Result<BTreeMap<String, ChannelSettings>, ConfigError> {
    let failed = |err| ConfigError(describe(err));
    let Channels { channels } = figment.extract_lossy().map_err(failed)?;
    let tables = match figment.find_value("channels").map_err(failed)? {
        Value::Dict(_, tables) => tables,
        // Not a table: the first step has refused it already.
        _ => Dict::new(),
    };
    channels
        .into_iter()
        .map(|(name, common)| {
            let own: Dict = match tables.get(&name) {
                Some(Value::Dict(_, keys)) => keys
                    .iter()
                    .filter(|(key, _)| !COMMON_KEYS.contains(&key.as_str()))
                    .map(|(key, value)| (key.clone(), value.clone()))
                    .collect(),
                _ => Dict::new(),
            };
            let provider = ProviderSettings::deserialize_as(common.kind, &Value::from(own.clone()))
                .map_err(|err| failed(located(err, figment, &name, &own, common.kind)))?;
            let settings = ChannelSettings {
                enabled: common.enabled,
                tps: common.tps,
                burst: common.burst,
                optin_number: common.optin_number,
                optout_number: common.optout_number,
                voice_number: common.voice_number,
                voice_cps: common.voice_cps,
                provider,
            };
            Ok((name, settings))
        })
        .collect()
}

/// An error about one of the kind's own keys, as the first step would have given it: under
/// its full key, with where its value came from; an unknown key says what the kind takes.
fn located(
    mut err: figment::Error,
    figment: &Figment,
    name: &str,
    own: &Dict,
    kind: ChannelKind,
) -> figment::Error {
    if let Some(value) = err.path.first().and_then(|key| own.get(key)) {
        err.metadata = figment.get_metadata(value.tag()).cloned();
    }
    if let Kind::UnknownField(key, takes) = &err.kind {
        let takes = if takes.is_empty() {
            "no keys of its own".to_string()
        } else {
            takes.join(", ")
        };
        err.kind = Kind::Message(format!(
            "unknown key {key:?}: a {kind} channel takes {takes}, besides {}",
            COMMON_KEYS.join(", "),
            kind = kind.name(),
        ));
    }
    err.path
        .splice(0..0, ["channels".to_string(), name.to_string()]);
    err
}

#[cfg(test)]
mod tests {
    use figment::providers::{Format as _, Serialized, Toml};
    use secrecy::ExposeSecret as _;

    use super::*;
    use crate::config::{ConfigError, Settings, DEFAULT_TOML};
    use crate::providers::{generic, twilio};

    fn with(values: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let figment = values
            .iter()
            .fold(Figment::from(Toml::string(DEFAULT_TOML)), |f, (k, v)| {
                f.merge(Serialized::default(k, v))
            });
        Settings::from_figment(figment)
    }

    /// The most messages a limiter with `quota` lets through in any one second, and how many
    /// it let through in all, when asked every millisecond for `seconds`.
    fn busiest_second(quota: governor::Quota, seconds: u64) -> (usize, usize) {
        use governor::clock::FakeRelativeClock;
        let clock = FakeRelativeClock::default();
        let limiter = governor::RateLimiter::direct_with_clock(quota, clock.clone());
        let mut sent = Vec::new();
        for ms in 0..seconds * 1000 {
            while limiter.check().is_ok() {
                sent.push(ms);
            }
            clock.advance(std::time::Duration::from_millis(1));
        }
        let busiest = sent
            .iter()
            .map(|start| {
                sent.iter()
                    .filter(|t| (*start..start + 1000).contains(*t))
                    .count()
            })
            .max()
            .unwrap_or(0);
        (busiest, sent.len())
    }

    #[test]
    fn a_channel_s_pacing_keeps_to_its_rate_and_burst() {
        let settings = with(&[]).unwrap();
        let at = |tps, burst| ChannelSettings {
            tps,
            burst,
            ..settings.channels["generic"].clone()
        };
        let channel = at(500, Some(50));
        // 500 a second after a burst of 50, never more than 550 in a second. Several instances
        // each pace at the whole rate; on PostgreSQL a shared bucket keeps their sum to it.
        let (busiest, sent) = busiest_second(channel.quota(), 3);
        assert!((545..=550).contains(&busiest), "{busiest}");
        assert!((1549..=1551).contains(&sent), "{sent}");
        assert_eq!(channel.burst(), 50);
        // The default burst is a tenth of the rate; a slow channel still sends one at a time.
        let (busiest, _) = busiest_second(at(500, None).quota(), 2);
        assert!((545..=550).contains(&busiest), "{busiest}");
        assert_eq!(at(500, None).burst(), 50);
        assert_eq!(at(3, None).burst(), 1);
        let (busiest, sent) = busiest_second(at(3, None).quota(), 4);
        assert_eq!((busiest, sent), (3, 12));
    }

    #[test]
    fn a_key_of_another_kind_is_refused_naming_the_key_and_what_the_kind_takes() {
        for (key, kind, takes) in [
            (
                "channels.twilio.secret",
                "twilio",
                "base_url, account_sid, auth_token, from",
            ),
            (
                "channels.africastalking.entity_id",
                "africastalking",
                "base_url, username, api_key, from",
            ),
            (
                "channels.generic.auth_token",
                "generic",
                "base_url, secret, entity_id, header, template_id",
            ),
            ("channels.console.base_url", "console", "no keys of its own"),
            ("channels.exotel.passwrd", "exotel", "api_key, api_token"),
        ] {
            let err = with(&[(key, "x")]).unwrap_err().to_string();
            let field = key.rsplit('.').next().unwrap();
            assert!(
                err.starts_with(&format!(
                    "configuration: {key}: unknown key \"{field}\": a {kind} channel takes "
                )),
                "{err}"
            );
            assert!(err.contains(takes), "{err}");
            assert!(err.contains(", besides kind, enabled, tps, burst"), "{err}");
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn an_unknown_key_from_the_environment_says_which_variable_holds_it() {
        let vars = [("MITAN__CHANNELS__TWILIO__SECRET".into(), "x".into())];
        let err = Settings::from_figment(Settings::figment_with_env(None, vars).unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("configuration: channels.twilio.secret: unknown key \"secret\""),
            "{err}"
        );
        assert!(
            err.ends_with("(from the environment: MITAN__CHANNELS__TWILIO__SECRET)"),
            "{err}"
        );
    }

    #[test]
    fn every_kind_takes_the_keys_every_channel_takes() {
        for name in [
            "africastalking",
            "twilio",
            "exotel",
            "kannel",
            "generic",
            "console",
        ] {
            let key = |k: &str| format!("channels.{name}.{k}");
            let keys = [
                key("tps"),
                key("burst"),
                key("optin_number"),
                key("optout_number"),
            ];
            let settings = with(&[
                (&keys[0], "7"),
                (&keys[1], "3"),
                (&keys[2], "08047192000"),
                (&keys[3], "08047192001"),
            ])
            .unwrap_or_else(|err| panic!("{name}: {err}"));
            let channel = &settings.channels[name];
            assert_eq!(channel.kind().name(), name);
            assert_eq!((channel.tps, channel.burst), (7, Some(3)), "{name}");
            assert_eq!(channel.optin_number.as_deref(), Some("08047192000"));
            assert_eq!(channel.optout_number.as_deref(), Some("08047192001"));
            let off = with(&[(&key("enabled"), "false")]).unwrap();
            assert!(!off.channels.contains_key(name), "{name}");
        }
    }

    #[test]
    fn a_kind_reads_its_own_keys_into_its_own_settings() {
        let settings = with(&[
            ("channels.twilio.auth_token", "t0ken"),
            ("channels.twilio.from", "+15005550006"),
            ("channels.generic.secret", "s3cret"),
            ("channels.generic.base_url", "http://relay.internal:9000/"),
        ])
        .unwrap();
        let ProviderSettings::Twilio(twilio::TwilioSettings {
            auth_token, from, ..
        }) = &settings.channels["twilio"].provider
        else {
            panic!("not a twilio channel");
        };
        assert_eq!(auth_token.as_ref().unwrap().expose_secret(), "t0ken");
        assert_eq!(from.as_deref(), Some("+15005550006"));
        let ProviderSettings::Generic(generic::GenericSettings {
            secret, base_url, ..
        }) = &settings.channels["generic"].provider
        else {
            panic!("not a generic channel");
        };
        assert_eq!(secret.as_ref().unwrap().expose_secret(), "s3cret");
        assert_eq!(
            base_url.as_ref().map(url::Url::as_str),
            Some("http://relay.internal:9000/")
        );
    }

    #[test]
    fn a_channel_without_a_kind_or_that_is_not_a_table_is_refused_by_name() {
        let err = with(&[("channels.mine.tps", "3")]).unwrap_err().to_string();
        assert!(
            err.starts_with("configuration: channels.mine: missing key \"kind\""),
            "{err}"
        );
        let err = with(&[("channels.mine", "twilio")])
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("configuration: channels.mine: "), "{err}");
        let err = Settings::from_figment(
            Figment::from(Toml::string(DEFAULT_TOML))
                .merge(Serialized::default("channels.twilio.base_url", "not a url")),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("configuration: channels.twilio.base_url: "),
            "{err}"
        );
    }
}
