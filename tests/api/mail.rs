use std::process::{Child, Command, Stdio};
use std::time::Duration;

use convene::mail::outbox::{FAILED, PENDING, SENT};

use crate::helpers::smtp::{fixture, RELAY_PASSWORD, RELAY_USER};
use crate::helpers::{with_conn, SmtpServer, TestApp};

fn outbox_rows(app: &TestApp) -> Vec<(String, String, i32)> {
    with_conn(&app.pool, |c| {
        use convene::db::schema::outbox::dsl::*;
        use diesel::prelude::*;
        outbox
            .order(id)
            .select((recipient, status, attempts))
            .load(c)
            .unwrap()
    })
}

#[tokio::test]
async fn a_refusing_smtp_server_is_retried_until_it_accepts_and_the_message_arrives_once() {
    let app = TestApp::spawn().await;
    app.smtp.refuse_next(2);
    let session = app.next_jam().await;
    app.register_ok(session, "patient@example.org").await;

    app.smtp.wait_for("patient@example.org", 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.smtp.refused(), 2, "the server said 451 twice");
    assert_eq!(
        app.smtp.to("patient@example.org").len(),
        1,
        "delivered exactly once"
    );
    let rows = outbox_rows(&app);
    assert_eq!(
        rows,
        vec![("patient@example.org".to_string(), SENT.to_string(), 3)],
        "sent on the third attempt"
    );
}

#[tokio::test]
async fn a_permanent_refusal_marks_the_message_failed_without_retrying() {
    let app = TestApp::spawn().await;
    app.smtp.reject_addresses_containing("nobody");
    let session = app.next_jam().await;
    app.register_ok(session, "nobody@example.org").await;
    app.register_ok(session, "somebody@example.org").await;

    app.smtp.wait_for("somebody@example.org", 1).await;
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = outbox_rows(&app);
        if rows.iter().all(|r| r.1 != "pending") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        rows[0],
        ("nobody@example.org".to_string(), FAILED.to_string(), 1),
        "failed after one attempt"
    );
    assert_eq!(rows[1].1, SENT, "the next message is not held up");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("convene_mails_failed_total 1"),
        "{metrics}"
    );
}

/// `user:password@` for an SMTP URL, each percent-encoded.
fn credentials(user: &str, password: &str) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    format!(
        "{}:{}@",
        utf8_percent_encode(user, NON_ALPHANUMERIC),
        utf8_percent_encode(password, NON_ALPHANUMERIC)
    )
}

/// Boots the app against `relay` with `credentials` (or none), trusting
/// the test authority or not, and registers `email` once.
async fn send_through_relay(
    relay: &SmtpServer,
    credentials: Option<String>,
    trust_test_authority: bool,
    email: &str,
) -> TestApp {
    let url = format!(
        "smtp://{}127.0.0.1:{}?tls=required",
        credentials.unwrap_or_default(),
        relay.port
    );
    let app = TestApp::spawn_with(|s| {
        s.mail.smtp_url = url;
        s.mail.smtp_ca_file = trust_test_authority.then(|| fixture("ca.pem").into());
        // Room to see it wait: with 8 the row may end failed mid-test.
        s.mail.max_attempts = 1000;
    })
    .await;
    let session = app.next_jam().await;
    app.register_ok(session, email).await;
    app
}

