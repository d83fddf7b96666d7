//! Test fixtures: fresh databases, the app in-process, the binary as a child process.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use figment::providers::Serialized;
use figment::Figment;
use mitan::access::{issue_token, Role, TokenRequest};
use mitan::app::{AppState, Application};
use mitan::clock::ManualClock;
use mitan::config::Settings;
use mitan::enrollment::{Consent, JoinOutcome, JoinRequest, Language, OptInCode, Script};
use mitan::privacy::Msisdn;
use mitan::store::Store;
use rand::Rng as _;
use sqlx::Connection as _;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// Numbers used across the suite, in every form a person might write them.
pub const TEST_NUMBERS: [&str; 3] = ["+919876543210", "+917000012345", "+919425012399"];

/// Phones of recruiters in the admin tests.
pub const RECRUITER_NUMBERS: [&str; 2] = ["+919812345678", "+918871234567"];

/// The `n`th villager of the admin tests (up to 99), a valid Indian mobile number.
pub fn villager(n: u32) -> String {
    assert!(n < 100, "villager numbers run to 99");
    format!("+9198765000{n:02}")
}

/// Every number the suite hands the service, as E.164.
pub fn every_test_number() -> Vec<String> {
    TEST_NUMBERS
        .iter()
        .chain(RECRUITER_NUMBERS.iter())
        .map(|n| n.to_string())
        .chain((0..100).map(villager))
        .collect()
}

/// Panics if `text` holds any test number in any form (E.164, national, bare, with 91).
pub fn assert_no_number_in(text: &str, what: &str) {
    for number in every_test_number() {
        for form in number_forms(&number) {
            assert!(
                !text.contains(&form),
                "{what} contains the number {form}:\n{text}"
            );
        }
    }
}

/// Each number as E.164, national (`0…`), bare digits and with country code but no `+`.
pub fn number_forms(e164: &str) -> Vec<String> {
    let digits = e164.trim_start_matches('+').to_string();
    let national = digits[2..].to_string();
    vec![e164.to_string(), format!("0{national}"), national, digits]
}

