use std::process::Command;

use crate::helpers::TestDb;

fn convene(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_convene"));
    cmd.current_dir(dir)
        .env("RUST_LOG", "info")
        .env_remove("CONVENE_ENV");
    cmd
}

#[test]
fn a_bad_setting_stops_start_up_with_the_key_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = convene(dir.path())
        .arg("serve")
        .env("CONVENE__SERIES__JAM__TIMEZONE", "Mars/Olympus")
        .output()
        .expect("run convene");
    assert!(!out.status.success(), "start-up should fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("series.jam.timezone"),
        "the message should name the key: {stderr}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created before the settings are valid"
    );
}

#[test]
fn migrate_applies_the_schema_once() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let first = convene(dir.path())
        .arg("migrate")
        .env("CONVENE__DATABASE__URL", db.url_string())
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "migrate failed: {}",
        String::from_utf8_lossy(&first.stderr)
    );
    let said = String::from_utf8_lossy(&first.stderr);
    assert!(
        said.contains("applied migrations"),
        "first run applies: {said}"
    );
    let second = convene(dir.path())
        .arg("migrate")
        .env("CONVENE__DATABASE__URL", db.url_string())
        .output()
        .unwrap();
    assert!(second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stderr).contains("up to date"),
        "second run has nothing to do: {}",
        String::from_utf8_lossy(&second.stderr)
    );
}

#[test]
fn a_mistyped_database_url_is_refused_rather_than_guessed() {
    let dir = tempfile::tempdir().unwrap();
    let out = convene(dir.path())
        .arg("migrate")
        .env("CONVENE__DATABASE__URL", "postgress://x@127.0.0.1/db")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("database.url"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no stray SQLite file was created"
    );
}

