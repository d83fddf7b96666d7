//! The dashboard in a real browser: headless Chromium driven over WebDriver against the real
//! service on a fresh database, as the cyber cell and an officer would use it. Run with
//! `cargo test --test browser`; `.ci/run` installs Chromium and runs them, and keeps the
//! screenshots of every page in both languages.

// The API suite's fixtures, shared; not every one is used here.
#![allow(dead_code, unused_imports)]

#[path = "../api/fake.rs"]
mod fake;
#[path = "../api/helpers/mod.rs"]
mod helpers;

mod chrome;

mod campaign;
mod docs;
mod pages;
mod simulator;
