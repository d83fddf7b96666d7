//! The environment layer of the settings. Every value stays the text it is: figment's own `Env`
//! provider guesses a type for each value, so a sender number (`+15005550006`), a digits-only
//! auth token or a 19-digit DLT id became a number, refused for a text setting or stripped of its
//! leading zeros. Here the setting decides: text settings take the text verbatim; numbers and
//! booleans are read from the text when the settings are extracted (figment's lossy
//! extraction); lists take `a,b` or `[a, b]` ([`text_list`]).

use figment::value::{Dict, Map, Value};
use figment::{Metadata, Profile, Provider};
use serde::Deserializer;

/// The environment layer: `MITAN__SECTION__KEY` (any case; `__` separates the levels, as
/// `MITAN__CHANNELS__TWILIO__AUTH_TOKEN` is `channels.twilio.auth_token`), and `DATABASE_URL` for
/// `database.url` (`MITAN__DATABASE__URL` wins over it). Every value stays the text it is.
pub(super) struct Environment {
    /// Dotted keys and their values, in the order they apply (a later one wins).
    values: Vec<(String, String)>,
}

impl Environment {
    const PREFIX: &'static str = "MITAN__";

    pub(super) fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let (mut database_url, mut values) = (None, Vec::new());
        for (name, value) in vars {
            let name = name.trim();
            if name.eq_ignore_ascii_case("DATABASE_URL") {
                database_url = Some(("database.url".to_string(), value));
                continue;
            }
            let prefixed = name
                .get(..Self::PREFIX.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(Self::PREFIX));
            if !prefixed {
                continue;
            }
            let levels: Vec<String> = name[Self::PREFIX.len()..]
                .split("__")
                .map(str::to_ascii_lowercase)
                .collect();
            if levels.iter().all(|level| !level.is_empty()) {
                values.push((levels.join("."), value));
            }
        }
        // The environment has no order of its own: a key applies after the table holding it.
        values.sort_by(|a, b| a.0.cmp(&b.0));
        Self {
            values: database_url.into_iter().chain(values).collect(),
        }
    }
}

impl Provider for Environment {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable(s)")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (key, value) in &self.values {
            insert(&mut dict, key, value);
        }
        Ok(Profile::Default.collect(dict))
    }
}

/// Puts `value` as text at the dotted `key`, making the tables on the way.
fn insert(dict: &mut Dict, key: &str, value: &str) {
    let Some((head, rest)) = key.split_once('.') else {
        dict.insert(key.to_string(), Value::from(value.to_string()));
        return;
    };
    let table = dict
        .entry(head.to_string())
        .or_insert_with(|| Value::from(Dict::new()));
    if !matches!(table, Value::Dict(..)) {
        *table = Value::from(Dict::new());
    }
    if let Value::Dict(_, inner) = table {
        insert(inner, rest, value);
    }
}

/// A list of texts: an array in a file, or from the environment `a,b` or `[a, b]` (items may be
/// quoted; each is taken as written otherwise).
pub(super) fn text_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<String>, D::Error> {
    struct Texts;

    impl<'de> serde::de::Visitor<'de> for Texts {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of texts")
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut items = Vec::new();
            while let Some(item) = seq.next_element::<String>()? {
                items.push(item);
            }
            Ok(items)
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Self::Value, E> {
            let text = text.trim();
            let inner = text
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .unwrap_or(text);
            Ok(inner
                .split(',')
                .map(|item| {
                    let item = item.trim();
                    ['"', '\'']
                        .iter()
                        .find_map(|q| item.strip_prefix(*q).and_then(|i| i.strip_suffix(*q)))
                        .unwrap_or(item)
                })
                .filter(|item| !item.is_empty())
                .map(str::to_string)
                .collect())
        }
    }

    deserializer.deserialize_any(Texts)
}

#[cfg(test)]
mod tests {
    use secrecy::{ExposeSecret as _, SecretString};

    use super::super::{ConfigError, Settings};
    use crate::providers::ChannelSettings;
    use crate::providers::ProviderSettings;

    /// The settings with these environment variables (and nothing else from the environment).
    fn from_env(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::from_figment(Settings::figment_with_env(None, vars)?)
    }

    type Read = fn(&Settings) -> Option<String>;

