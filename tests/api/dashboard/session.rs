//! Signing in and out, sessions kept on the server, and what guards every request: another
//! origin's forms, guessing, framing.

use mitan::access::Role;

use crate::helpers::{count, spawn_app, spawn_app_with};
use figment::providers::Serialized;

#[tokio::test]
async fn the_sign_in_page_has_a_username_and_a_password_field_and_pages_need_a_session() {
    let app = spawn_app().await;
    let browser = app.browser();
    let overview = browser.get("/admin").await;
    assert_eq!(overview.status, 303);
    assert_eq!(overview.location.as_deref(), Some("/admin/login"));
    let login = browser.get("/admin/login").await;
    assert_eq!(login.status, 200);
    assert_eq!(login.texts("form input[name=username]").len(), 1);
    assert_eq!(
        login
            .texts("form input[name=password][type=password]")
            .len(),
        1
    );
    let hindi = browser.get("/admin/login?lang=hi").await;
    assert!(hindi.body.contains("उपयोगकर्ता नाम"), "{}", hindi.body);
}

#[tokio::test]
async fn a_right_password_opens_a_session_cookie_only_the_server_can_read() {
    let app = spawn_app().await;
    let password = app.dashboard_user("desk", Role::Admin, None).await;
    let browser = app.browser();
    let signed = browser
        .post(
            "/admin/login",
            &[("username", "desk"), ("password", &password)],
        )
        .await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert_eq!(signed.location.as_deref(), Some("/admin"));
    let cookie = signed.headers["set-cookie"].to_str().unwrap().to_string();
    for attribute in [
        "mitan_session=",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/admin",
    ] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    let overview = browser.get("/admin").await;
    assert_eq!(overview.status, 200);
    assert_eq!(overview.text("h1"), "Overview");
    // The database holds the session's hash, never the cookie.
    let value = cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("mitan_session=");
    let stored = crate::helpers::raw_blobs(&app.db, "SELECT token_hash FROM dashboard_sessions")
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], value.as_bytes());
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'login'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_session_cookie_is_secure_when_the_public_url_is_https() {
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default(
            "server.public_url",
            "https://mitan.example.org",
        ))
    })
    .await;
    let password = app.dashboard_user("desk", Role::Admin, None).await;
    let signed = app
        .browser()
        .post(
            "/admin/login",
            &[("username", "desk"), ("password", &password)],
        )
        .await;
    let cookie = signed.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn a_wrong_password_or_user_is_refused_the_same_way_and_audited() {
    let app = spawn_app().await;
    app.dashboard_user("desk", Role::Admin, None).await;
    let browser = app.browser();
    for (user, password) in [("desk", "wrong password!"), ("nobody", "wrong password!")] {
        let refused = browser
            .post(
                "/admin/login",
                &[("username", user), ("password", password)],
            )
            .await;
        assert_eq!(refused.status, 401);
        assert_eq!(refused.text("[role=alert]"), "Wrong username or password.");
        assert!(refused.headers.get("set-cookie").is_none());
    }
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'login.failed'"
        )
        .await,
        2
    );
    assert_eq!(browser.get("/admin").await.status, 303);
}

#[tokio::test]
async fn guessing_is_slowed_per_username_even_the_right_password_waits() {
    let app = spawn_app_with(|f| {
        f.merge(Serialized::default(
            "dashboard.login_attempts_per_minute",
            3,
        ))
    })
    .await;
    let password = app.dashboard_user("desk", Role::Admin, None).await;
    let browser = app.browser();
    for _ in 0..3 {
        let wrong = browser
            .post(
                "/admin/login",
                &[("username", "desk"), ("password", "guess guess guess")],
            )
            .await;
        assert_eq!(wrong.status, 401);
    }
    let limited = browser
        .post(
            "/admin/login",
            &[("username", "DESK"), ("password", &password)],
        )
        .await;
    assert_eq!(limited.status, 429);
    assert!(limited.text("[role=alert]").contains("Wait a minute"));
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'login.limited'"
        )
        .await,
        1
    );
    // Another user is not slowed by desk's guesses.
    let other = app.dashboard_user("head", Role::Admin, None).await;
    let fine = browser
        .post(
            "/admin/login",
            &[("username", "head"), ("password", &other)],
        )
        .await;
    assert_eq!(fine.status, 303);
}