/// The outbox row of `email` once it has been tried `n` times or is no
/// longer pending: its status, attempts and last error.
async fn after_attempts(app: &TestApp, email: &str, n: i32) -> (String, i32, String) {
    let email = email.to_string();
    for _ in 0..300 {
        let row: Option<(String, i32, Option<String>)> = with_conn(&app.pool, |c| {
            use convene::db::schema::outbox::dsl::*;
            use diesel::prelude::*;
            outbox
                .filter(recipient.eq(&email))
                .select((status, attempts, last_error))
                .first(c)
                .optional()
                .unwrap()
        });
        if let Some((status, attempts, error)) = row {
            if attempts >= n || status != PENDING {
                return (status, attempts, error.unwrap_or_default());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the message to {email} was not tried {n} times within 15 s");
}

#[tokio::test]
async fn a_relay_asking_for_starttls_and_auth_gets_the_mail_from_the_configured_account() {
    let relay = SmtpServer::start_relay();
    let app = send_through_relay(
        &relay,
        Some(credentials(RELAY_USER, RELAY_PASSWORD)),
        true,
        "relayed@example.org",
    )
    .await;

    let mails = relay.wait_for("relayed@example.org", 1).await;
    assert!(
        mails[0].calendar.is_some(),
        "the whole confirmation came through TLS: {:?}",
        mails[0].subject
    );
    let logins = relay.logins();
    assert!(
        !logins.is_empty() && logins.iter().all(|l| *l == (RELAY_USER.to_string(), true)),
        "the worker signed in as the URL's percent-decoded account: {logins:?}"
    );
    let (status, attempts, _) = after_attempts(&app, "relayed@example.org", 1).await;
    assert_eq!(
        (status.as_str(), attempts),
        (SENT, 1),
        "sent at the first try"
    );
}

#[tokio::test]
async fn a_relay_whose_certificate_no_trusted_authority_signed_never_gets_the_password() {
    let relay = SmtpServer::start_relay();
    // No `mail.smtp_ca_file`: only the public authorities are trusted.
    let app = send_through_relay(
        &relay,
        Some(credentials(RELAY_USER, RELAY_PASSWORD)),
        false,
        "unsent@example.org",
    )
    .await;

    let (status, attempts, error) = after_attempts(&app, "unsent@example.org", 2).await;
    assert_eq!(
        status, PENDING,
        "a certificate the worker refuses says nothing against the message: \
         it waits for the next try ({attempts} so far; {error})"
    );
    assert!(
        error.to_lowercase().contains("certificate"),
        "the error says why: {error}"
    );
    assert!(
        relay.logins().is_empty(),
        "the password never went to a server that could not prove who it is"
    );
    assert!(relay.received().is_empty(), "and no mail did");
}

#[tokio::test]
async fn a_relay_refusing_the_sender_s_credentials_keeps_the_message_waiting_not_failed() {
    // A wrong password (535): the sender's setting is wrong, not the
    // message, which goes once the setting is mended.
    let relay = SmtpServer::start_relay();
    let app = send_through_relay(
        &relay,
        Some(credentials(RELAY_USER, "wrong")),
        true,
        "waiting@example.org",
    )
    .await;
    let (status, attempts, error) = after_attempts(&app, "waiting@example.org", 2).await;
    assert_eq!(
        status, PENDING,
        "535: tried again, not failed ({attempts} tries; {error})"
    );
    assert!(
        error.contains("535"),
        "the server's answer is kept: {error}"
    );
    assert_eq!(relay.logins()[0], (RELAY_USER.to_string(), false));
    assert!(relay.received().is_empty(), "nothing was taken");

    // No credentials, and a server that says so to MAIL FROM (530, RFC
    // 4954), not at AUTH: the same.
    let app = TestApp::spawn_with(|s| s.mail.max_attempts = 1000).await;
    app.smtp.ask_for_credentials();
    let session = app.next_jam().await;
    app.register_ok(session, "waiting@example.org").await;
    let (status, attempts, error) = after_attempts(&app, "waiting@example.org", 2).await;
    assert_eq!(
        status, PENDING,
        "530: tried again, not failed ({attempts} tries; {error})"
    );
    assert!(
        error.contains("530"),
        "the server's answer is kept: {error}"
    );
}

#[tokio::test]
async fn implicit_tls_delivers_to_a_server_the_configured_authority_signed() {
    let behind = SmtpServer::start();
    let port = behind.implicit_tls_port();
    let app = TestApp::spawn_with(|s| {
        s.mail.smtp_url = format!("smtps://127.0.0.1:{port}");
        s.mail.smtp_ca_file = Some(fixture("ca.pem").into());
    })
    .await;
    let session = app.next_jam().await;
    app.register_ok(session, "wrapped@example.org").await;

    let mails = behind.wait_for("wrapped@example.org", 1).await;
    assert!(mails[0].calendar.is_some(), "{:?}", mails[0].subject);
}

#[tokio::test]
async fn a_trust_file_that_is_missing_or_holds_no_certificate_stops_the_start() {
    let app = TestApp::spawn().await;
    for (path, why) in [
        (fixture("missing.pem"), "No such file"),
        (fixture("relay.key"), "holds no PEM certificate"),
    ] {
        let mut settings = app.settings.clone();
        settings.mail.smtp_ca_file = Some(path.clone().into());
        let error = match convene::Application::build(settings).await {
            Ok(_) => panic!("{path}: the app started"),
            Err(e) => format!("{e:#}"),
        };
        assert!(
            error.contains("`mail.smtp_ca_file`") && error.contains(why),
            "{path}: the start-up error names the setting and why: {error}"
        );
    }
}

/// The value of an unlabelled metric in a Prometheus text exposition.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test]
async fn metrics_count_the_worker_s_retries_sends_and_send_latency() {
    let app = TestApp::spawn().await;
    app.smtp.refuse_next(2);
    let session = app.next_jam().await;
    app.register_ok(session, "counted@example.org").await;

    app.smtp.wait_for("counted@example.org", 1).await;
    // The counters move just after the server's answer: look until they do.
    let mut text = String::new();
    for _ in 0..100 {
        text = app.get("/metrics").await.text().await.unwrap();
        if metric(&text, "convene_mails_sent_total") == Some(1.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        metric(&text, "convene_mails_sent_total"),
        Some(1.0),
        "one message sent: {text}"
    );
    assert_eq!(
        metric(&text, "convene_mails_retried_total"),
        Some(2.0),
        "the two 451 answers were retries: {text}"
    );
    assert_eq!(
        metric(&text, "convene_mail_send_seconds_count"),
        Some(1.0),
        "one accepted send timed: {text}"
    );
    let seconds = metric(&text, "convene_mail_send_seconds_sum").expect("a latency sum");
    assert!(seconds > 0.0, "the accepted send took some time: {text}");
    assert!(
        text.contains("convene_mail_send_seconds_bucket{le=\"0.001\"}"),
        "the latency is a histogram with buckets: {text}"
    );
}

/// A `convene worker` process; killed when dropped.
struct WorkerProcess(Child);

impl WorkerProcess {
    fn start(app: &TestApp, smtp: &SmtpServer, dir: &std::path::Path) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_convene"))
            .arg("worker")
            .current_dir(dir)
            .env("CONVENE__DATABASE__URL", app.db.url_string())
            .env("CONVENE__HTTP__PUBLIC_URL", "http://convene.test")
            .env("CONVENE__MAIL__TRANSPORT", "smtp")
            .env("CONVENE__MAIL__SMTP_URL", smtp.url())
            .env("CONVENE__MAIL__POLL_INTERVAL_MS", "50")
            .env("CONVENE__MAIL__BATCH_SIZE", "1")
            .env("CONVENE__MAIL__LEASE_SECONDS", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start convene worker");
        WorkerProcess(child)
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn a_worker_killed_mid_queue_loses_nothing_when_another_takes_over() {
    // The web app queues; separate `convene worker` processes send.
    let app = TestApp::spawn_with(|s| s.jobs.run_in_serve = false).await;
    let session = app.next_jam().await;
    let people: Vec<String> = (0..6).map(|i| format!("queued{i}@example.org")).collect();
    for p in &people {
        app.register_ok(session, p).await;
    }
    app.smtp.delay_each_message(200);
    let dir = tempfile::tempdir().unwrap();

    let first = WorkerProcess::start(&app, &app.smtp, dir.path());
    for _ in 0..750 {
        if !app.smtp.received().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !app.smtp.received().is_empty(),
        "the first worker sent something"
    );
    drop(first); // SIGKILL, mid-queue
    let sent_by_first = app.smtp.received().len();
    assert!(
        sent_by_first < people.len(),
        "the first worker was stopped before the end of the queue"
    );

    let _second = WorkerProcess::start(&app, &app.smtp, dir.path());
    for p in &people {
        app.smtp.wait_for(p, 1).await;
    }
    let total = app.smtp.received().len();
    assert!(
        total <= people.len() + 1,
        "at most the one in-flight message is sent twice, got {total}"
    );
    for _ in 0..100 {
        if outbox_rows(&app).iter().all(|r| r.1 == SENT) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        outbox_rows(&app).iter().all(|r| r.1 == SENT),
        "every row ends sent: {:?}",
        outbox_rows(&app)
    );
}
