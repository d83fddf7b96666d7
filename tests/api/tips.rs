//! The tip library: importing files with the real binary, and saving tips in the store.

use chrono::{TimeZone as _, Utc};
use mitan::broadcasts::{ContentPolicy, TextKey};
use mitan::tips::{Category, NewTip, TipText};

use crate::helpers::{open_store, run_binary, the_error_line, TestDatabase};

fn seed_path() -> String {
    format!("{}/config/tips.json", env!("CARGO_MANIFEST_DIR"))
}

fn import(db: &TestDatabase, file: &str) -> crate::helpers::BinaryRun {
    run_binary(
        db.dir.path(),
        &[("MITAN__DATABASE__URL", &db.url)],
        &["tips", "import", file],
    )
}

#[tokio::test]
async fn importing_the_shipped_library_twice_saves_every_tip_once() {
    let db = TestDatabase::fresh().await;
    for _ in 0..2 {
        let run = import(&db, &seed_path());
        assert!(run.status.success(), "{}", run.output);
        assert!(
            run.output.contains("imported 24 tips (96 texts)"),
            "{}",
            run.output
        );
    }
    let store = open_store(&db.url).await;
    let tips = store.tips().await.unwrap();
    assert_eq!(tips.len(), 24);
    let first = &tips[0];
    assert_eq!(first.slug.as_deref(), Some("tip-01"));
    assert_eq!(first.category, "otp_pin_sharing");
    assert!(first.active);
    let tags: Vec<&str> = first.texts.iter().map(|t| t.key.tag()).collect();
    assert_eq!(tags, ["hi", "hne", "en", "hi-Latn"]);
    let english = &first.texts[2];
    assert_eq!(english.cost.parts, 1);
    assert_eq!(
        english.template_id, None,
        "template ids come after DLT registration"
    );
    let hindi = &first.texts[0];
    assert_eq!(hindi.cost.encoding, mitan::encoding::Encoding::Ucs2);
    assert_eq!(hindi.cost.parts, 2);
}

#[tokio::test]
async fn a_csv_with_bad_rows_saves_the_good_ones_reports_each_bad_one_and_fails() {
    let db = TestDatabase::fresh().await;
    let csv = db.dir.path().join("tips.csv");
    std::fs::write(
        &csv,
        "id,category,order,lang,script,text,template_id\n\
         atm,atm_kiosk_help,1,en,,\"At an ATM, take no help from strangers. Cheated? Call 1930.\",1107160000000012345\n\
         atm,atm_kiosk_help,1,hi,devanagari,ATM पर अनजान से मदद न लें। ठगी हो तो 1930 पर कॉल करें।,\n\
         atm,atm_kiosk_help,1,hi,roman,ATM par anjaan se madad na lein. Call 9876543210.,\n\
         prize,lottery_kbc,2,en,,Claim your prize at www.kbc-prize.com,\n\
         code,call_forwarding,3,en,,Never dial *401# when a caller asks.,\n",
    )
    .unwrap();
    let run = import(&db, csv.to_str().unwrap());
    assert!(!run.status.success(), "{}", run.output);
    assert!(
        run.output.contains("imported 1 tips (2 texts)"),
        "{}",
        run.output
    );
    for (line, fragment) in [
        ("line 4 (atm hi-Latn)", "10-digit number ending 10"),
        ("line 5 (prize en)", "www.kbc-prize.com"),
        ("line 6 (code en)", "*401#"),
    ] {
        assert!(
            run.output
                .lines()
                .any(|l| l.contains(line) && l.contains(fragment)),
            "{line} should name {fragment}:\n{}",
            run.output
        );
    }
    assert!(run.output.contains("3 of 5 rows refused"), "{}", run.output);
    let tips = open_store(&db.url).await.tips().await.unwrap();
    assert_eq!(tips.len(), 1);
    assert_eq!(tips[0].texts.len(), 2);
    assert_eq!(
        tips[0].texts[1].template_id.as_deref(),
        Some("1107160000000012345")
    );
}

