//! The browser phone's server side (`/simulator`, training mode): absent from a real campaign,
//! and a training started with a campaign's own configuration leaves its database and figures
//! alone. The page itself is driven in headless Chromium in `tests/browser/simulator.rs`.

use mitan::access::Role;
use mitan::app::{Application, DemoLogin};
use mitan::config::Settings;
use mitan::enrollment::OptInCode;
use tokio_util::sync::CancellationToken;

use crate::helpers::{count, officer, spawn_app, test_figment, villager, wait_for, TestApp};

/// A training on the configuration of `real` (its very database URL), running.
struct Training {
    origin: String,
    client: reqwest::Client,
    login: DemoLogin,
    stop: CancellationToken,
}

impl Training {
    async fn start(real: &TestApp) -> Training {
        let settings = Settings::from_figment(test_figment(&real.db)).unwrap();
        let (app, login) = Application::demo(settings)
            .await
            .expect("a training starts");
        let origin = format!("http://127.0.0.1:{}", app.port());
        assert_eq!(
            app.state().settings.channels.keys().collect::<Vec<_>>(),
            ["console"],
            "no channel but the console"
        );
        let stop = CancellationToken::new();
        tokio::spawn(app.run_until(stop.clone()));
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Training {
            origin,
            client,
            login,
            stop,
        }
    }

    async fn sign_in(&self) {
        let answer = self
            .post(
                "/admin/login",
                &[
                    ("username", self.login.username),
                    ("password", &self.login.password),
                ],
            )
            .await;
        assert_eq!(answer.status(), 303);
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.origin))
            .header("Origin", &self.origin)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.origin))
            .send()
            .await
            .unwrap()
    }

    /// One hop of `phone` in `session`, as the page's script sends it: the screen's JSON.
    async fn hop(&self, phone: &str, session: &str, text: &str) -> serde_json::Value {
        let answer = self
            .post(
                "/admin/simulator/hop",
                &[("phone", phone), ("session", session), ("text", text)],
            )
            .await;
        assert_eq!(answer.status(), 200);
        answer.json().await.unwrap()
    }

    /// The demo phone the page gives this trainee.
    async fn phone(&self) -> String {
        let page = self.get("/admin/simulator").await.text().await.unwrap();
        let at = page.find("data-phone=\"").expect("a demo phone") + 12;
        page[at..at + page[at..].find('"').unwrap()].to_string()
    }
}

