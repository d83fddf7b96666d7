//! `/admin/tips`: the library, the editor with a counter per text, saving through the API's
//! own checks; admins only.

use mitan::access::Role;

use crate::helpers::{count, officer, spawn_app};

const HINDI: &str = "बैंक कभी OTP नहीं मांगता। ठगी हो तो 1930 पर कॉल करें।";

async fn tips(app: &crate::helpers::TestApp) -> i64 {
    count(app, "SELECT COUNT(*) FROM tips").await
}

#[tokio::test]
async fn an_admin_adds_a_tip_sees_it_in_the_library_and_changes_it_and_texts_stay_text() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let library = admin.get("/admin/tips").await;
    assert_eq!(library.status, 200);
    let shipped = library.texts("#tips tbody tr").len();
    assert!(shipped > 0, "the shipped library is listed");
    let editor = admin.get("/admin/tips/new").await;
    assert_eq!(editor.status, 200);
    assert_eq!(
        editor.texts("textarea").len(),
        5,
        "hi, hne, en, hi-Latn, hne-Latn"
    );

    let script = "<script>alert(1)</script> Cheated? Call 1930.";
    let saved = admin
        .post(
            "/admin/tips",
            &[
                ("category", "otp_pin_sharing"),
                ("order", "7"),
                ("active", "1"),
                ("text-hi", HINDI),
                ("text-en", script),
                ("template-en", "1107160000000012345"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let location = saved.location.unwrap();
    let id: i64 = location.trim_start_matches("/admin/tips/").parse().unwrap();
    let tip = app.state.store.tip(id).await.unwrap().unwrap();
    assert_eq!(
        (
            tip.category.as_str(),
            tip.order,
            tip.active,
            tip.texts.len()
        ),
        ("otp_pin_sharing", 7, true, 2)
    );
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'tip.create'"
        )
        .await,
        1
    );

    let library = admin.get("/admin/tips").await;
    assert_eq!(library.texts("#tips tbody tr").len(), shipped + 1);
    let row = format!("#tips tbody tr:has(a[href='{location}'])");
    assert_eq!(
        library.text(&format!("{row} .tip-languages")),
        "Hindi (Devanagari), English"
    );
    assert_eq!(library.text(&format!("{row} .tip-status")), "Active");

    let page = admin.get(&location).await;
    assert_eq!(page.status, 200);
    // The text is shown as text, in its box and in the preview, never as markup.
    assert_eq!(page.text("textarea[name=text-en]"), script);
    assert_eq!(page.text("#count-en .count-preview"), script);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert_eq!(
        page.texts("input[name=template-en]").len(),
        1,
        "the template id box"
    );
    assert!(page.body.contains("value=\"1107160000000012345\""));

    let changed = admin
        .post(
            &location,
            &[
                ("category", "bank_calls"),
                ("order", "3"),
                ("text-hi", HINDI),
                ("text-en", "Your bank never asks for an OTP. Call 1930."),
                (
                    "text-hi-Latn",
                    "Bank kabhi OTP nahi maangta. 1930 par call karein.",
                ),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert_eq!(changed.location.as_deref(), Some(location.as_str()));
    let tip = app.state.store.tip(id).await.unwrap().unwrap();
    assert_eq!(
        (
            tip.category.as_str(),
            tip.order,
            tip.active,
            tip.texts.len()
        ),
        ("bank_calls", 3, false, 3),
        "unticked: retired"
    );
    let english = tip.texts.iter().find(|t| t.key.tag() == "en").unwrap();
    assert_eq!(english.body, "Your bank never asks for an OTP. Call 1930.");
    let library = admin.get("/admin/tips").await;
    assert_eq!(library.text(&format!("{row} .tip-status")), "Retired");
}

#[tokio::test]
async fn the_counter_shows_gsm7_or_ucs2_the_parts_and_marks_what_forces_ucs2() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let editor = admin.get("/admin/tips/new").await;
    // The box asks for its counter as the admin types (htmx), and the fragment replaces it.
    let boxes = scraper::Html::parse_document(&editor.body);
    let selector = scraper::Selector::parse("textarea[name=text-hi]").unwrap();
    let textarea = boxes.select(&selector).next().unwrap().value();
    assert_eq!(textarea.attr("hx-post"), Some("/admin/tips/count?key=hi"));
    assert_eq!(textarea.attr("hx-target"), Some("#count-hi"));
    assert!(textarea.attr("hx-trigger").unwrap().starts_with("input"));
    assert_eq!(editor.texts("#count-hi .count-chars"), ["0"]);

    let english = "Your bank never asks for an OTP. Cheated? Call 1930.";
    let fragment = admin
        .post(
            "/admin/tips/count?key=en",
            &[("text-en", english), ("text-hi", HINDI)],
        )
        .await;
    assert_eq!(fragment.status, 200);
    assert_eq!(fragment.text("#count-en .count-encoding"), "GSM-7");
    assert_eq!(fragment.text("#count-en .count-parts"), "1");
    assert_eq!(
        fragment.text("#count-en .count-chars"),
        english.chars().count().to_string()
    );
    assert!(fragment.texts("mark").is_empty());
    assert_eq!(fragment.texts(".count-ok").len(), 1);
    assert!(
        fragment.texts("header, nav").is_empty(),
        "a fragment, not a page"
    );

    // One rupee sign makes the text as typed UCS-2; saving swaps it for "Rs.", and says so.
    let rupee = admin
        .post(
            "/admin/tips/count?key=en",
            &[("text-en", "Never share your OTP. Call 1930. Fine ₹0.")],
        )
        .await;
    assert_eq!(rupee.text("#count-en .count-encoding"), "UCS-2");
    assert_eq!(rupee.text("#count-en .count-chars"), "41");
    assert_eq!(rupee.texts("#count-en mark"), ["₹"]);
    assert_eq!(
        rupee.text("#count-en .count-sent-text"),
        "Never share your OTP. Call 1930. Fine Rs.0."
    );
    assert!(fragment.texts(".count-sent").is_empty());

    // Devanagari needs UCS-2: 70 units a part, 67 once split; the Latin letters are not marked.
    let long = format!("{HINDI} {HINDI}");
    let fragment = admin
        .post("/admin/tips/count?key=hi", &[("text-hi", long.as_str())])
        .await;
    assert_eq!(fragment.text("#count-hi .count-encoding"), "UCS-2");
    assert_eq!(fragment.text("#count-hi .count-parts"), "2");
    let marks = fragment.texts("#count-hi .count-preview mark");
    assert_eq!(marks[..2], ["बैंक", "कभी"], "{marks:?}");
    assert!(marks
        .iter()
        .all(|m| !m.contains("OTP") && !m.contains("1930")));
    assert_eq!(
        admin
            .post("/admin/tips/count?key=xx", &[("text-xx", "hello")])
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn a_link_or_a_stranger_s_number_is_flagged_before_saving_and_refused_when_saved() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let before = tips(&app).await;
    let text = "Win a prize at bit.ly/free or call 98765.";
    let fragment = admin
        .post("/admin/tips/count?key=en", &[("text-en", text)])
        .await;
    let checks = fragment.texts("#count-en .count-checks li");
    assert_eq!(checks.len(), 2, "{checks:?}");
    assert!(checks[0].contains("bit.ly"), "{checks:?}");
    assert!(checks[1].contains("call-back number"), "{checks:?}");

    // Without JavaScript: "Check" shows every counter and saves nothing.
    let checked = admin
        .post(
            "/admin/tips",
            &[
                ("category", "prizes"),
                ("text-en", text),
                ("action", "check"),
            ],
        )
        .await;
    assert_eq!(checked.status, 200);
    assert_eq!(checked.texts("#checked").len(), 1);
    assert_eq!(checked.texts("#count-en .count-checks li").len(), 2);
    assert_eq!(checked.text("textarea[name=text-en]"), text);
    assert_eq!(tips(&app).await, before);

    let refused = admin
        .post(
            "/admin/tips",
            &[
                ("category", "prizes"),
                ("text-en", text),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    let problems = refused.texts("#problem-en li");
    assert!(
        problems.iter().any(|p| p.contains("bit.ly")),
        "{problems:?}"
    );
    assert!(refused.body.contains("value=\"prizes\""), "kept as typed");
    assert_eq!(tips(&app).await, before);
}

/// A form posted, where its problem shows, and what the problem says.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

#[tokio::test]
async fn malformed_duplicated_or_oversized_input_is_refused_by_field_and_nothing_is_written() {
    let app = spawn_app().await;
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let before = tips(&app).await;
    let long = "Call 1930 if cheated. ".repeat(30);
    let cases: &[Case] = &[
        (
            &[
                ("category", "a"),
                ("category", "b"),
                ("text-en", "Call 1930."),
            ],
            "#problem-category",
            "given twice",
        ),
        (
            &[("category", "Bad Category!"), ("text-en", "Call 1930.")],
            "#problem-category",
            "lower-case",
        ),
        (
            &[
                ("category", "ok"),
                ("order", "first"),
                ("text-en", "Call 1930."),
            ],
            "#problem-order",
            "whole number",
        ),
        (
            &[
                ("category", "ok"),
                ("order", "9999999"),
                ("text-en", "Call 1930."),
            ],
            "#problem-order",
            "100000",
        ),
        (&[("category", "ok")], "#problem-texts", "at least one text"),
        (
            &[("category", "ok"), ("text-en", long.as_str())],
            "#problem-en",
            "SMS parts",
        ),
        (
            &[
                ("category", "ok"),
                ("text-en", "Call 1930."),
                ("text-en", "Call 112."),
            ],
            "#problem-en",
            "given twice",
        ),
        (
            &[
                ("category", "ok"),
                ("text-en", "Call 1930."),
                ("template-en", "12ab"),
            ],
            "#problem-en",
            "digits only",
        ),
        (
            &[("category", "ok"), ("text-hi-Latn", "Bank kabhi OTP नहीं")],
            "#problem-hi-Latn",
            "GSM-7",
        ),
    ];
    for (form, selector, expected) in cases {
        let refused = admin.post("/admin/tips", form).await;
        assert_eq!(refused.status, 422, "{form:?}: {}", refused.body);
        let problems = refused.texts(&format!("{selector} li"));
        assert!(
            problems.iter().any(|p| p.contains(expected)),
            "{form:?}: {problems:?}"
        );
    }
    assert_eq!(tips(&app).await, before);

    // A saved text cannot be emptied away: the API only replaces texts.
    let tip = app.state.store.tips().await.unwrap().remove(0);
    let location = format!("/admin/tips/{}", tip.id);
    let emptied = admin
        .post(&location, &[("category", "otp"), ("active", "1")])
        .await;
    assert_eq!(emptied.status, 422, "{}", emptied.body);
    let key = tip.texts[0].key.tag();
    assert!(!emptied.texts(&format!("#problem-{key} li")).is_empty());
    assert_eq!(app.state.store.tip(tip.id).await.unwrap().unwrap(), tip);
    assert_eq!(admin.get("/admin/tips/999999").await.status, 404);
    assert_eq!(
        admin
            .post(
                "/admin/tips/999999",
                &[("category", "x"), ("text-en", "Call 1930.")]
            )
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn officers_and_other_origins_are_refused() {
    let app = spawn_app().await;
    let before = tips(&app).await;
    let form: &[(&str, &str)] = &[("category", "otp"), ("text-en", "Call 1930.")];
    let admin = app.signed_in("desk", Role::Admin, None).await;
    let cross = admin
        .post_from("/admin/tips", form, Some("http://evil.example"))
        .await;
    assert_eq!(cross.status, 403);
    let (recruiter, _) = officer(&app, None).await;
    let thana = app.signed_in("thana", Role::Officer, Some(recruiter)).await;
    assert_eq!(thana.get("/admin/tips").await.status, 403);
    assert_eq!(thana.get("/admin/tips/new").await.status, 403);
    assert_eq!(thana.post("/admin/tips", form).await.status, 403);
    assert_eq!(
        thana
            .post("/admin/tips/count?key=en", &[("text-en", "hi")])
            .await
            .status,
        403
    );
    assert_eq!(tips(&app).await, before);
}
