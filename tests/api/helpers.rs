//! `TestApp`: the running service, its database and its SMTP server.

use chrono::{DateTime, Datelike, TimeZone, Utc, Weekday};
use convene::auth::Role;
use convene::clock::Clock;
use convene::config::{DatabaseUrl, MailTransportKind, PublicUrl};
use convene::db::{self, Pool};
use convene::{Application, Settings};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde_json::{json, Value};

// Beside this file; declared here so that whatever includes the helpers
// (the benches too) has the checking client.
#[path = "schema.rs"]
pub mod schema;
#[path = "smtp.rs"]
pub mod smtp;

#[allow(unused_imports)] // the benches use only the server
pub use smtp::{Mail, SmtpServer};

// ---------------------------------------------------------------- database

/// A database of the test's own, removed afterwards.
pub struct TestDb {
    pub url: DatabaseUrl,
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new() -> Self {
        // libpq uses OpenSSL; tell OpenSSL, before libpq first does, not to
        // tear itself down at exit: servers of finished tests still run
        // then, and their connections crashed the process in that clean-up.
        openssl_sys::init();
        let dir = tempfile::tempdir().expect("temp dir");
        match std::env::var("CONVENE_TEST_DATABASE_URL") {
            Ok(base) if base.starts_with("postgres") => {
                let name = format!("convene_test_{}", convene::web::token::new_token());
                let mut admin = PgConnection::establish(&base).unwrap_or_else(|e| {
                    panic!("CONVENE_TEST_DATABASE_URL is set but unreachable: {e}")
                });
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let mut url = url::Url::parse(&base).expect("test database URL");
                url.set_path(&format!("/{name}"));
                TestDb {
                    url: DatabaseUrl::Postgres(url.to_string()),
                    postgres: Some((base, name)),
                    _dir: dir,
                }
            }
            _ => TestDb {
                url: DatabaseUrl::Sqlite(dir.path().join("convene.db")),
                postgres: None,
                _dir: dir,
            },
        }
    }

