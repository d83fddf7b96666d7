//! mitan: the SMS/USSD gateway that lets villagers with a basic phone join the Cyber Mitan
//! campaign and get fraud-safety tips, without any officer ever seeing their number.
//!
//! A guided tour, domain first:
#![forbid(unsafe_code)]

/// Who may use the admin API: bearer tokens (stored as hashes) and their roles.
pub mod access;
/// Tips and broadcasts: what a text may say, the sending window, schedules, the frequency cap.
pub mod broadcasts;
/// Printable code cards: what a card says, its layout, Devanagari shaped, the A4 PDF.
pub mod cards;
/// SMS keywords (JOIN, STOP, हाँ, …) parsed into a closed `Command`: pure, no state.
pub mod commands;
/// Training mode (`mitan serve --demo`): a throwaway database, the console channel alone.
pub mod demo;
/// The dispatcher: claims what the outbox holds, sends it within each channel's rate, records it.
pub mod dispatcher;
/// How a text travels: GSM-7 or UCS-2, SMS parts, USSD screen limits and pagination.
pub mod encoding;
/// People and recruiters: consent, opt-in codes, the recruitment cascade, opt-out, erasure.
pub mod enrollment;
/// The periodic clean-up: purges, erasures promised, stale claims, the tip library re-read.
pub mod housekeeping;
/// The outbox's rules, pure: what a message is and where it is, how it is composed, and what
/// the answer to its send makes of it.
pub mod outbox;
/// The planner: turns due broadcasts into queued messages, a batch per transaction.
pub mod planner;
/// Phone numbers: parsed once, sealed at rest (blind index + AEAD + hint), shown only masked.
pub mod privacy;
/// The only code that knows aggregators' wire formats.
pub mod providers;
pub mod reports;
/// Key rotation: every stored number re-sealed under a new master key, in batches, while serving.
pub mod rotation;
/// Scam check: which known fraud kind a forwarded SMS looks like, from data-driven phrase lists.
pub mod scams;
/// SMS keywords and missed calls: joining, stopping, officers' commands, delivery reports.
pub mod sms;
/// The only module with SQL: SQLite (embedded default) or PostgreSQL.
pub mod store;
/// The tip library: checked texts per language and script, the shipped `config/tips.json`, imports.
pub mod tips;
/// The USSD menu: a pure state machine, its screens in three languages, and the hop edge.
pub mod ussd;
/// Tips by phone call: the call flow, its status callbacks, placeholder recordings.
pub mod voice;

/// The admin API under `/api/v1`: areas, recruiters, codes, people (masked), figures, audit.
pub mod api;
/// Wiring: build the service from settings, run it until shutdown.
pub mod app;
/// The command line.
pub mod cli;
/// Time as a dependency, so tests can control it.
pub mod clock;
/// Layered configuration (defaults → `--config` → `MITAN__…` environment).
pub mod config;
/// Routes, middleware and the HTTP error type.
pub mod http;
/// Words in the person's language: the Fluent messages and the choice of locale.
pub mod i18n;
/// `mitan simulate`: a feature phone in the terminal.
pub mod simulate;
/// Logs and metrics, with phone numbers kept out of both.
pub mod telemetry;
/// Copies of one webhook arriving at once are handled one after the other.
pub mod turns;
/// The web dashboard under `/admin`: pages for the cyber cell and its officers.
pub mod web;