#[tokio::test]
async fn a_text_key_given_twice_or_unknown_in_a_json_file_is_refused_by_name() {
    let db = TestDatabase::fresh().await;
    let file = db.dir.path().join("tips.json");
    // Written by hand: a JSON map would keep one of the two "en" texts silently.
    std::fs::write(
        &file,
        r#"{"tips": [{"id": "qr", "category": "qr_code", "order": 1,
            "texts": {"en": "Never scan a QR code to get money. Call 1930.",
                      "en": "Scanning a QR code only ever pays. Call 112.",
                      "EN": "Shout: call 1930.",
                      "hi": "QR कोड स्कैन करने से पैसा जाता है। 1930",
                      "xx": "Call 1930."},
            "template_ids": {"HI": "1107160000000012345", "hne": "1107160000000054321",
                             "hi": "1107160000000099999"}}]}"#,
    )
    .unwrap();
    let run = import(&db, file.to_str().unwrap());
    assert!(!run.status.success(), "{}", run.output);
    assert!(
        run.output.contains("imported 1 tips (2 texts)"),
        "{}",
        run.output
    );
    for (row, fragment) in [
        ("qr en: ", "qr already has a en text"),
        ("qr EN: ", "qr already has a en text"),
        ("qr xx: ", "unknown text key \"xx\""),
        ("qr template_ids.hne: ", "no text with this key"),
        ("qr template_ids.hi: ", "given twice"),
    ] {
        assert!(
            run.output
                .lines()
                .any(|l| l.trim_start().starts_with(row) && l.contains(fragment)),
            "{row} should say {fragment}:\n{}",
            run.output
        );
    }
    let tips = open_store(&db.url).await.tips().await.unwrap();
    let texts: Vec<(&str, &str, Option<&str>)> = tips[0]
        .texts
        .iter()
        .map(|t| (t.key.tag(), t.body.as_str(), t.template_id.as_deref()))
        .collect();
    assert_eq!(
        texts,
        [
            (
                "hi",
                "QR कोड स्कैन करने से पैसा जाता है। 1930",
                Some("1107160000000012345")
            ),
            ("en", "Never scan a QR code to get money. Call 1930.", None),
        ]
    );
}

#[tokio::test]
async fn a_file_that_is_not_a_tip_file_is_refused_in_one_line() {
    let db = TestDatabase::fresh().await;
    let file = db.dir.path().join("tips.json");
    std::fs::write(&file, "{\"tips\": \"none\"}").unwrap();
    let run = import(&db, file.to_str().unwrap());
    assert!(!run.status.success());
    assert!(
        the_error_line(&run.output).contains("not a tip file"),
        "{}",
        run.output
    );
}

#[tokio::test]
async fn saving_a_tip_again_by_its_id_updates_its_texts_and_keeps_the_others() {
    let db = TestDatabase::fresh().await;
    let store = open_store(&db.url).await;
    store.migrate().await.unwrap();
    let policy = ContentPolicy::default();
    let text = |tag: &str, body: &str| {
        TipText::check(&policy, TextKey::from_tag(tag).unwrap(), body, None).unwrap()
    };
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 6, 30, 0).unwrap();
    let mut tip = NewTip {
        slug: Some("qr".into()),
        category: Category::parse("qr_code").unwrap(),
        order: 3,
        active: true,
        texts: vec![
            text("en", "Never scan a QR code to receive money. Call 1930."),
            text("hi", "QR कोड स्कैन करने से पैसा जाता है। 1930"),
        ],
    };
    let id = store.save_tip(&tip, at).await.unwrap();
    tip.active = false;
    tip.texts = vec![text("en", "Scanning a QR code only ever pays. Call 1930.")];
    assert_eq!(store.save_tip(&tip, at).await.unwrap(), id);
    let saved = store.tip(id).await.unwrap().unwrap();
    assert!(!saved.active);
    assert_eq!(saved.texts.len(), 2);
    assert_eq!(
        saved.texts[1].body,
        "Scanning a QR code only ever pays. Call 1930."
    );
    assert!(store.tip(id + 1).await.unwrap().is_none());
}