    /// The test's own folder (the SQLite file, stored materials, uploads).
    pub fn dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => u.clone(),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.postgres {
            if let Ok(mut admin) = PgConnection::establish(base) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

// ---------------------------------------------------------------- app

pub struct TestApp {
    pub address: String,
    /// Checks every answer from an `/api/` path against the OpenAPI
    /// document (tests/api/schema.rs).
    pub client: schema::Client,
    pub smtp: SmtpServer,
    pub settings: Settings,
    pub pool: Pool,
    pub db: TestDb,
    /// The app's clock: the system's, or a manual one the test moves.
    pub clock: Clock,
}

/// Settings every test starts from: its database, its SMTP server, fast
/// polling and short retry delays.
pub fn test_settings(db: &TestDb, smtp: &SmtpServer) -> Settings {
    let mut s = Settings::defaults().expect("default settings");
    s.http.bind = "127.0.0.1:0".parse().unwrap();
    s.http.public_url = PublicUrl::parse("http://convene.test").unwrap();
    s.database.url = db.url.clone();
    s.database.pool_size = 4;
    s.mail.transport = MailTransportKind::Smtp;
    s.mail.smtp_url = smtp.url();
    s.mail.smtp_timeout_seconds = 5;
    s.mail.poll_interval_ms = 50;
    s.mail.retry_base_ms = 100;
    s.mail.retry_max_ms = 400;
    s.jobs.tick_seconds = 3600;
    s.archive.dir = db.dir().join("archive");
    s.archive.spool_dir = db.dir().join("uploads");
    // Tests post many forms from one address; tests/api/strangers.rs sets
    // the limit where it is what is tested.
    s.limits.public_posts_per_minute = 0;
    // Never the key file under data/ of the working directory.
    s.auth.link_secret = "test link secret".into();
    s
}

/// The token inside a sealed link stored in the database, as the mail
/// worker would open it.
pub fn open_link(app: &TestApp, sealed: &str) -> String {
    app.settings.link_key().open(sealed).expect("a sealed link")
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Boots the app after `adjust` has changed its settings.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_with_clock(Clock::system(), adjust).await
    }

    /// Boots the app on `clock` (e.g. `Clock::manual(t)`), after `adjust`.
    pub async fn spawn_with_clock(clock: Clock, adjust: impl FnOnce(&mut Settings)) -> Self {
        let db = TestDb::new();
        let smtp = SmtpServer::start();
        let mut settings = test_settings(&db, &smtp);
        adjust(&mut settings);
        let pool = db::connect(&settings.database).expect("connect test database");
        db::migrate(&pool).expect("migrate test database");
        let app = Application::build_with_clock(settings.clone(), clock.clone())
            .await
            .expect("application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let client = schema::Client::new(
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        );
        TestApp {
            address,
            client,
            smtp,
            settings,
            pool,
            db,
            clock,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("GET")
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.address))
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    pub async fn sessions(&self) -> Vec<serde_json::Value> {
        let body: serde_json::Value = self
            .get("/api/v1/sessions")
            .await
            .json()
            .await
            .expect("JSON");
        body["sessions"].as_array().expect("sessions array").clone()
    }

    /// The id of the next Jam.
    pub async fn next_jam(&self) -> i64 {
        self.sessions().await[0]["id"].as_i64().expect("session id")
    }

    pub async fn register(&self, session: i64, email: &str) -> reqwest::Response {
        self.post_form(
            &format!("/sessions/{session}/register"),
            &registration_form(email),
        )
        .await
    }

    /// Registers and returns the manage path from the redirect.
    pub async fn register_ok(&self, session: i64, email: &str) -> String {
        let response = self.register(session, email).await;
        assert_eq!(
            response.status().as_u16(),
            303,
            "registration of {email} should redirect"
        );
        let location = response.headers()["location"].to_str().unwrap().to_string();
        location.trim_end_matches("/confirmation").to_string()
    }

    /// Subscribes `email` to `lists` and confirms through the e-mailed
    /// link, as a person would.
    pub async fn subscribe_confirmed(&self, email: &str, lists: &[&str]) {
        let mut form = vec![
            ("first_name", "Sam"),
            ("last_name", "Subscriber"),
            ("email", email),
        ];
        form.extend(lists.iter().map(|l| ("list", *l)));
        let response = self.post_form("/subscribe", &form).await;
        assert_eq!(response.status().as_u16(), 303, "subscribe {email}");
        let before = self.smtp.to(email).len();
        let mail = self.smtp.wait_for(email, before + 1).await.pop().unwrap();
        let confirm = mail
            .link("http://convene.test/subscribe/confirm/")
            .expect("a confirmation link");
        let response = self.post_form(&confirm, &[]).await;
        assert_eq!(response.status().as_u16(), 200, "confirm {email}");
    }

    /// Outbox rows (key, recipient, status) whose key starts with `prefix`.
    pub fn outbox(&self, prefix: &str) -> Vec<(String, String, String)> {
        with_conn(&self.pool, |c| {
            use convene::db::schema::outbox::dsl::*;
            use diesel::prelude::*;
            outbox
                .filter(idempotency_key.like(format!("{prefix}%")))
                .order(idempotency_key)
                .select((idempotency_key, recipient, status))
                .load(c)
                .unwrap()
        })
    }

    pub async fn registered_count(&self, session: i64) -> (i64, i64) {
        let s = self
            .sessions()
            .await
            .into_iter()
            .find(|s| s["id"].as_i64() == Some(session))
            .expect("session listed");
        (
            s["registered"].as_i64().unwrap(),
            s["waitlisted"].as_i64().unwrap(),
        )
    }
}

pub fn registration_form(email: &str) -> Vec<(&'static str, &str)> {
    vec![
        ("first_name", "Ada"),
        ("last_name", "Lovelace"),
        ("email", email),
        ("organization", "Analytical Engines Behavioral Health"),
        ("job_title", "Director"),
        ("sector", "provider"),
        ("state", "NY"),
    ]
}

/// The first third Tuesday at 13:00 New York time after `now`, computed
/// here independently of the service's schedule code.
pub fn next_third_tuesday_1pm_new_york(now: DateTime<Utc>) -> DateTime<Utc> {
    let ny = chrono_tz::America::New_York;
    let mut day = now.with_timezone(&ny).date_naive();
    loop {
        if day.weekday() == Weekday::Tue && (15..=21).contains(&day.day()) {
            let start = ny
                .with_ymd_and_hms(day.year(), day.month(), day.day(), 13, 0, 0)
                .unwrap()
                .with_timezone(&Utc);
            if start > now {
                return start;
            }
        }
        day = day.succ_opt().unwrap();
    }
}

// ---------------------------------------------------------------- organizers

/// The password of every account `create_user` makes.
pub const PASSWORD: &str = "a long enough passphrase";

/// Creates an organizer account with `PASSWORD`.
pub fn create_user(app: &TestApp, email: &str, role: Role) {
    let hash = convene::auth::password::hash(PASSWORD).unwrap();
    let now = app.clock.naive();
    with_conn(&app.pool, |c| {
        convene::auth::store::create(
            c,
            &convene::audit::Actor::cli(),
            email,
            "Test User",
            role,
            &hash,
            now,
        )
        .unwrap()
    });
}

pub async fn token_response(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/auth/token", app.address))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

/// An API token for `email`, signed in with `PASSWORD`.
pub async fn token(app: &TestApp, email: &str) -> String {
    let response = token_response(app, email, PASSWORD).await;
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    body["token"].as_str().unwrap().to_string()
}

/// Signs in on the organizer page; returns the `name=value` cookie.
pub async fn sign_in(app: &TestApp, email: &str) -> String {
    let response = app
        .post_form(
            "/organizer/login",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("next", "/organizer"),
            ],
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/organizer"] {
        assert!(
            set_cookie.contains(attribute),
            "{attribute} in {set_cookie}"
        );
    }
    assert!(!set_cookie.contains("Secure"), "http public URL: no Secure");
    set_cookie.split(';').next().unwrap().to_string()
}

pub async fn page(app: &TestApp, path: &str, cookie: &str) -> reqwest::Response {
    app.client
        .get(format!("{}{path}", app.address))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// Posts `form` from the organizer pages, signed in with `cookie`.
pub async fn post_page(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.address))
        .header("cookie", cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Posts a signed-in page's multipart form as a browser does: its text
/// `fields` in order, then `file` as (name, bytes) under `file`.
pub async fn post_multipart(
    app: &TestApp,
    path: &str,
    cookie: &str,
    fields: &[(&str, &str)],
    file: (&str, Vec<u8>),
) -> reqwest::Response {
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let form = form.part(
        "file",
        reqwest::multipart::Part::bytes(file.1).file_name(file.0.to_string()),
    );
    app.client
        .post(format!("{}{path}", app.address))
        .header("cookie", cookie)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// An API request, with a bearer token when given: (status, JSON body or
/// null).
pub async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = app.client.request(method, format!("{}{path}", app.address));
    if let Some(bearer) = bearer {
        request = request.bearer_auth(bearer);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The CSRF token of the first organizer form in a page.
pub fn csrf_of(html: &str) -> String {
    html.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a form with a csrf field")
        .to_string()
}

/// The value of the first field `name` in a page's forms.
pub fn field_of(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a form with a {name} field"))
        .to_string()
}

/// Runs a blocking database check from a test.
pub fn with_conn<T>(pool: &Pool, f: impl FnOnce(&mut db::DbConnection) -> T) -> T {
    let mut conn = pool.get().expect("test connection");
    f(&mut conn)
}

/// What one run of the `convene` binary did.
pub struct CliRun {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the real `convene <args>` against the app's database and public
/// URL, with `stdin` piped in, off the test's runtime (which also runs the
/// app's mail worker).
pub async fn run_convene(app: &TestApp, args: &[&str], stdin: &str) -> CliRun {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_convene"));
    let dir = tempfile::tempdir().unwrap();
    cmd.current_dir(dir.path())
        .args(args)
        .env_remove("CONVENE_ENV")
        .env("RUST_LOG", "warn")
        .env("CONVENE__DATABASE__URL", app.db.url_string())
        .env("CONVENE__AUTH__LINK_SECRET", &app.settings.auth.link_secret)
        .env(
            "CONVENE__HTTP__PUBLIC_URL",
            app.settings.http.public_url.as_str(),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if app.settings.mail.transport == MailTransportKind::File {
        // Where the app's file transport keeps its copies of sent mail.
        cmd.env("CONVENE__MAIL__TRANSPORT", "file")
            .env("CONVENE__MAIL__FILE_DIR", &app.settings.mail.file_dir);
    }
    let stdin = stdin.to_string();
    let out = tokio::task::spawn_blocking(move || {
        let mut child = cmd.spawn().expect("run convene");
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
        drop(input);
        let out = child.wait_with_output().expect("convene finishes");
        drop(dir);
        out
    })
    .await
    .unwrap();
    CliRun {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