    fn channel(settings: &Settings, name: &str) -> ChannelSettings {
        settings.channels[name].clone()
    }

    /// The settings of the default channel of that kind, of its own kind's type.
    macro_rules! own {
        ($settings:expr, $kind:ident, $name:literal) => {
            match channel($settings, $name).provider {
                ProviderSettings::$kind(own) => own,
                other => panic!("{} is {:?}", $name, other.kind()),
            }
        };
    }

    fn secret(value: &Option<SecretString>) -> Option<String> {
        value.as_ref().map(|s| s.expose_secret().to_string())
    }

    /// Every text setting, with a value that looks like a number (or a boolean, or a list), and
    /// how to read it back.
    fn text_settings() -> Vec<(&'static str, &'static str, Read)> {
        vec![
            ("MITAN__SERVER__PUBLIC_URL", "0012", |s| {
                Some(s.server.public_url.clone())
            }),
            ("MITAN__CAMPAIGN__USSD_CODE", "38425", |s| {
                Some(s.campaign.ussd_code.clone())
            }),
            ("MITAN__OUTBOUND__DEFAULT_CHANNEL", "007", |s| {
                Some(s.outbound.default_channel.clone())
            }),
            ("MITAN__LOG__FILTER", "true", |s| Some(s.log.filter.clone())),
            (
                "MITAN__SECURITY__MASTER_KEY",
                "0123456789012345678901234567890123456789",
                |s| secret(&s.security.master_key),
            ),
            ("MITAN__SECURITY__MASTER_KEY_FILE", "00123", |s| {
                Some(s.security.master_key_file.display().to_string())
            }),
            ("MITAN__CAMPAIGN__AREAS_FILE", "1e3", |s| {
                s.campaign
                    .areas_file
                    .as_ref()
                    .map(|p| p.display().to_string())
            }),
            ("MITAN__CHANNELS__AFRICASTALKING__USERNAME", "0042", |s| {
                own!(s, Africastalking, "africastalking").username
            }),
            (
                "MITAN__CHANNELS__AFRICASTALKING__API_KEY",
                "000000000000000000000001",
                |s| secret(&own!(s, Africastalking, "africastalking").api_key),
            ),
            ("MITAN__CHANNELS__AFRICASTALKING__FROM", "56767", |s| {
                own!(s, Africastalking, "africastalking").from
            }),
            (
                "MITAN__CHANNELS__TWILIO__ACCOUNT_SID",
                "0098765432109876543210",
                |s| own!(s, Twilio, "twilio").account_sid,
            ),
            (
                "MITAN__CHANNELS__TWILIO__AUTH_TOKEN",
                "00123456789012345678901234567890",
                |s| secret(&own!(s, Twilio, "twilio").auth_token),
            ),
            ("MITAN__CHANNELS__TWILIO__FROM", "+15005550006", |s| {
                own!(s, Twilio, "twilio").from
            }),
            ("MITAN__CHANNELS__EXOTEL__API_TOKEN", "0.50", |s| {
                secret(&own!(s, Exotel, "exotel").api_token)
            }),
            (
                "MITAN__CHANNELS__EXOTEL__ENTITY_ID",
                "1101000000000012345",
                |s| own!(s, Exotel, "exotel").entity_id,
            ),
            ("MITAN__CHANNELS__EXOTEL__HEADER", "000123", |s| {
                own!(s, Exotel, "exotel").header
            }),
            (
                "MITAN__CHANNELS__EXOTEL__TEMPLATE_ID",
                "9999999999999999999",
                |s| own!(s, Exotel, "exotel").template_id,
            ),
            (
                "MITAN__CHANNELS__EXOTEL__OPTIN_NUMBER",
                "08047192000",
                |s| channel(s, "exotel").optin_number,
            ),
            (
                "MITAN__CHANNELS__EXOTEL__OPTOUT_NUMBER",
                "+918047192001",
                |s| channel(s, "exotel").optout_number,
            ),
            ("MITAN__CHANNELS__KANNEL__PASSWORD", "[0123]", |s| {
                secret(&own!(s, Kannel, "kannel").password)
            }),
            ("MITAN__CHANNELS__GENERIC__SECRET", "000000", |s| {
                secret(&own!(s, Generic, "generic").secret)
            }),
        ]
    }

