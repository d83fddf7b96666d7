//! Test fixtures, one file per job; tests import them from here (`crate::helpers::…`).

mod api;
mod app;
mod binary;
mod dashboard;
mod database;
mod handset;
mod numbers;
mod people;
mod settings;
mod signing;
mod sms;
mod wait;

pub use api::{content_type, ApiResponse};
pub use app::{spawn_app, spawn_app_on, spawn_app_with, TestApp};
pub use binary::{run_binary, simulate, the_error_line, Binary, BinaryRun, OnFile};
pub use dashboard::{Browser, Page};
pub use database::{count, dump_database, open_store, raw_blobs, raw_sql, TestDatabase};
pub use handset::{africastalking_hop, try_africastalking_hop, Handset, ENGLISH_JOIN};
pub use numbers::{
    assert_no_number_in, contains_bytes, every_test_number, holds_test_number, masked, msisdn,
    number_forms, villager, NEIGHBOUR, OFFICER, RECRUITER_NUMBERS, TEST_NUMBERS, VILLAGER,
};
pub use people::{officer, person_in};
pub use settings::{random_master_key, test_figment, CHANNEL_KINDS, GENERIC_SECRET};
pub use signing::{generic_request, twilio_signature};
pub use sms::message_id;
pub use wait::{join_all, wait_for};
