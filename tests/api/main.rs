//! One integration-test binary: the real service on port 0, a fresh database per test
//! (SQLite by default; PostgreSQL when `TEST_DATABASE_URL` is set), and the real `mitan` binary
//! where a process boundary matters (signals, exit codes, captured logs).

mod fake;
mod helpers;

mod admin;
mod broadcasts;
mod cards;
mod channels;
mod config;
mod crash;
mod dashboard;
mod faults;
mod fuzz;
mod health;
mod keys;
mod lifecycle;
mod logs;
mod outbox;
mod privacy;
mod readme;
mod reports;
mod retries;
mod rotation;
mod scams;
mod shared_rate;
mod simulator;
mod sms;
mod store;
mod tips;
mod ussd;
mod voice;