/// `convene serve` with no configuration but a free port: SQLite under
/// `data/`, mail written as files under `data/mail/`; it keeps serving after
/// whoever read its log has gone.
#[tokio::test]
async fn serve_with_no_configuration_registers_and_writes_mail_to_files() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let mut child = convene(dir.path())
        .arg("serve")
        .env("CONVENE__HTTP__BIND", "127.0.0.1:0")
        .env("CONVENE__JOBS__TICK_SECONDS", "1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start convene serve");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let stderr = child.stderr.take().unwrap();
    let _guard = Kill(child);
    // Read the log until it names the port, then close the pipe: logging
    // into a closed stderr must not stop the service.
    let port = tokio::task::spawn_blocking(move || {
        for line in BufReader::new(stderr).lines().take(200) {
            let line = line.ok()?;
            if let Some(at) = line.find("port=") {
                return line[at + 5..]
                    .split_whitespace()
                    .next()?
                    .parse::<u16>()
                    .ok();
            }
        }
        None
    });
    let port = tokio::time::timeout(std::time::Duration::from_secs(20), port)
        .await
        .expect("serve starts within 20 s")
        .unwrap()
        .expect("serve logs the port it listens on");

    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    let sessions: serde_json::Value = client
        .get(format!("{base}/api/v1/sessions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let session = sessions["sessions"][0]["id"]
        .as_i64()
        .expect("a Jam is listed");
    let form = crate::helpers::registration_form("files@example.org");
    let response = client
        .post(format!("{base}/sessions/{session}/register"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);

    assert!(
        dir.path().join("data/convene.db").is_file(),
        "the SQLite file is under data/"
    );
    let mail_dir = dir.path().join("data/mail");
    let mut eml = None;
    for _ in 0..200 {
        eml = std::fs::read_dir(&mail_dir).ok().and_then(|mut entries| {
            entries.find_map(|e| {
                e.ok()
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            })
        });
        if eml.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let eml = eml.expect("the confirmation is written under data/mail/");
    let mail = crate::helpers::Mail::parse(&std::fs::read(eml).unwrap());
    assert!(
        mail.subject.starts_with("You're registered"),
        "{}",
        mail.subject
    );
    assert!(mail.calendar.is_some(), "the file carries the invitation");
}

/// `convene check` against a real relay (STARTTLS, AUTH) and a real S3
/// server: it says what it reached, sends no mail, leaves nothing in the
/// bucket, and fails naming what it could not reach, never printing a
/// password.
#[tokio::test(flavor = "multi_thread")]
async fn check_says_what_the_settings_reach_and_fails_naming_what_they_do_not() {
    use crate::archive::s3_server::{S3Server, BUCKET, KEY_ID, SECRET};
    use crate::helpers::smtp::{fixture, RELAY_PASSWORD, RELAY_USER};
    use crate::helpers::SmtpServer;
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

    let db = TestDb::new();
    let relay = SmtpServer::start_relay();
    let s3 = S3Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let run = |password: &str, secret: &str| {
        let url = format!(
            "smtp://{}:{}@127.0.0.1:{}?tls=required",
            utf8_percent_encode(RELAY_USER, NON_ALPHANUMERIC),
            utf8_percent_encode(password, NON_ALPHANUMERIC),
            relay.port
        );
        let mut cmd = convene(dir.path());
        cmd.arg("check")
            .env("CONVENE__DATABASE__URL", db.url_string())
            .env("CONVENE__MAIL__TRANSPORT", "smtp")
            .env("CONVENE__MAIL__SMTP_URL", url)
            .env("CONVENE__MAIL__SMTP_CA_FILE", fixture("ca.pem"))
            .env("CONVENE__MAIL__SMTP_TIMEOUT_SECONDS", "5")
            .env("CONVENE__ARCHIVE__STORE", "s3")
            .env("CONVENE__ARCHIVE__S3__BUCKET", BUCKET)
            .env("CONVENE__ARCHIVE__S3__ENDPOINT", &s3.endpoint)
            .env("CONVENE__ARCHIVE__S3__ACCESS_KEY_ID", KEY_ID)
            .env("CONVENE__ARCHIVE__S3__SECRET_ACCESS_KEY", secret);
        cmd
    };
    let output = |mut cmd: Command| async move {
        let out = tokio::task::spawn_blocking(move || cmd.output().expect("run convene check"))
            .await
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        let stderr = String::from_utf8_lossy(&out.stderr).to_string();
        (out.status.success(), stdout, stderr)
    };

    let (ok, stdout, stderr) = output(run(RELAY_PASSWORD, SECRET)).await;
    assert!(ok, "everything is reachable: {stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].starts_with("ok      database"), "{stdout}");
    assert!(
        lines[1].starts_with("ok      mail")
            && lines[1].contains("STARTTLS, signed in as convene@relay.test"),
        "{stdout}"
    );
    assert!(
        lines[2].starts_with("ok      archive") && lines[2].contains(BUCKET),
        "{stdout}"
    );
    assert_eq!(
        relay.logins(),
        vec![(RELAY_USER.to_string(), true)],
        "it signed in once"
    );
    assert!(relay.received().is_empty(), "and sent nothing");
    let left: Vec<_> = std::fs::read_dir(s3.root.path().join(BUCKET))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "the probe object is removed: {left:?}");
    assert!(
        s3.requests().iter().any(|r| r.starts_with("PUT ")),
        "the bucket was written to: {:?}",
        s3.requests()
    );

    let (ok, stdout, stderr) = output(run("wrong password", "wrong secret")).await;
    assert!(!ok, "a wrong password or secret fails the check: {stdout}");
    assert!(stdout.contains("ok      database"), "{stdout}");
    assert!(
        stdout.contains("FAILED  mail") && stdout.contains("535"),
        "the relay's answer is shown: {stdout}"
    );
    assert!(stdout.contains("FAILED  archive"), "{stdout}");
    assert!(
        stderr.contains("cannot reach: mail, archive"),
        "the summary names both: {stderr}"
    );
    for secret in ["wrong password", "wrong%20password", "wrong secret"] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "no password or secret is printed: {stdout}{stderr}"
        );
    }
}
