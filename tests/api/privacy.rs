//! No full phone number in any log line, whatever the requests carry.

use std::time::Duration;

use crate::helpers::{number_forms, Binary, TEST_NUMBERS};

#[tokio::test]
async fn requests_carrying_numbers_leave_no_number_in_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let mut mitan = Binary::serve(dir, &[("MITAN__LOG__FILTER", "trace")]);
    let client = reqwest::Client::new();
    // Whole USSD journeys: each number joins, looks at its data, and stops.
    for (n, number) in TEST_NUMBERS.iter().enumerate() {
        let session = format!("ATUid_logs_{n}");
        for text in [
            "",
            "3",
            "3*1",
            "3*1*0",
            "3*1*0*1",
            "3*1*0*1*1",
            "3*1*0*1*1*1",
        ] {
            let reply = client
                .post(mitan.url("/webhooks/africastalking/ussd"))
                .form(&[
                    ("sessionId", session.as_str()),
                    ("phoneNumber", number),
                    ("text", text),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(reply.status(), 200);
        }
        let again = format!("ATUid_logs_again_{n}");
        for text in ["", "5", "2"] {
            let _ = client
                .post(mitan.url("/webhooks/africastalking/ussd"))
                .form(&[
                    ("sessionId", again.as_str()),
                    ("phoneNumber", number),
                    ("text", text),
                ])
                .send()
                .await
                .unwrap();
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
    for number in TEST_NUMBERS {
        for form in number_forms(number) {
            assert!(!logs.contains(&form), "{form} appears in the logs");
        }
    }
}
