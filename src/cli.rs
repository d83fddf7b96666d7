//! The command line: `mitan [serve]`, `mitan migrate`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::app::{self, Application};
use crate::config::Settings;
use crate::store::Store;
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "mitan",
    version,
    about = "SMS/USSD gateway for the Cyber Mitan campaign"
)]
pub struct Cli {
    /// A TOML file layered over the built-in defaults (environment variables still win).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print every USSD screen in every language, with its size, for review by translators.
    Screens,
    /// A feature phone in the terminal: dial a running mitan and answer its screens.
    Simulate {
        /// The number the handset dials from.
        #[arg(long)]
        phone: String,
        /// Where mitan listens (default: `server.bind` of the configuration).
        #[arg(long)]
        url: Option<String>,
        /// The channel to dial through (Africa's Talking dialect: `africastalking` or `console`).
        #[arg(long, default_value = "africastalking")]
        channel: String,
        /// Send SMS instead of dialling: each line typed is an SMS to the `console` channel, and
        /// the replies are shown as mitan sends them.
        #[arg(long)]
        sms: bool,
    },
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let settings = Settings::load(self.config.as_deref())?;
        telemetry::init(&settings.log);
        match self.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(settings).await,
            Command::Migrate => migrate(settings).await,
            Command::Screens => {
                screens(&settings);
                Ok(())
            }
            Command::Simulate {
                phone,
                url,
                channel,
                sms,
            } => {
                let url = url.unwrap_or_else(|| format!("http://{}", settings.server.bind));
                let phone = crate::simulate::Phone {
                    url,
                    channel: if sms { "console".to_string() } else { channel },
                    phone,
                    service_code: settings.campaign.ussd_code.clone(),
                };
                if sms {
                    phone.run_sms().await
                } else {
                    phone.run().await
                }
            }
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    app::cancel_on_signal(shutdown.clone());
    Application::build(settings)
        .await?
        .run_until(shutdown)
        .await
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    store.close().await;
    println!("migrations applied ({})", store.backend_name());
    Ok(())
}

fn screens(settings: &Settings) {
    use crate::encoding::{sms_cost, Encoding, USSD_GSM7_MAX, USSD_UCS2_MAX};
    use crate::ussd::texts::{all_locales, catalogue, locale, Texts};
    let texts = Texts::new(
        &settings.campaign.ussd_code,
        crate::tips::TipLibrary::seed(),
    );
    for (language, script) in all_locales() {
        println!("=============== {}", locale(language, script));
        for (label, screen) in catalogue(&texts, language, script) {
            let cost = sms_cost(&screen);
            let limit = match cost.encoding {
                Encoding::Gsm7 => USSD_GSM7_MAX,
                Encoding::Ucs2 => USSD_UCS2_MAX,
            };
            println!(
                "--- {label} ({}/{limit} {:?})\n{screen}",
                cost.units, cost.encoding
            );
        }
    }
}
