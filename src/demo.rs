//! Training mode, `mitan serve --demo`: the whole service on a throwaway database, for trainers
//! with a laptop and a projector. Nothing it does can reach a real person or a real figure:
//!
//! - its database is a fresh SQLite file in a temporary folder, under a key made for the run and
//!   kept in memory; both are gone when the process stops, so it never holds a real campaign's
//!   people, and a real campaign's database never holds a simulated one;
//! - the only channel is `console`: messages are "sent" into the process's memory, never through
//!   an aggregator;
//! - the phones the browser simulator (`/simulator`) gives out are from a range reserved for
//!   fiction, so even a number copied out of the room reaches nobody.
//!
//! It seeds what a training needs: a police officer with an opt-in code (to join "with an
//! officer's code") and a `trainer` dashboard user, whose password it prints.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, Utc};

use crate::access::{self, Role};
use crate::config::Settings;
use crate::enrollment::RecruiterKind;
use crate::privacy::MasterKey;
use crate::providers::{ChannelSettings, ProviderSettings};
use crate::store::{NewRecruiter, NewUser, Store};

/// The dashboard user a training signs in as.
pub const TRAINER: &str = "trainer";

/// Demo phones: `+1 NPA 555 01XX`, the North American numbers reserved for fiction (555-0100 to
/// 555-0199 in every area code), which libphonenumber takes as valid mobile-capable numbers.
const AREA_CODES: [u32; 10] = [201, 202, 212, 303, 312, 415, 503, 617, 702, 808];

/// The demo phone numbered `n`: a hundred per area code, then the next area code, round again.
pub fn demo_phone(n: u32) -> String {
    let area = AREA_CODES[(n / 100) as usize % AREA_CODES.len()];
    format!("+1{area}55501{:02}", n % 100)
}

/// What a running training knows: the officer's code to join with, and the next demo phone.
pub struct Demo {
    pub officer_code: String,
    next_phone: AtomicU32,
}

impl Demo {
    /// A fresh demo phone for the next trainee.
    pub fn next_phone(&self) -> String {
        demo_phone(self.next_phone.fetch_add(1, Ordering::Relaxed))
    }
}

/// The training's settings: `settings` (the server, the campaign, the texts) on a database in
/// `dir` under a key of the run, with the console channel alone. Refuses a configuration with no
/// console channel to send through.
pub fn settings(mut settings: Settings, dir: &std::path::Path) -> anyhow::Result<Settings> {
    let url = format!("sqlite://{}?mode=rwc", dir.join("demo.db").display());
    settings.database.url = url.try_into().map_err(anyhow::Error::msg)?;
    settings.security.master_key = Some(MasterKey::generate().to_base64().to_string().into());
    settings.security.master_key_file = dir.join("master.key");
    settings
        .channels
        .retain(|_, channel| channel.provider.is_console());
    if settings.channels.is_empty() {
        settings.channels.insert(
            "console".into(),
            ChannelSettings {
                enabled: true,
                tps: 10,
                burst: None,
                optin_number: None,
                optout_number: None,
                voice_number: None,
                voice_cps: 1,
                provider: ProviderSettings::Console(Default::default()),
            },
        );
    }
    let console = settings.channels.keys().next().cloned();
    settings.outbound.default_channel = console.unwrap_or_default();
    settings.outbound.workers = settings.outbound.workers.max(1);
    Ok(settings)
}

/// Seeds a training's database: the officer, and the trainer with a fresh password (answered).
pub async fn seed(
    store: &Store,
    quota: u32,
    code_length: usize,
    at: DateTime<Utc>,
) -> anyhow::Result<(Demo, String)> {
    let (_, code) = store
        .create_recruiter(&NewRecruiter {
            kind: RecruiterKind::Police,
            name: "SI Demo (training)",
            area_id: None,
            phone: None,
            quota: i64::from(quota),
            recruited_by: None,
            code_length,
            at,
        })
        .await?;
    let password = access::generate_password();
    store
        .create_user(&NewUser {
            username: TRAINER,
            role: Role::Admin,
            recruiter_id: None,
            password_hash: &access::hash_password(&password),
            at,
        })
        .await?;
    let demo = Demo {
        officer_code: code.to_string(),
        next_phone: AtomicU32::new(0),
    };
    Ok((demo, password))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::Msisdn;

    #[test]
    fn demo_phones_are_valid_numbers_from_the_range_reserved_for_fiction() {
        let mut seen = std::collections::HashSet::new();
        for n in 0..1_000 {
            let phone = demo_phone(n);
            let parsed = Msisdn::parse(&phone, phonenumber::country::Id::IN)
                .unwrap_or_else(|err| panic!("{phone}: {err}"));
            assert_eq!(parsed.e164(), phone);
            assert_eq!(&phone[5..10], "55501", "{phone}");
            assert!(
                seen.insert(phone),
                "each trainee gets a number of their own"
            );
        }
    }
}
