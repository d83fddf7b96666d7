//! Settings from the environment and from files, through the real binary: text settings arrive
//! exactly as written, numbers stay numbers, and no error repeats a secret.

use std::time::Duration;

use base64::Engine as _;
use mitan::providers::twilio;
use serde_json::json;

use crate::fake::{Canned, FakeAggregator};
use crate::helpers::{run_binary, the_error_line, wait_for, Binary};

/// Values that look like numbers but are text: leading zeros, a `+`, 19 digits.
const ACCOUNT_SID: &str = "0012345678";
const API_KEY: &str = "000111";
const API_TOKEN: &str = "0987654321";
const ENTITY_ID: &str = "1101000000000012345";
const TEMPLATE_ID: &str = "1107000000000054321";
const HEADER: &str = "000123";
const TWILIO_TOKEN: &str = "00123456789";

#[tokio::test]
async fn text_settings_from_the_environment_arrive_exactly_as_written() {
    let fake = FakeAggregator::start(Canned::json(
        200,
        json!({"SMSMessage": {"Sid": "exo-1", "Status": "queued"}}),
    ))
    .await;
    let mitan = Binary::serve(
        tempfile::tempdir().unwrap(),
        &[
            ("MITAN__CHANNELS__EXOTEL__BASE_URL", &fake.url),
            ("MITAN__CHANNELS__EXOTEL__ACCOUNT_SID", ACCOUNT_SID),
            ("MITAN__CHANNELS__EXOTEL__API_KEY", API_KEY),
            ("MITAN__CHANNELS__EXOTEL__API_TOKEN", API_TOKEN),
            ("MITAN__CHANNELS__EXOTEL__ENTITY_ID", ENTITY_ID),
            ("MITAN__CHANNELS__EXOTEL__HEADER", HEADER),
            ("MITAN__CHANNELS__EXOTEL__TEMPLATE_ID", TEMPLATE_ID),
            // Twilio's reply goes to the fake too, never to the real API.
            ("MITAN__CHANNELS__TWILIO__BASE_URL", &fake.url),
            ("MITAN__CHANNELS__TWILIO__ACCOUNT_SID", "AC0001"),
            ("MITAN__CHANNELS__TWILIO__AUTH_TOKEN", TWILIO_TOKEN),
            ("MITAN__CHANNELS__TWILIO__FROM", "+15005550006"),
            ("MITAN__CHANNELS__TWILIO__TPS", "25"),
        ],
    );
    assert!(
        mitan.port.is_some(),
        "mitan did not start:\n{}",
        mitan.output()
    );
    let client = reqwest::Client::new();

    // Twilio's webhook is checked with the auth token as written, leading zeros and all.
    let fields = [
        ("MessageSid", "SM0001"),
        ("From", "+919876543210"),
        ("To", "+15005550006"),
        ("Body", "HELP"),
    ];
    let pairs: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let signed = twilio::signature(
        TWILIO_TOKEN,
        "http://127.0.0.1:8080/webhooks/twilio/sms",
        &pairs,
    );
    let answered = client
        .post(mitan.url("/webhooks/twilio/sms"))
        .header(twilio::SIGNATURE_HEADER, signed)
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(answered.status(), 200);

    // Exotel's send carries the account, the credentials and the DLT ids digit for digit.
    let sms = client
        .post(mitan.url("/webhooks/exotel/sms"))
        .form(&[
            ("SmsSid", "in-1"),
            ("From", "09876543210"),
            ("To", HEADER),
            ("Body", "HELP"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sms.status(), 200);
    let sent = wait_for("the reply through Exotel", Duration::from_secs(20), || {
        let exotel = fake
            .requests()
            .into_iter()
            .find(|r| r.path.ends_with("/Sms/send.json"));
        async move { exotel }
    })
    .await;
    assert_eq!(
        sent.path,
        format!("/v1/Accounts/{ACCOUNT_SID}/Sms/send.json")
    );
    let credentials =
        base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:{API_TOKEN}"));
    assert_eq!(
        sent.header("authorization"),
        Some(format!("Basic {credentials}"))
    );
    assert_eq!(sent.field("From").as_deref(), Some(HEADER));
    assert_eq!(sent.field("DltEntityId").as_deref(), Some(ENTITY_ID));
    assert_eq!(sent.field("DltTemplateId").as_deref(), Some(TEMPLATE_ID));
}

/// `mitan screens | head -1`, once `head` has its line: whatever mitan writes next finds the
/// reading end gone. It ends quietly, without a panic's message on the terminal.
#[test]
fn printing_into_a_pipe_that_was_closed_ends_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let dir = tempfile::tempdir().unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_mitan"))
        .arg("screens")
        .current_dir(dir.path())
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::null())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{:?}: {stderr}", run.status);
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_number_setting_that_is_not_a_number_stops_the_start_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    for (name, value, key) in [
        ("MITAN__CHANNELS__TWILIO__TPS", "ten", "channels.twilio.tps"),
        (
            "MITAN__SERVER__MAX_BODY_BYTES",
            "-1",
            "server.max_body_bytes",
        ),
        ("MITAN__OUTBOUND__WORKERS", "1.5", "outbound.workers"),
    ] {
        let run = run_binary(dir.path(), &[(name, value)], &["screens"]);
        assert!(!run.status.success(), "{}", run.output);
        let error = the_error_line(&run.output);
        assert!(error.contains(&format!("{key}: ")), "{error}");
        assert!(error.contains(name), "{error}");
    }
}

