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
