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