pub fn random_master_key() -> String {
    let key: [u8; 32] = rand::thread_rng().gen();
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// A database of its own for one test; SQLite files live in `dir`.
pub struct TestDatabase {
    pub url: String,
    pub dir: TempDir,
}

impl TestDatabase {
    /// SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set.
    pub async fn fresh() -> Self {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) => Self::postgres(&admin_url).await,
            Err(_) => Self::sqlite(),
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/mitan.db", dir.path().display());
        Self { url, dir }
    }

    /// A new, empty database on the server behind `admin_url`. Fails the test if it cannot.
    pub async fn postgres(admin_url: &str) -> Self {
        let name = format!("mitan_test_{:016x}", rand::thread_rng().gen::<u64>());
        let mut admin = sqlx::PgConnection::connect(admin_url)
            .await
            .unwrap_or_else(|err| panic!("TEST_DATABASE_URL is set but unreachable: {err}"));
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Self {
            url: url.to_string(),
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }
}

/// The test settings: port 0, a fresh database, a random master key, quiet logs.
pub fn test_figment(db: &TestDatabase) -> Figment {
    Settings::figment(None)
        .expect("defaults")
        .merge(Serialized::default("server.bind", "127.0.0.1:0"))
        .merge(Serialized::default("database.url", &db.url))
        .merge(Serialized::default("database.max_connections", 4))
        .merge(Serialized::default(
            "security.master_key",
            random_master_key(),
        ))
        .merge(Serialized::default(
            "security.master_key_file",
            db.dir.path().join("master.key"),
        ))
        .merge(Serialized::default(
            "channels.generic.secret",
            GENERIC_SECRET,
        ))
        // Tests drive the dispatcher themselves, one step at a time.
        .merge(Serialized::default("outbound.workers", 0))
}

/// The `generic` channel's signing secret in tests.
pub const GENERIC_SECRET: &str = "test-generic-secret";

/// Noon in Bilaspur on the day the suite pretends it is: 2026-11-28 12:00 IST.
pub fn test_start_time() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone as _;
    chrono::Utc
        .with_ymd_and_hms(2026, 11, 28, 6, 30, 0)
        .unwrap()
}

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
    if std::env::var_os("TEST_LOG").is_some() {
        mitan::telemetry::init(&mitan::config::LogSettings {
            format: mitan::config::LogFormat::Human,
            filter: "debug".into(),
        });
    }
    let db = TestDatabase::fresh().await;
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

    /// A new admin token, made the way `mitan token create --role admin` makes one.
    pub async fn admin_token(&self) -> String {
        self.token(Role::Admin, None).await
    }

    /// A new officer token seeing `recruiter_id`'s subtree.
    pub async fn officer_token(&self, recruiter_id: i64) -> String {
        self.token(Role::Officer, Some(recruiter_id)).await
    }

    async fn token(&self, role: Role, recruiter_id: Option<i64>) -> String {
        issue_token(
            &self.state.store,
            &TokenRequest {
                role,
                recruiter_id,
                name: "test desk",
                actor: "cli",
                at: chrono::Utc::now(),
            },
        )
        .await
        .expect("issue token")
        .token
    }

    /// An admin API call. Every answer is checked for test numbers in any form: the suite's
    /// scan that no response holds a phone number.
    pub async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> ApiResponse {
        let mut request = self.client.request(method.clone(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("API response body");
        assert_no_number_in(&text, &format!("the answer to {method} {path}"));
        ApiResponse {
            status,
            headers,
            text,
        }
    }

    pub async fn api_get(&self, path: &str, token: &str) -> ApiResponse {
        self.api(reqwest::Method::GET, path, Some(token), None)
            .await
    }

    pub async fn api_post(&self, path: &str, token: &str, body: serde_json::Value) -> ApiResponse {
        self.api(reqwest::Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn api_patch(&self, path: &str, token: &str, body: serde_json::Value) -> ApiResponse {
        self.api(reqwest::Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn api_delete(&self, path: &str, token: &str) -> ApiResponse {
        self.api(reqwest::Method::DELETE, path, Some(token), None)
            .await
    }

    /// Adds a recruiter through the API; returns its id and code.
    pub async fn add_recruiter(&self, token: &str, body: serde_json::Value) -> (i64, String) {
        let response = self.api_post("/api/v1/recruiters", token, body).await;
        assert_eq!(response.status, 201, "{}", response.text);
        let json = response.json();
        (
            json["id"].as_i64().unwrap(),
            json["code"].as_str().unwrap().to_string(),
        )
    }

    /// `number` joins with consent at `at`, through `code` if given, the way the USSD menu and
    /// SMS `YES` do it.
    pub async fn join(
        &self,
        number: &str,
        code: Option<&str>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> JoinOutcome {
        self.try_join(number, code, at).await.expect("join")
    }

    pub async fn try_join(
        &self,
        number: &str,
        code: Option<&str>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<JoinOutcome, mitan::store::JoinError> {
        let msisdn = Msisdn::parse(number, phonenumber::country::Id::IN).expect("valid number");
        self.state
            .store
            .join(&JoinRequest {
                phone: self.state.vault.seal(&msisdn),
                consent: Consent {
                    channel: "console".into(),
                    language: Language::Hindi,
                    script: Script::Native,
                    version: "test".into(),
                    at,
                },
                code: code.map(|c| OptInCode::parse(c).expect("a well-formed code")),
                quota: 25,
                code_length: 6,
            })
            .await
    }

    /// Stops the server the way SIGTERM would, and waits for it.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Runs one statement behind the service's back, as a person with a database shell would.
pub async fn raw_sql(db: &TestDatabase, sql: &str) -> Result<u64, sqlx::Error> {
    if db.is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&db.url).await?;
        Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await?;
        Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
    }
}

/// The binary values one query returns, read behind the service's back.
pub async fn raw_blobs(db: &TestDatabase, sql: &str) -> Result<Vec<Vec<u8>>, sqlx::Error> {
    if db.is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&db.url).await?;
        sqlx::query_scalar(sql).fetch_all(&mut conn).await
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&db.url).await?;
        sqlx::query_scalar(sql).fetch_all(&mut conn).await
    }
}

/// Opens the store the app uses, as an operator's second process would.
pub async fn open_store(url: &str) -> Store {
    let figment = Settings::figment(None)
        .unwrap()
        .merge(Serialized::default("database.url", url));
    let settings = Settings::from_figment(figment).unwrap();
    Store::connect(&settings.database)
        .await
        .expect("open store")
}

/// The real `mitan` binary as a child process, with everything it prints captured.
pub struct Binary {
    child: Option<Child>,
    pub output: Arc<Mutex<String>>,
    pub port: Option<u16>,
    pub workdir: TempDir,
}

pub struct BinaryRun {
    pub status: std::process::ExitStatus,
    pub output: String,
}

fn binary_command(workdir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mitan"));
    command
        .args(args)
        .current_dir(workdir)
        .env_remove("RUST_LOG")
        .env_remove("DATABASE_URL")
        .env("MITAN__LOG__FORMAT", "json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

/// Runs the binary to completion (for commands that exit, and for start-up failures).
/// A command that should exit but is still running after [`RUN_LIMIT`] (a server that started
/// when it should have refused) is killed and fails the test, instead of hanging the suite.
pub fn run_binary(workdir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> BinaryRun {
    const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);
    let child = binary_command(workdir, env, args)
        .spawn()
        .expect("run mitan");
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    let output = match finished.recv_timeout(RUN_LIMIT) {
        Ok(output) => output.expect("run mitan"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            let output = finished
                .recv()
                .expect("the killed process")
                .expect("run mitan");
            panic!(
                "mitan {args:?} was still running after {RUN_LIMIT:?}:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    };
    BinaryRun {
        status: output.status,
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

impl Binary {
    /// Starts `mitan serve` on port 0 in `workdir` and waits until it logs its address.
    pub fn serve(workdir: TempDir, env: &[(&str, &str)]) -> Binary {
        let mut all_env = vec![("MITAN__SERVER__BIND", "127.0.0.1:0")];
        all_env.extend_from_slice(env);
        let mut child = binary_command(workdir.path(), &all_env, &["serve"])
            .spawn()
            .expect("start mitan");
        let output = Arc::new(Mutex::new(String::new()));
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for stream in [
            Box::new(stdout) as Box<dyn std::io::Read + Send>,
            Box::new(stderr),
        ] {
            let output = output.clone();
            let port_tx = port_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(port) = listening_port(&line) {
                        let _ = port_tx.send(Some(port));
                    }
                    let mut all = output.lock().unwrap();
                    all.push_str(&line);
                    all.push('\n');
                }
                let _ = port_tx.send(None);
            });
        }
        drop(port_tx);
        // The first line naming the address, or None once both streams closed (it failed).
        let port = port_rx.iter().flatten().next();
        Binary {
            child: Some(child),
            output,
            port,
            workdir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}{path}",
            self.port.expect("mitan is listening")
        )
    }

    /// The process id of the running binary.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("still running").id()
    }

    pub fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("still running").id();
        let status = Command::new("kill")
            .args([&format!("-{name}"), &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `limit`; `None` if it is still running then.
    pub fn wait_exit(&mut self, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let (tx, rx) = std::sync::mpsc::channel();
        let pid = child.id();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        match rx.recv_timeout(limit) {
            Ok(status) => Some(status.expect("wait")),
            Err(_) => {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                None
            }
        }
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn listening_port(line: &str) -> Option<u16> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    if value.get("message")?.as_str()? != "mitan is listening" {
        return None;
    }
    value
        .get("addr")?
        .as_str()?
        .rsplit(':')
        .next()?
        .parse()
        .ok()
}

/// Everything the database holds: the SQLite files byte for byte (what `sqlite3 .dump` reads),
/// or every PostgreSQL row of every table as text, binary columns included.
pub async fn dump_database(db: &TestDatabase) -> Vec<u8> {
    if !db.is_postgres() {
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(db.dir.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains("mitan.db") {
                bytes.extend(std::fs::read(&path).unwrap());
            }
        }
        return bytes;
    }
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut dump = Vec::new();
    for table in tables {
        let rows: Vec<String> =
            sqlx::query_scalar(&format!("SELECT row_to_json(t)::text FROM \"{table}\" t"))
                .fetch_all(&mut conn)
                .await
                .unwrap();
        dump.extend(rows.join("\n").into_bytes());
    }
    dump
}

/// Whether `needle` occurs in `haystack`; for binary values (a blind index) also their hex, as
/// PostgreSQL's JSON shows them.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    let hex = hex::encode(needle);
    haystack.windows(needle.len()).any(|w| w == needle)
        || haystack.windows(hex.len()).any(|w| w == hex.as_bytes())
}

/// A feature phone on the Africa's Talking channel: one USSD session at a time.
pub struct Handset<'a> {
    app: &'a TestApp,
    pub phone: String,
    pub session: String,
    channel: String,
    path: Vec<String>,
}

/// What the handset shows after a hop.
#[derive(Debug, Clone)]
pub struct Screen {
    pub end: bool,
    pub text: String,
}

impl Screen {
    /// Fails the test unless the screen contains `fragment`.
    #[track_caller]
    pub fn says(&self, fragment: &str) -> &Self {
        assert!(
            self.text.contains(fragment),
            "expected {fragment:?} on the screen:\n{}",
            self.text
        );
        self
    }
}

impl TestApp {
    pub fn handset(&self, phone: &str) -> Handset<'_> {
        Handset {
            app: self,
            phone: phone.to_string(),
            session: format!("ATUid_{:032x}", rand::thread_rng().gen::<u128>()),
            channel: "africastalking".into(),
            path: Vec::new(),
        }
    }
}

impl Handset<'_> {
    /// Dials the campaign's code: a new session.
    pub async fn dial(&mut self) -> Screen {
        self.session = format!("ATUid_{:032x}", rand::thread_rng().gen::<u128>());
        self.path.clear();
        self.send().await
    }

    /// Types an input and presses send.
    pub async fn press(&mut self, input: &str) -> Screen {
        self.path.push(input.to_string());
        self.send().await
    }

    /// Sends the last hop again, as an aggregator retrying would.
    pub async fn resend(&self) -> Screen {
        self.send().await
    }

    pub async fn send(&self) -> Screen {
        let response = self
            .app
            .client
            .post(self.app.url(&format!("/webhooks/{}/ussd", self.channel)))
            .form(&[
                ("sessionId", self.session.as_str()),
                ("serviceCode", "*384*25#"),
                ("phoneNumber", self.phone.as_str()),
                ("networkCode", "40445"),
                ("text", &self.path.join("*")),
            ])
            .send()
            .await
            .expect("USSD hop");
        assert_eq!(response.status(), 200);
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(content_type.starts_with("text/plain"), "{content_type}");
        let body = response.text().await.unwrap();
        if let Some(text) = body.strip_prefix("CON ") {
            Screen {
                end: false,
                text: text.to_string(),
            }
        } else if let Some(text) = body.strip_prefix("END ") {
            Screen {
                end: true,
                text: text.to_string(),
            }
        } else {
            panic!("not a USSD reply: {body:?}")
        }
    }

    /// The aggregator's end-of-session notice (the person hung up or the network closed it).
    pub async fn hang_up(&self) {
        let response = self
            .app
            .client
            .post(
                self.app
                    .url(&format!("/webhooks/{}/ussd/end", self.channel)),
            )
            .form(&[
                ("sessionId", self.session.as_str()),
                ("phoneNumber", self.phone.as_str()),
                ("status", "Incomplete"),
                ("input", &self.path.join("*")),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
}

/// The hops of an English USSD join over Africa's Talking, each path what the aggregator sends:
/// the dial, English, Join, no code, both pages of the notice, agree.
pub const ENGLISH_JOIN: [&str; 7] = [
    "",
    "3",
    "3*1",
    "3*1*0",
    "3*1*0*1",
    "3*1*0*1*1",
    "3*1*0*1*1*1",
];

/// Posts one Africa's Talking USSD hop to `url` (a running mitan's `/webhooks/…/ussd`) and
/// returns the raw answer, `CON `/`END ` included; fails unless it is 200.
pub async fn africastalking_hop(
    client: &reqwest::Client,
    url: &str,
    session: &str,
    phone: &str,
    path: &str,
) -> String {
    let response = client
        .post(url)
        .form(&[
            ("sessionId", session),
            ("serviceCode", "*384*25#"),
            ("phoneNumber", phone),
            ("networkCode", "40445"),
            ("text", path),
        ])
        .send()
        .await
        .expect("USSD hop");
    assert_eq!(response.status(), 200, "a hop is always answered 200");
    response.text().await.unwrap()
}

/// A fresh aggregator message id.
pub fn message_id() -> String {
    format!("ATXid_{:032x}", rand::thread_rng().gen::<u128>())
}

impl TestApp {
    /// Texts mitan on the console channel (the Africa's Talking dialect) from `from`.
    pub async fn sms(&self, from: &str, text: &str) -> reqwest::Response {
        self.sms_on("console", from, text, &message_id()).await
    }

    /// Texts mitan on an Africa's Talking-dialect channel with a given message id (a retry
    /// repeats it).
    pub async fn sms_on(
        &self,
        channel: &str,
        from: &str,
        text: &str,
        id: &str,
    ) -> reqwest::Response {
        let response = self
            .client
            .post(self.url(&format!("/webhooks/{channel}/sms")))
            .form(&[
                ("from", from),
                ("to", "56767"),
                ("text", text),
                ("id", id),
                ("date", "2026-11-28 12:00:00"),
                ("networkCode", "40445"),
            ])
            .send()
            .await
            .expect("SMS webhook");
        assert!(response.status().is_success(), "{}", response.status());
        response
    }

    /// A missed call on the console channel from `from` to `to`.
    pub async fn missed_call(&self, from: &str, to: &str) -> reqwest::Response {
        self.client
            .post(self.url("/webhooks/console/missed-call"))
            .form(&[
                ("sessionId", message_id().as_str()),
                ("callerNumber", from),
                ("destinationNumber", to),
                ("isActive", "1"),
            ])
            .send()
            .await
            .expect("missed-call webhook")
    }

    pub fn dispatcher(&self) -> mitan::outbox::Dispatcher {
        mitan::outbox::Dispatcher::new(self.state.clone())
    }

    /// Runs the dispatcher until nothing is due; what each step did.
    pub async fn deliver(&self) -> Vec<mitan::outbox::Outcome> {
        self.dispatcher()
            .run_until_idle()
            .await
            .expect("dispatching")
    }

    /// Every SMS the console channel has sent to `number`, oldest first.
    pub fn inbox(&self, number: &str) -> Vec<String> {
        let phone = mitan::privacy::Msisdn::parse(number, phonenumber::country::Id::IN).unwrap();
        self.state.console.to(phone.e164())
    }

    /// Delivers what is due, then the last SMS `number` received; fails if there is none.
    #[track_caller]
    pub fn last_sms(&self, number: &str) -> String {
        self.inbox(number)
            .last()
            .cloned()
            .unwrap_or_else(|| panic!("{number} received no SMS"))
    }

    pub async fn outbox(&self) -> Vec<mitan::store::OutboxEntry> {
        self.state.store.outbox_entries().await.unwrap()
    }
}

/// One number from the database, behind the service's back.
pub async fn count(app: &TestApp, sql: &str) -> i64 {
    if app.db.is_postgres() {
        let mut conn = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
        sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
    }
}

/// Asks `probe` every 20 ms until it answers `Some`, and returns that; fails the test, naming
/// `what`, once `limit` has passed. For waiting on work that another process does: the wait ends
/// as soon as the work is done, and a hang fails instead of blocking the suite.
pub async fn wait_for<T, F, Fut>(what: &str, limit: std::time::Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {limit:?} waiting for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Runs every future at once on this task (concurrent requests, as an aggregator's retries
/// arrive), until all are done.
pub async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) {
    let mut pending: Vec<_> = futures.map(Box::pin).map(Some).collect();
    std::future::poll_fn(|cx| {
        for slot in pending.iter_mut() {
            if let Some(future) = slot {
                if future.as_mut().poll(cx).is_ready() {
                    *slot = None;
                }
            }
        }
        if pending.iter().all(Option::is_none) {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

/// A police officer recruiter; with `phone`, their phone is registered (so their SMS commands
/// are recognised as theirs).
pub async fn officer(
    app: &TestApp,
    phone: Option<&mitan::privacy::Msisdn>,
) -> (i64, mitan::enrollment::OptInCode) {
    use mitan::clock::Clock as _;
    let sealed = phone.map(|p| app.state.vault.seal(p));
    app.state
        .store
        .create_recruiter(&mitan::store::NewRecruiter {
            kind: mitan::enrollment::RecruiterKind::Police,
            name: "SI Verma",
            area_id: None,
            phone: sealed.as_ref(),
            quota: 25,
            recruited_by: None,
            code_length: 6,
            at: app.clock.now(),
        })
        .await
        .unwrap()
}

/// An answer of the admin API, its body already read (and scanned).
pub struct ApiResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl ApiResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.text))
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// Runs `mitan simulate ARGS` against a running `mitan`, typing `input`, and returns everything
/// it showed; fails the test unless it exits successfully.
pub fn simulate(mitan: &Binary, args: &[&str], input: &str) -> String {
    use std::io::Write as _;
    let url = mitan.url("");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_mitan"));
    command
        .arg("simulate")
        .args(args)
        .args(["--url", &url])
        .current_dir(mitan.workdir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("start mitan simulate");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let shown = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{shown}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    shown
}
