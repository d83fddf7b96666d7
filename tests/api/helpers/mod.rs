//! Test fixtures, one file per job; tests import them from here (`crate::helpers::…`).

mod api;
mod app;
mod binary;
mod database;
mod handset;
mod numbers;
mod people;
mod settings;
mod sms;
mod wait;

pub use api::ApiResponse;
pub use app::{spawn_app, spawn_app_with, TestApp};
pub use binary::{run_binary, simulate, Binary, BinaryRun};
pub use database::{count, dump_database, open_store, raw_blobs, raw_sql, TestDatabase};
pub use handset::{africastalking_hop, Handset, ENGLISH_JOIN};
pub use numbers::{
    assert_no_number_in, contains_bytes, every_test_number, number_forms, villager,
    RECRUITER_NUMBERS, TEST_NUMBERS,
};
pub use people::officer;
pub use settings::{random_master_key, GENERIC_SECRET};
pub use sms::message_id;
pub use wait::{join_all, wait_for};
