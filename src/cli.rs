//! The command line: `mitan [serve]`, `mitan migrate`, `mitan token create|revoke|list`,
//! `mitan tips import FILE`, `mitan cards --recruiter ID|--event-code CODE --out FILE.pdf`.

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

/// `println!` that fails instead of panicking when standard output has gone (`mitan screens |
/// head`): the error reaches `main`, which ends quietly on a broken pipe.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?
    }};
}
use tokio_util::sync::CancellationToken;

use crate::access::{self, Role, TokenRequest};
use crate::app::{self, Application};
use crate::config::Settings;
use crate::store::Store;
use crate::store::{NewUser, StoreError};
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
    Serve {
        /// Training mode: a throwaway database (gone when the service stops), the console
        /// channel alone, a seeded officer and trainer, and the browser phone at /simulator.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Write a consistent copy of the SQLite database to FILE while the service runs (numbers
    /// stay sealed; the master key is not in it: keep the two apart).
    Backup {
        /// Where the copy goes; it must not exist yet.
        file: std::path::PathBuf,
    },
    /// Put a backup made by `mitan backup` in place of the SQLite database, after checking that
    /// the configured master key is the one its numbers are sealed with. The service must be
    /// stopped and the database file moved away first.
    Restore {
        /// The backup to restore.
        file: std::path::PathBuf,
    },
    /// The master key: make a new one, rotate the database to it.
    #[command(subcommand)]
    Keys(KeysCommand),
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
    /// Admin API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Dashboard users (the web pages under /admin).
    #[command(subcommand)]
    User(UserCommand),
    /// The scam check: try the rules on a message, or measure them on a labelled corpus.
    #[command(subcommand)]
    Scam(ScamCommand),
    /// Code cards to print: an A4 PDF of 85 x 55 mm cards, ten to a page with cut marks, in
    /// Hindi with a line in Chhattisgarhi (audited as `cards.print`).
    #[command(group(clap::ArgGroup::new("whose").required(true).args(["recruiter", "event_code"])))]
    Cards {
        /// The recruiter whose own code the cards carry.
        #[arg(long, value_name = "ID")]
        recruiter: Option<i64>,
        /// An event code (it must still credit joins); the cards name its event and last day.
        #[arg(long, value_name = "CODE")]
        event_code: Option<String>,
        /// How many cards (ten to a page).
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
        count: u32,
        /// Where the PDF goes (replaced if it exists).
        #[arg(long, value_name = "FILE.pdf")]
        out: PathBuf,
    },
    /// The tip library.
    Tips {
        #[command(subcommand)]
        action: TipsCommand,
    },
    /// Tips by phone call: the recordings in `voice.audio_dir`.
    #[command(subcommand)]
    Voice(VoiceCommand),
}