impl Drop for Training {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[tokio::test]
async fn a_real_campaign_has_no_simulator_signed_in_or_not() {
    let app = spawn_app().await;
    for path in [
        "/simulator",
        "/admin/simulator",
        "/admin/simulator/inbox?phone=1",
    ] {
        assert_eq!(app.get(path).await.status(), 404, "{path}");
    }
    let admin = app.signed_in("desk", Role::Admin, None).await;
    assert_eq!(admin.get("/admin/simulator").await.status, 404);
    let hop = admin
        .post(
            "/admin/simulator/hop",
            &[("phone", "+12015550100"), ("session", "s"), ("text", "")],
        )
        .await;
    assert_eq!(hop.status, 404);
    assert_eq!(count(&app, "SELECT COUNT(*) FROM ussd_sessions").await, 0);
}

#[tokio::test]
async fn a_training_on_the_campaigns_own_configuration_leaves_its_people_and_figures_alone() {
    let real = spawn_app().await;
    let (officer_id, code) = officer(&real, None).await;
    for n in 0..3 {
        real.join(&villager(n), Some(&code.to_string()), chrono::Utc::now())
            .await;
    }
    let admin = real.admin_token().await;
    let stats_before = real.api_get("/api/v1/stats", &admin).await.json();
    let officer_before = real
        .api_get(&format!("/api/v1/recruiters/{officer_id}"), &admin)
        .await
        .json();
    let people_before = count(&real, "SELECT COUNT(*) FROM people").await;

    let training = Training::start(&real).await;
    assert_eq!(
        training.get("/admin/simulator").await.status(),
        303,
        "behind the sign-in"
    );
    training.sign_in().await;
    assert_eq!(
        training.get("/simulator").await.headers()["location"],
        "/admin/simulator"
    );
    let phone = training.phone().await;
    assert!(
        phone.starts_with("+1") && phone[5..].starts_with("55501"),
        "{phone}"
    );
    assert_ne!(
        training.phone().await,
        phone,
        "each trainee a phone of their own"
    );
    assert!(OptInCode::parse(&training.login.officer_code).is_ok());

    // A whole join with the demo officer's code, then today's tip by SMS.
    let officer_code = training.login.officer_code.clone();
    let mut path = String::new();
    let mut last = training.hop(&phone, "T1", "").await;
    assert_eq!(
        last["encoding"], "UCS-2",
        "the language screen is in Devanagari"
    );
    assert!(last["units"].as_u64().unwrap() <= last["limit"].as_u64().unwrap());
    for input in ["3", "1", officer_code.as_str(), "1", "1", "1"] {
        if !path.is_empty() {
            path.push('*');
        }
        path.push_str(input);
        last = training.hop(&phone, "T1", &path).await;
    }
    assert_eq!(last["end"], true);
    assert!(
        last["text"].as_str().unwrap().starts_with("Done!"),
        "{last}"
    );
    let sent = training
        .post(
            "/admin/simulator/sms",
            &[("phone", &phone), ("text", "TIP")],
        )
        .await;
    assert_eq!(sent.status(), 204);
    let inbox = format!("/admin/simulator/inbox?phone={}", phone.replace('+', "%2B"));
    let tip = wait_for(
        "the tip in the inbox",
        std::time::Duration::from_secs(20),
        || async {
            let inbox: serde_json::Value = training.get(&inbox).await.json().await.unwrap();
            inbox["messages"]
                .as_array()
                .filter(|m| !m.is_empty())
                .cloned()
        },
    )
    .await;
    assert!(
        tip[0].as_str().unwrap().starts_with("Cyber Mitan tip"),
        "{tip:?}"
    );

    // The campaign's database, figures and officer are as they were.
    assert_eq!(
        count(&real, "SELECT COUNT(*) FROM people").await,
        people_before
    );
    assert_eq!(
        real.api_get("/api/v1/stats", &admin).await.json(),
        stats_before
    );
    assert_eq!(
        real.api_get(&format!("/api/v1/recruiters/{officer_id}"), &admin)
            .await
            .json(),
        officer_before
    );
    assert!(real.person(&phone).await.is_none());
}

#[tokio::test]
async fn the_simulator_refuses_what_no_handset_sends_and_reads_no_inbox_without_a_number() {
    let real = spawn_app().await;
    let training = Training::start(&real).await;
    training.sign_in().await;
    let long = "S".repeat(65);
    let nul = "1\u{0}";
    let huge = "1*".repeat(300);
    for (session, text) in [
        ("", ""),
        (long.as_str(), ""),
        ("s", nul),
        ("s", huge.as_str()),
    ] {
        let answer = training
            .post(
                "/admin/simulator/hop",
                &[
                    ("phone", "+12015550100"),
                    ("session", session),
                    ("text", text),
                ],
            )
            .await;
        assert_eq!(answer.status(), 422, "{session:?} {text:?}");
    }
    let missing = training
        .post("/admin/simulator/hop", &[("phone", "+12015550100")])
        .await;
    assert_eq!(missing.status(), 422);
    // Not a number at all: the handset's "not a valid number" screen, as from an aggregator.
    let odd = training.hop("not a phone", "s2", "").await;
    assert_eq!(odd["end"], true);
    let inbox = training.get("/admin/simulator/inbox?phone=abc").await;
    assert_eq!(inbox.status(), 422);
    // Cross-site posts are refused like every dashboard form.
    let forged = training
        .client
        .post(format!("{}/admin/simulator/sms", training.origin))
        .header("Origin", "https://evil.example")
        .form(&[("phone", "+12015550100"), ("text", "STOP")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
}
