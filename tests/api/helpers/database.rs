//! Test databases: a fresh SQLite or PostgreSQL database per test, SQL run behind the service's
//! back, a second store on the same database, and dumps of everything stored.

use figment::providers::Serialized;
use mitan::config::Settings;
use mitan::store::Store;
use rand::Rng as _;
use sqlx::Connection as _;
use tempfile::TempDir;

use super::app::TestApp;

/// A database of its own for one test; SQLite files live in `dir` (removed with it), and a
/// PostgreSQL database is dropped when this value is (see [`DropOnServer`]).
pub struct TestDatabase {
    pub url: String,
    pub dir: TempDir,
    // Kept for its `Drop`.
    _server: Option<DropOnServer>,
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
        Self {
            url,
            dir,
            _server: None,
        }
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
        let _ = admin.close().await;
        let mut url = url::Url::parse(admin_url).expect("TEST_DATABASE_URL is a URL");
        url.set_path(&name);
        Self {
            url: url.to_string(),
            dir: tempfile::tempdir().expect("temp dir"),
            _server: Some(DropOnServer {
                admin_url: admin_url.to_string(),
                name,
            }),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.url.starts_with("postgres")
    }
}

/// A PostgreSQL test database, dropped when the test ends, passed or failed (`Drop` runs while a
/// failing test unwinds too). Dropping it here, by name, touches only this test's database: the
/// suite's tests run at once, and other runs may share the server, so a sweep by pattern at the
/// start of a run could drop databases still in use. A run that is killed leaves its databases
/// behind; `.ci/run` drops those (`mitan_test_%`) before it starts.
struct DropOnServer {
    admin_url: String,
    name: String,
}

impl Drop for DropOnServer {
    fn drop(&mut self) {
        // `Drop` cannot await, and the test's own runtime may be the one this runs on (a runtime
        // cannot be blocked on from inside itself): a thread with a runtime of its own drops the
        // database, and this waits for it. `WITH (FORCE)` (PostgreSQL 13+) ends the connections
        // the service under test may still hold, so the drop never waits on them.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|err| err.to_string())?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .map_err(|err| err.to_string())?;
                let dropped = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .map_err(|err| err.to_string());
                let _ = admin.close().await;
                dropped.map(|_| ())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            // Never a panic here: it would abort a test that is already failing.
            Ok(Err(err)) => eprintln!("test database {} left behind: {err}", self.name),
            Err(_) => eprintln!("test database {} left behind: the drop panicked", self.name),
        }
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