#[derive(Debug, Subcommand)]
pub enum VoiceCommand {
    /// List every recording the service would play, the files it leaves out and why, and the
    /// active tips still without a recording in a language.
    Check,
    /// Speak placeholder recordings of every active tip and every prompt, in Hindi,
    /// Chhattisgarhi (with the Hindi voice) and English, with espeak-ng and sox. Real
    /// recordings are never replaced; placeholders only with --force.
    Synth {
        /// Speak again the placeholders already there.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ScamCommand {
    /// Prints `category: <kind or none>`, then the SMS reply a villager forwarding TEXT gets.
    Check {
        /// The reply's language.
        #[arg(long, value_enum, default_value = "en")]
        language: LanguageArg,
        /// The message, as forwarded.
        text: String,
    },
    /// Per-category precision and recall of the rules on a labelled corpus (JSON lines, as
    /// tests/fixtures/scams/corpus.jsonl).
    Figures {
        file: PathBuf,
        /// Which part: `holdout` (never tuned on), `tune`, or `all`.
        #[arg(long, default_value = "holdout")]
        split: String,
        /// Also list every message the rules get wrong, with its scores.
        #[arg(long)]
        misses: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LanguageArg {
    /// Hindi (Devanagari).
    Hi,
    /// Chhattisgarhi.
    Hne,
    /// English.
    En,
    /// Hindi in Roman letters.
    HiLatn,
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Write a new random master key to FILE (created readable by its owner alone).
    New {
        /// Where the key goes; it must not exist yet.
        file: PathBuf,
    },
    /// Re-seal every stored number, and re-derive every blind index and tag, under the key in
    /// FILE, in batches, while the service runs; run with the configuration the service runs
    /// with (its key is the old one). Interrupted, the same command resumes. The service stops
    /// itself when the rotation begins: start it again with the new key.
    Rotate {
        /// The new master key (base64 of 32 bytes, as `mitan keys new` writes it).
        #[arg(long)]
        new_key_file: PathBuf,
        /// Numbers re-sealed per transaction.
        #[arg(long, default_value_t = crate::rotation::BATCH, value_parser = clap::value_parser!(u32).range(1..=5000))]
        batch: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum TipsCommand {
    /// Load tips from FILE into the database: JSON in the format of config/tips.json, or CSV
    /// (`.csv`) with the header `id,category,order,lang,script,text,template_id`. Valid rows are
    /// saved (a tip already there, by id, is updated); each invalid row is reported, and the exit
    /// code is 1 if there was any.
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it (as the last line): it is shown only this once.
    Create {
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The recruiter whose subtree an officer token sees (required for officers).
        #[arg(long, value_name = "ID")]
        recruiter: Option<i64>,
        /// Who holds the token, as the audit log will name it.
        #[arg(long, value_name = "TEXT")]
        name: String,
    },
    /// Revoke a token: it stops working at once.
    Revoke {
        #[arg(value_name = "ID")]
        id: i64,
    },
    /// List tokens (never their text).
    List,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user and print their password (as the last line), shown only this once.
    Create {
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The recruiter whose subtree an officer sees (required for officers).
        #[arg(long, value_name = "ID")]
        recruiter: Option<i64>,
        /// The username they sign in with.
        #[arg(long, value_name = "NAME")]
        name: String,
        /// Read the password from standard input (its first line) instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users (never their passwords).
    List,
    /// Disable a user: their sessions end at once and they cannot sign in again.
    Disable {
        #[arg(value_name = "ID")]
        id: i64,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Everything.
    Admin,
    /// The figures of one recruiter's subtree.
    Officer,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Officer => Role::Officer,
        }
    }
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let settings = Settings::load(self.config.as_deref())?;
        telemetry::init(&settings.log);
        match self.command.unwrap_or(Command::Serve { demo: false }) {
            Command::Serve { demo: false } => serve(settings).await,
            Command::Serve { demo: true } => serve_demo(settings).await,
            Command::Migrate => migrate(settings).await,
            Command::Backup { file } => back_up(settings, &file).await,
            Command::Restore { file } => restore(settings, &file).await,
            Command::Keys(KeysCommand::New { file }) => {
                let key = crate::privacy::create_key_file(&file)?;
                out!(
                    "wrote a new master key (id {}) to {}",
                    crate::privacy::Vault::new(&key).key_id(),
                    file.display()
                );
                Ok(())
            }
            Command::Keys(KeysCommand::Rotate {
                new_key_file,
                batch,
            }) => rotate_keys(settings, &new_key_file, batch).await,
            Command::Scam(command) => scam(&settings, command),
            Command::Screens => screens(&settings),
            Command::Tips {
                action: TipsCommand::Import { file },
            } => import_tips(settings, &file).await,
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
            Command::Cards {
                recruiter,
                event_code,
                count,
                out,
            } => {
                let whose = match (recruiter, event_code.as_deref()) {
                    (Some(id), _) => crate::web::cards::Whose::Recruiter(id),
                    (None, Some(code)) => crate::web::cards::Whose::Event(code, None),
                    (None, None) => anyhow::bail!("name --recruiter ID or --event-code CODE"),
                };
                print_cards(settings, whose, count as usize, &out).await
            }
            Command::Voice(command) => voice(settings, command).await,
            Command::Token(command) => token(settings, command).await,
            Command::User(command) => user(settings, command).await,
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

async fn serve_demo(settings: Settings) -> anyhow::Result<()> {
    let shutdown = CancellationToken::new();
    app::cancel_on_signal(shutdown.clone());
    let (app, login) = Application::demo(settings).await?;
    let origin = format!("http://127.0.0.1:{}", app.port());
    out!(
        "TRAINING MODE: a throwaway database, gone when this stops; nothing leaves through an \
         aggregator.\n  the phone: {origin}/simulator (sign in as {} with password {})\n  \
         the demo officer's code: {}",
        login.username,
        login.password,
        login.officer_code
    );
    app.run_until(shutdown).await
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    store.close().await;
    out!("migrations applied ({})", store.backend_name());
    Ok(())
}

async fn back_up(settings: Settings, file: &std::path::Path) -> anyhow::Result<()> {
    if file.exists() {
        anyhow::bail!("{} exists: give a new file for the backup", file.display());
    }
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    let made = store.back_up(file).await;
    store.close().await;
    made?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    out!(
        "backed up to {} ({bytes} bytes); keep the master key safe, and apart from it",
        file.display()
    );
    Ok(())
}

async fn restore(settings: Settings, file: &std::path::Path) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let Some(target) = crate::store::sqlite_file(&settings.database.url)? else {
        anyhow::bail!("restore is for SQLite; a PostgreSQL database is restored with pg_restore");
    };
    if !file.is_file() {
        anyhow::bail!("{}: no such backup", file.display());
    }
    if target.exists() {
        anyhow::bail!(
            "the database {} exists: stop the service and move it away first",
            target.display()
        );
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    // A copy beside the database is checked first (the backup itself is left as it is), and
    // takes the database's place only once its key is known to be the configured one.
    let copy = target.with_extension("restoring");
    std::fs::copy(file, &copy)
        .with_context(|| format!("cannot copy {} to {}", file.display(), copy.display()))?;
    let checked = check_restored(&settings, &copy).await;
    if let Err(err) = checked {
        let _ = std::fs::remove_file(&copy);
        return Err(err.context(format!("{}: not restored", file.display())));
    }
    std::fs::rename(&copy, &target)
        .with_context(|| format!("cannot move {} to {}", copy.display(), target.display()))?;
    out!("restored {} to {}", file.display(), target.display());
    Ok(())
}

/// Whether the database at `copy` is mitan's and sealed with the configured master key.
async fn check_restored(settings: &Settings, copy: &std::path::Path) -> anyhow::Result<()> {
    let mut reading = settings.database.clone();
    reading.url = format!("sqlite://{}", copy.display())
        .try_into()
        .map_err(anyhow::Error::msg)?;
    let store = Store::connect(&reading).await?;
    // A backup from an older mitan is brought up to date first (the copy, not the file given).
    let read = async {
        if !store.is_migrated_database().await {
            anyhow::bail!("not a mitan database");
        }
        store.migrate().await?;
        anyhow::Ok((store.sealing_key().await?, store.retired_keys().await?))
    }
    .await;
    store.close().await;
    let (sealed, retired) = read?;
    let (master, _) = crate::privacy::load_master_key(&settings.security, false)?;
    crate::privacy::unlock(
        &master,
        sealed.recorded.as_deref(),
        &retired,
        &sealed.in_use,
    )
    .map(drop)
    .map_err(anyhow::Error::msg)
}

async fn rotate_keys(settings: Settings, new_key_file: &Path, batch: u32) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let new = crate::privacy::read_key_file(new_key_file)?;
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    let (configured, _) = crate::privacy::load_master_key(&settings.security, false)?;
    let progress = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} numbers re-sealed ({eta})")
            .expect("progress template"),
    );
    let rotated = crate::rotation::rotate(&store, &configured, &new, batch, &mut |done, total| {
        progress.set_length(total);
        progress.set_position(done);
        std::ops::ControlFlow::Continue(())
    })
    .await;
    progress.finish_and_clear();
    store.close().await;
    let rotated = rotated.context("mitan keys rotate")?;
    out!(
        "{} key {} to key {}: {} numbers re-sealed; the rotation is finished",
        if rotated.began {
            "rotated from"
        } else {
            "resumed and finished the rotation from"
        },
        rotated.from,
        rotated.to,
        rotated.resealed
    );
    out!(
        "start every instance with the new key ({}); keep the old key only while you keep \
         backups made before the rotation (it opens nothing in this database any more)",
        new_key_file.display()
    );
    Ok(())
}

async fn voice(settings: Settings, command: VoiceCommand) -> anyhow::Result<()> {
    use crate::tips::audio::{every_recording, AudioLibrary};
    let dir = &settings.voice.audio_dir;
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    // A database the service never started on gets the shipped library, as the service would.
    crate::app::load_tips(&store, &settings.campaign, chrono::Utc::now()).await?;
    let tips = store.tips().await?;
    store.close().await;
    if let VoiceCommand::Synth { force } = command {
        let tools = crate::voice::synth::Tools::find()?;
        let catalog = crate::i18n::Catalog::new(&settings.campaign.ussd_code);
        let done = crate::voice::synth::synthesise(&tools, dir, &tips, &catalog, force)?;
        out!(
            "{} placeholder(s) written to {}; {} real recording(s) left alone; {} placeholder(s) \
             kept (--force speaks them again); {} tip text(s) missing",
            done.written,
            dir.display(),
            done.recorded,
            done.kept,
            done.without_text
        );
        return Ok(());
    }
    let library = AudioLibrary::read(dir, None);
    out!("recordings in {}:", dir.display());
    for (recording, language, file) in library.files() {
        out!(
            "  {:<32} {:>6.1} s  {}{}",
            recording.path(language),
            file.millis as f64 / 1000.0,
            &file.sha256[..12],
            if file.placeholder {
                "  PLACEHOLDER"
            } else {
                ""
            }
        );
    }
    for (path, reason) in &library.problems {
        out!("  left out {path}: {reason}");
    }
    let missing: Vec<String> = every_recording(&tips)
        .into_iter()
        .filter(|(recording, language)| library.get(recording, *language).is_none())
        .map(|(recording, language)| recording.path(language))
        .collect();
    if !missing.is_empty() {
        out!("missing ({}): {}", missing.len(), missing.join(", "));
    }
    Ok(())
}

async fn import_tips(settings: Settings, file: &std::path::Path) -> anyhow::Result<()> {
    use crate::tips::import::{plan, Format};
    use anyhow::Context as _;
    let content =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let policy = settings.campaign.content_policy();
    let plan = plan(&content, Format::of(file), &policy)
        .map_err(|problem| anyhow::anyhow!("{}: {problem}", file.display()))?;
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    let progress = indicatif::ProgressBar::new(plan.rows as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {msg}")
            .expect("progress template"),
    );
    progress.inc(plan.errors.len() as u64);
    let (mut tips, mut texts) = (0, 0);
    for (tip, rows) in &plan.tips {
        store
            .save_tip(tip, chrono::Utc::now())
            .await
            .with_context(|| format!("saving tip {}", tip.slug.as_deref().unwrap_or("?")))?;
        tips += 1;
        texts += tip.texts.len();
        progress.inc(*rows as u64);
    }
    progress.finish_and_clear();
    store.close().await;
    out!(
        "imported {tips} tips ({texts} texts) from {}",
        file.display()
    );
    if plan.errors.is_empty() {
        return Ok(());
    }
    out!("{} rows refused:", plan.errors.len());
    for error in &plan.errors {
        out!("  {}: {}", error.row, error.problem);
    }
    anyhow::bail!("{} of {} rows refused", plan.errors.len(), plan.rows)
}

async fn print_cards(
    settings: Settings,
    whose: crate::web::cards::Whose<'_>,
    count: usize,
    out: &Path,
) -> anyhow::Result<()> {
    use crate::web::cards::{print, Refusal, Whose};
    use anyhow::Context as _;
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    let printed = print(
        &store,
        &settings,
        whose,
        |_| true,
        count,
        CLI_ACTOR,
        chrono::Utc::now(),
    )
    .await;
    store.close().await;
    let asked = match whose {
        Whose::Recruiter(id) => format!("--recruiter {id}"),
        Whose::Event(code, _) => format!("--event-code {code}"),
    };
    let printed = printed.map_err(|refusal| match refusal {
        Refusal::NotFound => anyhow::anyhow!("{asked}: no such recruiter or event code"),
        Refusal::Store(err) => anyhow::Error::from(err).context(asked),
        Refusal::Pdf(err) => err.context(asked),
        other => anyhow::anyhow!("{asked}: {other}"),
    })?;
    std::fs::write(out, &printed.pdf).with_context(|| format!("cannot write {}", out.display()))?;
    out!(
        "wrote {count} cards ({} pages) of code {} to {}",
        count.div_ceil(crate::cards::PER_PAGE),
        printed.code,
        out.display()
    );
    Ok(())
}

fn scam(settings: &Settings, command: ScamCommand) -> anyhow::Result<()> {
    use crate::enrollment::{Language, Script};
    // The rules `mitan serve` would use: an admin's own file is tried before it is deployed.
    let matcher = crate::app::load_scam_rules(&settings.campaign)?;
    match command {
        ScamCommand::Check { language, text } => {
            let (language, script) = match language {
                LanguageArg::Hi => (Language::Hindi, Script::Native),
                LanguageArg::Hne => (Language::Chhattisgarhi, Script::Native),
                LanguageArg::En => (Language::English, Script::Native),
                LanguageArg::HiLatn => (Language::Hindi, Script::Roman),
            };
            let verdict = matcher.check(&text);
            let texts = crate::i18n::Catalog::new(&settings.campaign.ussd_code);
            let reply = crate::sms::texts::scam_reply(
                &texts,
                crate::tips::TipLibrary::seed(),
                verdict.category.as_deref(),
                language,
                script,
            );
            out!(
                "category: {}",
                verdict.category.as_deref().unwrap_or("none")
            );
            out!("{reply}");
            let scores: Vec<String> = verdict
                .scores
                .iter()
                .map(|(category, score)| format!("{category} {score:.1}"))
                .collect();
            out!("scores: {}", scores.join(", "));
            Ok(())
        }
        ScamCommand::Figures {
            file,
            split,
            misses,
        } => {
            use anyhow::Context as _;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let corpus = crate::scams::read_corpus(&text)
                .map_err(|err| anyhow::anyhow!("{}: {err}", file.display()))?;
            let part: Vec<_> = corpus
                .iter()
                .filter(|m| split == "all" || m.split == split)
                .collect();
            anyhow::ensure!(
                !part.is_empty(),
                "--split {split}: no message in {}",
                file.display()
            );
            out!("{} messages ({split})", part.len());
            print!("{}", crate::scams::evaluate(&matcher, part.iter().copied()));
            if misses {
                for message in &part {
                    let verdict = matcher.check(&message.text);
                    let given = verdict.category.as_deref().unwrap_or("none");
                    if given != message.category {
                        let scores: Vec<String> = verdict
                            .scores
                            .iter()
                            .take(3)
                            .map(|(category, score)| format!("{category} {score:.1}"))
                            .collect();
                        out!(
                            "\n{} [{}] labelled {}, given {given} ({})\n  {}",
                            message.id,
                            message.language,
                            message.category,
                            scores.join(", "),
                            message.text
                        );
                    }
                }
            }
            Ok(())
        }
    }
}

fn screens(settings: &Settings) -> anyhow::Result<()> {
    use crate::encoding::{sms_cost, Encoding, USSD_GSM7_MAX, USSD_UCS2_MAX};
    use crate::ussd::texts::{all_locales, catalogue, locale, Texts};
    let texts = Texts::new(
        &settings.campaign.ussd_code,
        std::sync::Arc::new(crate::tips::LiveTips::seeded()),
    );
    for (language, script) in all_locales() {
        out!("=============== {}", locale(language, script));
        for (label, screen) in catalogue(&texts, language, script) {
            let cost = sms_cost(&screen);
            let limit = match cost.encoding {
                Encoding::Gsm7 => USSD_GSM7_MAX,
                Encoding::Ucs2 => USSD_UCS2_MAX,
            };
            out!(
                "--- {label} ({}/{limit} {:?})\n{screen}",
                cost.units,
                cost.encoding
            );
        }
    }
    Ok(())
}

/// What the command line is called in the audit log.
const CLI_ACTOR: &str = "cli";

async fn user(settings: Settings, command: UserCommand) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    let result = run_user(&store, command).await;
    store.close().await;
    result
}

async fn run_user(store: &Store, command: UserCommand) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    match command {
        UserCommand::Create {
            role,
            recruiter,
            name,
            password_stdin,
        } => {
            let role = Role::from(role);
            let username =
                access::check_username(&name).map_err(|why| anyhow::anyhow!("--name: {why}"))?;
            match (role, recruiter) {
                (Role::Officer, None) => anyhow::bail!(
                    "an officer sees one recruiter's subtree: name it with --recruiter ID"
                ),
                (Role::Admin, Some(_)) => {
                    anyhow::bail!(
                        "an admin sees everything and names no recruiter (drop --recruiter)"
                    )
                }
                (_, Some(id)) if store.recruiter(id).await?.is_none() => {
                    anyhow::bail!("--recruiter {id}: no such recruiter")
                }
                _ => {}
            }
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().read_line(&mut line)?;
                let line = line.trim_end_matches(['\r', '\n']).to_string();
                access::check_password(&line)
                    .map_err(|why| anyhow::anyhow!("--password-stdin: {why}"))?;
                line
            } else {
                access::generate_password()
            };
            let created = store
                .create_user(&NewUser {
                    username: &username,
                    role,
                    recruiter_id: recruiter,
                    password_hash: &access::hash_password(&password),
                    at: now,
                })
                .await;
            let id = match created {
                Err(StoreError::Duplicate) => anyhow::bail!("--name: {username:?} is taken"),
                other => other?,
            };
            let target = format!("user:{id}");
            let detail = format!("role {}", role.tag());
            store
                .append_audit(&crate::store::NewAuditEntry {
                    at: now,
                    actor: CLI_ACTOR,
                    action: "user.create",
                    target: Some(&target),
                    detail: Some(&detail),
                })
                .await?;
            out!(
                "user {id} {username:?} created ({}); sign in at /admin",
                role.tag()
            );
            if !password_stdin {
                out!("their password, shown only now:");
                out!("{password}");
            }
        }
        UserCommand::List => {
            for user in store.users().await? {
                let recruiter = user
                    .recruiter_id
                    .map(|id| format!(" recruiter {id}"))
                    .unwrap_or_default();
                let state = if user.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                out!(
                    "{}\t{}{recruiter}\t{state}\t{}",
                    user.id,
                    user.role.tag(),
                    user.username
                );
            }
        }
        UserCommand::Disable { id } => {
            if !store.disable_user(id, now).await? {
                anyhow::bail!("user {id}: no such user");
            }
            let target = format!("user:{id}");
            store
                .append_audit(&crate::store::NewAuditEntry {
                    at: now,
                    actor: CLI_ACTOR,
                    action: "user.disable",
                    target: Some(&target),
                    detail: None,
                })
                .await?;
            out!("user {id} disabled; their sessions have ended");
        }
    }
    Ok(())
}

async fn token(settings: Settings, command: TokenCommand) -> anyhow::Result<()> {
    let store = Store::connect(&settings.database).await?;
    store.migrate().await?;
    let result = run_token(&store, command).await;
    store.close().await;
    result
}

async fn run_token(store: &Store, command: TokenCommand) -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    match command {
        TokenCommand::Create {
            role,
            recruiter,
            name,
        } => {
            let issued = store
                .issue_token(&TokenRequest {
                    role: role.into(),
                    recruiter_id: recruiter,
                    name: &name,
                    actor: CLI_ACTOR,
                    at: now,
                })
                .await??;
            out!(
                "token {} created for {name:?}; keep it secret, it is shown only now:",
                issued.id
            );
            out!("{}", issued.token);
        }
        TokenCommand::Revoke { id } => {
            if store.token(id).await?.is_none() {
                anyhow::bail!("token {id}: no such token");
            }
            if store.revoke_token(id, now).await? {
                let target = format!("token:{id}");
                store
                    .append_audit(&crate::store::NewAuditEntry {
                        at: now,
                        actor: CLI_ACTOR,
                        action: "token.revoke",
                        target: Some(&target),
                        detail: None,
                    })
                    .await?;
                out!("token {id} revoked");
            } else {
                out!("token {id} was already revoked");
            }
        }
        TokenCommand::List => {
            for token in store.tokens().await? {
                let recruiter = token
                    .recruiter_id
                    .map(|id| format!(" recruiter {id}"))
                    .unwrap_or_default();
                let state = if token.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                out!(
                    "{}\t{}{recruiter}\t{state}\t{}",
                    token.id,
                    token.role.tag(),
                    token.name
                );
            }
        }
    }
    Ok(())
}