#[tokio::test]
async fn signing_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let password = app.dashboard_user("desk", Role::Admin, None).await;
    let browser = app.browser();
    let signed = browser
        .post(
            "/admin/login",
            &[("username", "desk"), ("password", &password)],
        )
        .await;
    // A copy of the cookie, as someone who saw it would keep it.
    let cookie = signed.headers["set-cookie"].to_str().unwrap();
    let copy = cookie.split(';').next().unwrap().to_string();
    let with_copy = || async {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .get(app.url("/admin"))
            .header("cookie", &copy)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(with_copy().await, 200);
    let out = browser.post("/admin/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location.as_deref(), Some("/admin/login"));
    assert_eq!(
        count(&app, "SELECT COUNT(*) FROM dashboard_sessions").await,
        0
    );
    assert_eq!(browser.get("/admin").await.status, 303);
    assert_eq!(
        with_copy().await,
        303,
        "the copied cookie opens nothing any more"
    );
}

#[tokio::test]
async fn a_disabled_user_is_signed_out_at_once() {
    let app = spawn_app().await;
    let browser = app.signed_in("desk", Role::Admin, None).await;
    let user = app.state.store.user_by_name("desk").await.unwrap().unwrap();
    assert!(app
        .state
        .store
        .disable_user(user.id, chrono::Utc::now())
        .await
        .unwrap());
    assert_eq!(browser.get("/admin").await.status, 303);
}

#[tokio::test]
async fn a_form_posted_from_another_origin_is_refused_even_with_a_valid_session() {
    let app = spawn_app().await;
    let browser = app.signed_in("desk", Role::Admin, None).await;
    for origin in [Some("http://evil.example"), Some("null"), None] {
        let refused = browser.post_from("/admin/logout", &[], origin).await;
        assert_eq!(refused.status, 403, "{origin:?}");
    }
    // Nothing happened: still signed in.
    assert_eq!(browser.get("/admin").await.status, 200);
    // A browser that says it is same-origin is believed, whatever Origin says.
    let same_site = browser
        .client
        .post(app.url("/admin/language"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("language", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(same_site.status(), 303);
    let cross = browser
        .client
        .post(app.url("/admin/language"))
        .header("sec-fetch-site", "cross-site")
        .header("origin", browser.origin())
        .form(&[("language", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), 403);
    assert!(
        browser.get("/admin").await.body.contains("सारांश"),
        "Hindi stayed"
    );
}

#[tokio::test]
async fn pages_cannot_be_framed_sniffed_cached_or_leak_their_address() {
    let app = spawn_app().await;
    let browser = app.signed_in("desk", Role::Admin, None).await;
    for path in ["/admin", "/admin/login"] {
        let page = browser.get(path).await;
        let header = |name: &str| page.headers[name].to_str().unwrap().to_string();
        let csp = header("content-security-policy");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("referrer-policy"), "no-referrer");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("cache-control"), "no-store");
        // No inline script anywhere: the policy would block it.
        assert!(page.texts("script:not([src])").is_empty(), "{}", page.body);
    }
    let css = browser.get("/admin/assets/mitan.css").await;
    assert_eq!(css.status, 200);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let htmx = browser.get("/admin/assets/htmx.min.js").await;
    assert_eq!(htmx.status, 200);
    assert_eq!(browser.get("/admin/assets/nothing.js").await.status, 404);
}

#[tokio::test]
async fn the_chosen_language_is_remembered_for_the_user() {
    let app = spawn_app().await;
    let browser = app.signed_in("desk", Role::Admin, None).await;
    assert_eq!(
        browser
            .post("/admin/language", &[("language", "hi")])
            .await
            .status,
        303
    );
    assert_eq!(browser.get("/admin").await.text("h1"), "सारांश");
    assert_eq!(
        browser
            .post("/admin/language", &[("language", "xx")])
            .await
            .status,
        422
    );
    // Another session of the same user sees Hindi too.
    let again = app.browser();
    let password = "desk-correct-horse";
    again
        .post(
            "/admin/login",
            &[("username", "desk"), ("password", password)],
        )
        .await;
    assert_eq!(again.get("/admin").await.text("h1"), "सारांश");
}