    #[test]
    fn every_text_setting_takes_its_value_from_the_environment_exactly_as_written() {
        let settings = text_settings();
        let vars: Vec<(&str, &str)> = settings.iter().map(|(k, v, _)| (*k, *v)).collect();
        let loaded = from_env(&vars).unwrap();
        for (name, value, read) in &settings {
            assert_eq!(read(&loaded).as_deref(), Some(*value), "{name}");
        }
        // One at a time too, so that no value is read only because another came with it.
        for (name, value, read) in &settings {
            let loaded = from_env(&[(name, value)]).unwrap_or_else(|err| panic!("{name}: {err}"));
            assert_eq!(read(&loaded).as_deref(), Some(*value), "{name}");
        }
    }

    #[test]
    fn numbers_and_booleans_from_the_environment_are_still_read_as_such() {
        let settings = from_env(&[
            ("MITAN__CHANNELS__TWILIO__TPS", "25"),
            ("MITAN__CHANNELS__TWILIO__BURST", "005"),
            ("mitan__server__max_body_bytes", "2048"),
            ("MITAN__CAMPAIGN__PRICE_PER_SMS_PART", "0.25"),
            ("MITAN__CHANNELS__CONSOLE__ENABLED", "false"),
            ("MITAN__CAMPAIGN__CODE_LENGTH", "7"),
            ("MITAN__SERVER__BIND", "0.0.0.0:9000"),
        ])
        .unwrap();
        let twilio = &settings.channels["twilio"];
        assert_eq!((twilio.tps, twilio.burst), (25, Some(5)));
        assert_eq!(settings.server.max_body_bytes, 2048);
        assert_eq!(settings.campaign.price_per_sms_part, 0.25);
        assert!(!settings.channels.contains_key("console"));
        assert_eq!(settings.campaign.code_length.0, 7);
        assert_eq!(settings.server.bind.to_string(), "0.0.0.0:9000");

        for (name, value, key) in [
            ("MITAN__CHANNELS__TWILIO__TPS", "ten", "channels.twilio.tps"),
            ("MITAN__CHANNELS__TWILIO__TPS", "-1", "channels.twilio.tps"),
            (
                "MITAN__CHANNELS__TWILIO__TPS",
                "99999999999",
                "channels.twilio.tps",
            ),
            (
                "MITAN__SERVER__MAX_BODY_BYTES",
                "1e3",
                "server.max_body_bytes",
            ),
            (
                "MITAN__CHANNELS__CONSOLE__ENABLED",
                "maybe",
                "channels.console.enabled",
            ),
        ] {
            let err = from_env(&[(name, value)]).unwrap_err().to_string();
            assert!(err.starts_with(&format!("configuration: {key}: ")), "{err}");
            assert!(
                err.contains(&format!("(from the environment: {name})")),
                "{err}"
            );
            assert!(!err.contains('\n'), "{err}");
        }
    }

    #[test]
    fn lists_from_the_environment_are_comma_separated_or_bracketed() {
        for text in [
            "1930,112,0771",
            "[1930, 112, 0771]",
            "[\"1930\", \"112\", '0771']",
        ] {
            let settings = from_env(&[("MITAN__CAMPAIGN__ALLOWED_NUMBERS", text)]).unwrap();
            assert_eq!(
                settings.campaign.allowed_numbers,
                ["1930", "112", "0771"],
                "{text}"
            );
        }
        let settings = from_env(&[("MITAN__CAMPAIGN__ALLOWED_DOMAINS", "[]")]).unwrap();
        assert!(settings.campaign.allowed_domains.is_empty());
    }

    #[test]
    fn the_database_url_variable_is_read_and_mitan_s_own_wins_over_it() {
        let url = "postgres://mitan:00123@db/mitan";
        let settings = from_env(&[("DATABASE_URL", url)]).unwrap();
        assert_eq!(settings.database.url.expose(), url);
        let settings = from_env(&[
            ("MITAN__DATABASE__URL", "sqlite://own.db"),
            ("DATABASE_URL", url),
        ])
        .unwrap();
        assert_eq!(settings.database.url.expose(), "sqlite://own.db");
        let err = from_env(&[("DATABASE_URL", "mysql://x")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("DATABASE_URL or MITAN__DATABASE__URL"),
            "{err}"
        );
    }
}
