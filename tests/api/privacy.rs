//! No full phone number in any log line, whatever the requests carry.

use std::time::Duration;

use crate::helpers::{africastalking_hop, number_forms, Binary, ENGLISH_JOIN, TEST_NUMBERS};

#[tokio::test]
async fn requests_carrying_numbers_leave_no_number_in_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let mut mitan = Binary::serve(dir, &[("MITAN__LOG__FILTER", "trace")]);
    let client = reqwest::Client::new();
    // Whole USSD journeys: each number joins, looks at its data, and stops.
    for (n, number) in TEST_NUMBERS.iter().enumerate() {
        let session = format!("ATUid_logs_{n}");
        let url = mitan.url("/webhooks/africastalking/ussd");
        for text in ENGLISH_JOIN {
            africastalking_hop(&client, &url, &session, number, text).await;
        }
        let again = format!("ATUid_logs_again_{n}");
        for text in ["", "5", "2"] {
            africastalking_hop(&client, &url, &again, number, text).await;
        }
        let _ = client
            .post(mitan.url("/webhooks/africastalking/ussd/end"))
            .form(&[
                ("sessionId", again.as_str()),
                ("phoneNumber", number),
                ("status", "Success"),
            ])
            .send()
            .await
            .unwrap();
    }
    // SMS and missed calls: each number joins by SMS, is invited, calls, stops; its reports
    // carry the number too.
    for (n, number) in TEST_NUMBERS.iter().enumerate() {
        let other = TEST_NUMBERS[(n + 1) % TEST_NUMBERS.len()];
        for text in [
            "JOIN".to_string(),
            "YES".to_string(),
            format!("INVITE {other}"),
            format!("my number is {number}"),
            "STATUS".to_string(),
            "STOP".to_string(),
        ] {
            let reply = client
                .post(mitan.url("/webhooks/console/sms"))
                .form(&[
                    ("from", *number),
                    ("to", other),
                    ("text", text.as_str()),
                    ("id", &format!("log-{n}-{text}")),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 200);
        }
        let _ = client
            .get(mitan.url(&format!(
                "/webhooks/exotel/missed-call?CallSid=log-{n}&CallFrom={}&CallTo={}",
                number.replace('+', "%2B"),
                other.replace('+', "%2B")
            )))
            .send()
            .await
            .unwrap();
        let _ = client
            .post(mitan.url("/webhooks/console/delivery"))
            .form(&[
                ("id", "ATXid_unknown"),
                ("status", "Failed"),
                ("phoneNumber", number),
                ("failureReason", "UserInBlackList"),
            ])
            .send()
            .await
            .unwrap();
        let _ = client
            .get(mitan.url(&format!(
                "/webhooks/console/console/sent?to={}",
                number.replace('+', "%2B")
            )))
            .send()
            .await
            .unwrap();
    }
    for number in TEST_NUMBERS {
        for form in number_forms(number) {
            let encoded = form.replace('+', "%2B");
            let _ = client
                .get(mitan.url(&format!("/healthz?phone={encoded}")))
                .send()
                .await
                .unwrap();
            let _ = client
                .post(mitan.url(&format!("/webhooks/africastalking/ussd/{encoded}")))
                .header("x-caller", &form)
                .form(&[("phoneNumber", form.as_str()), ("text", "1*2")])
                .send()
                .await
                .unwrap();
            // An oversized body is refused unread; its connection is not reused.
            let oversized = reqwest::Client::new()
                .post(mitan.url(&format!("/webhooks/generic/sms?from={encoded}")))
                .body(format!(
                    "{{\"phone\":\"{form}\",\"pad\":\"{}\"}}",
                    "x".repeat(70_000)
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(oversized.status(), 413);
        }
    }
    mitan.signal("TERM");
    assert!(mitan.wait_exit(Duration::from_secs(5)).unwrap().success());

    let logs = mitan.output();
    assert!(
        logs.lines().count() > 10,
        "too few log lines to mean anything:\n{logs}"
    );
    assert!(logs.contains("\"route\":\"unmatched\""), "{logs}");
    assert!(logs.contains("/webhooks/{channel}/ussd"), "{logs}");
    assert!(logs.contains("/webhooks/{channel}/sms"), "{logs}");
    // The dispatcher ran in the real process and "sent" through the console channel.
    assert!(logs.contains("console SMS"), "{logs}");
    for number in TEST_NUMBERS {
        for form in number_forms(number) {
            assert!(!logs.contains(&form), "{form} appears in the logs");
        }
    }
}
