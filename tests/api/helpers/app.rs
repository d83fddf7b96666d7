//! The app in-process: `spawn_app` builds the real service on port 0 over a fresh database, with
//! a manual clock, and `TestApp` holds what tests reach into.

use std::sync::Arc;

use figment::Figment;
use mitan::app::Application;
use mitan::clock::ManualClock;
use mitan::config::Settings;
use mitan::http::AppState;
use tokio_util::sync::CancellationToken;

use super::database::TestDatabase;
use super::settings::{test_figment, test_start_time};

pub struct TestApp {
    pub clock: ManualClock,
    pub address: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    pub shutdown: CancellationToken,
    pub db: TestDatabase,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|figment| figment).await
}

pub async fn spawn_app_with(configure: impl FnOnce(Figment) -> Figment) -> TestApp {
    spawn_app_on(TestDatabase::fresh().await, configure).await
}

/// The service over `db` (fresh, or one an earlier app used: see [`TestApp::into_database`]).
pub async fn spawn_app_on(db: TestDatabase, configure: impl FnOnce(Figment) -> Figment) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        mitan::telemetry::init(&mitan::config::LogSettings {
            format: mitan::config::LogFormat::Human,
            filter: "debug".into(),
        });
    }
    let settings = Settings::from_figment(configure(test_figment(&db))).expect("test settings");
    let clock = ManualClock::new(test_start_time());
    let app = Application::build_with_clock(settings, Arc::new(clock.clone()))
        .await
        .expect("build app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until(shutdown.clone()));
    TestApp {
        clock,
        address,
        client: reqwest::Client::new(),
        state,
        shutdown,
        db,
        server: Some(server),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// Stops the server the way SIGTERM would, and waits for it.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
    }
}

impl TestApp {
    /// Stops the server (however it ends) and hands its database over, to start another on it.
    pub async fn into_database(mut self) -> TestDatabase {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        std::mem::replace(&mut self.db, TestDatabase::sqlite())
    }

    /// How the server ended, once it has (it stops itself, for one, when the key is rotated).
    pub async fn ended(&mut self) -> anyhow::Result<()> {
        self.server
            .take()
            .expect("a running server")
            .await
            .expect("server task")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
