//! The scam check: measured on the labelled corpus's held-out part, and over SMS, where a
//! forwarded message gets the tip of its kind and nothing of it reaches the database or the log.

use std::time::Duration;

use mitan::scams::{evaluate, read_corpus, Matcher};

use crate::helpers::{wait_for, Binary, OnFile, NEIGHBOUR, VILLAGER};

const CORPUS: &str = include_str!("../fixtures/scams/corpus.jsonl");

/// Held-out precision and recall are held just below what the rules reach today (0.966 and
/// 0.905 after the second round of tuning, on the `tune` part only: see BENCHMARKS.md), above the
/// issue's bars of 0.9 and 0.8. A change that makes either worse fails; so does one that calls
/// more than one genuine message in ten a fraud.
const PRECISION_AT_LEAST: f64 = 0.95;
const RECALL_AT_LEAST: f64 = 0.9;

#[test]
fn on_the_held_out_corpus_the_rules_reach_their_figures() {
    let corpus = read_corpus(CORPUS).expect("the corpus reads");
    assert!(corpus.len() >= 300, "{} messages", corpus.len());
    let genuine = corpus.iter().filter(|m| m.category == "none").count();
    assert!(genuine >= 80, "{genuine} genuine messages");
    let matcher = Matcher::built_in();
    for category in matcher.categories() {
        for split in ["tune", "holdout"] {
            assert!(
                corpus
                    .iter()
                    .any(|m| &m.category == category && m.split == split),
                "{category} has no {split} message"
            );
        }
    }
    let holdout = evaluate(&matcher, corpus.iter().filter(|m| m.split == "holdout"));
    println!("held out:\n{holdout}");
    assert!(
        holdout.precision >= PRECISION_AT_LEAST,
        "precision {:.3}:\n{holdout}",
        holdout.precision
    );
    assert!(
        holdout.recall >= RECALL_AT_LEAST,
        "recall {:.3}:\n{holdout}",
        holdout.recall
    );
    let (flagged, of) = holdout.genuine_flagged;
    assert!(
        flagged * 10 <= of,
        "{flagged} of {of} genuine messages called a fraud"
    );
}

/// What the console channel sent `to`, once something was sent.
pub(crate) async fn sent_to(mitan: &Binary, to: &str, at_least: usize) -> Vec<String> {
    let url = mitan.url(&format!(
        "/webhooks/console/console/sent?to={}",
        to.replace('+', "%2B")
    ));
    wait_for("the reply to be sent", Duration::from_secs(20), || {
        let url = url.clone();
        async move {
            let sent: serde_json::Value = reqwest::get(&url).await.ok()?.json().await.ok()?;
            let messages: Vec<String> = sent["messages"]
                .as_array()?
                .iter()
                .filter_map(|m| m.as_str().map(str::to_string))
                .collect();
            (messages.len() >= at_least).then_some(messages)
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forwarded_scam_is_answered_with_its_tip_and_nothing_of_it_is_kept_or_logged() {
    let mut service = OnFile::start();
    let mitan = &service.mitan;

    // A forward (no keyword, long): the marker word and the villager's own OTP are in it.
    let forward = "Dear customer your SBI account will be blocked today. Update KYC immediately \
                   at sbi-kyc-verify.in/u zebrafinch OTP 483920 to 9000000077";
    mitan.sms(VILLAGER, forward).await;
    let reply = sent_to(mitan, VILLAGER, 1).await;
    assert!(
        reply[0].starts_with("Scam check: if a message asks for this, it is fraud."),
        "{reply:?}"
    );
    assert!(reply[0].contains("KYC"), "the KYC tip: {reply:?}");
    assert!(!reply[0].contains("genuine"), "{reply:?}");

    // CHECK in Hindi, with a genuine-looking bank notice: the general advice, in Hindi.
    mitan
        .sms(
            NEIGHBOUR,
            "जांच 123456 आपका OTP है। इसे किसी के साथ साझा न करें। -SBI",
        )
        .await;
    let advice = sent_to(mitan, NEIGHBOUR, 1).await;
    assert!(advice[0].starts_with("ठगी जांच:"), "{advice:?}");
    assert!(advice[0].contains("1930"), "{advice:?}");

    let (log, stored) = service.stop();
    for secret in [
        "zebrafinch",
        "483920",
        "9000000077",
        "sbi-kyc-verify",
        "साझा",
    ] {
        assert!(!log.contains(secret), "the log holds {secret:?}");
        assert!(
            !stored.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the database holds {secret:?}"
        );
    }
    crate::helpers::assert_no_number_in(&log, "the log");

    // Counted: the kind and the day, nothing else.
    let store = crate::helpers::open_store(&service.url).await;
    let (from, to) = (
        chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap(),
    );
    let counted = store.scam_check_counts(from, to).await.unwrap();
    let kinds: Vec<(&str, i64)> = counted
        .iter()
        .map(|(_, kind, n)| (kind.as_str(), *n))
        .collect();
    assert_eq!(kinds, [("kyc_update_sms", 1), ("none", 1)]);
}

#[tokio::test]
async fn admins_see_scams_forwarded_per_kind_per_week_and_officers_do_not() {
    let app = crate::helpers::spawn_app().await;
    app.sms(
        VILLAGER,
        "CHECK Scan this QR code to receive Rs.2000 cashback in your account now",
    )
    .await;
    app.sms(
        NEIGHBOUR,
        "Beta kal ghar aa jaana, khana saath mein khayenge, sab log intezaar karenge",
    )
    .await;
    let admin = app.admin_token().await;
    let answer = app.api_get("/api/v1/scam-checks?weeks=2", &admin).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let weeks = answer.json()["weeks"].as_array().unwrap().clone();
    assert_eq!(weeks.len(), 2);
    assert_eq!(weeks[1]["kinds"]["qr_code"], 1, "{weeks:?}");
    assert_eq!(weeks[1]["kinds"]["none"], 1, "{weeks:?}");
    assert_eq!(weeks[1]["total"], 2);
    assert_eq!(weeks[0]["total"], 0, "an empty week is there too");
    for bad in ["0", "53", "x"] {
        let refused = app
            .api_get(&format!("/api/v1/scam-checks?weeks={bad}"), &admin)
            .await;
        assert_eq!(refused.status, 422, "weeks={bad}");
        assert!(refused.text.contains("weeks"), "{}", refused.text);
    }
    let (officer_id, _) = crate::helpers::officer(&app, None).await;
    let officer = app.officer_token(officer_id).await;
    assert_eq!(
        app.api_get("/api/v1/scam-checks", &officer).await.status,
        403
    );

    let desk = app
        .signed_in("desk", mitan::access::Role::Admin, None)
        .await;
    let page = desk.get("/admin/scams").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.texts("#scams tbody td.kind"), ["none", "qr_code"]);
    let officer_page = app
        .signed_in("si", mitan::access::Role::Officer, Some(officer_id))
        .await
        .get("/admin/scams")
        .await;
    assert_eq!(officer_page.status, 403);
}