#[test]
fn an_error_about_a_secret_never_shows_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mitan.toml");
    for (key, line) in [
        (
            "channels.twilio.auth_token",
            "[channels.twilio]\nauth_token = 4815162342\n",
        ),
        (
            "channels.generic.secret",
            "[channels.generic]\nsecret = 271828182845\n",
        ),
        (
            "security.master_key",
            "[security]\nmaster_key = 314159265358\n",
        ),
    ] {
        std::fs::write(&file, line).unwrap();
        let run = run_binary(
            dir.path(),
            &[],
            &["--config", &file.display().to_string(), "screens"],
        );
        assert!(!run.status.success(), "{}", run.output);
        let error = the_error_line(&run.output);
        assert!(error.contains(&format!("{key}: ")), "{error}");
        let secret = line.rsplit("= ").next().unwrap().trim();
        assert!(
            !run.output.contains(secret),
            "the secret was shown: {}",
            run.output
        );
    }
}

#[test]
fn a_key_that_another_kind_of_channel_takes_stops_the_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = run_binary(
        dir.path(),
        &[("MITAN__CHANNELS__TWILIO__SECRET", "s3cret-value")],
        &["screens"],
    );
    assert!(!run.status.success(), "{}", run.output);
    let error = the_error_line(&run.output);
    assert!(
        error.contains(
            "channels.twilio.secret: unknown key \"secret\": a twilio channel takes base_url, \
             account_sid, auth_token, from"
        ),
        "{error}"
    );
    assert!(
        error.ends_with("(from the environment: MITAN__CHANNELS__TWILIO__SECRET)"),
        "{error}"
    );
    assert!(!run.output.contains("s3cret-value"), "{}", run.output);

    let file = dir.path().join("mitan.toml");
    std::fs::write(&file, "[channels.africastalking]\nentity_id = \"1101\"\n").unwrap();
    let run = run_binary(
        dir.path(),
        &[],
        &["--config", &file.display().to_string(), "screens"],
    );
    assert!(!run.status.success(), "{}", run.output);
    let error = the_error_line(&run.output);
    assert!(
        error.contains("channels.africastalking.entity_id: unknown key \"entity_id\""),
        "{error}"
    );
    assert!(
        error.contains(&format!("(in {})", file.display())),
        "{error}"
    );
}
