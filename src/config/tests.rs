use super::*;

fn with_vars(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    // The same layering as `load`, with variables given here rather than
    // read from the process environment (tests run in parallel).
    let figment = Figment::new().merge(Toml::string(DEFAULTS));
    let figment = vars.iter().fold(figment, |f, (k, v)| {
        let key = k
            .trim_start_matches("CONVENE__")
            .to_lowercase()
            .replace("__", ".");
        f.merge((key, v.as_str()))
    });
    Settings::extract(figment)
}

#[test]
fn defaults_give_a_working_jam_on_sqlite() {
    let s = Settings::defaults().expect("defaults load");
    assert_eq!(s.http.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(
        s.database.url,
        DatabaseUrl::Sqlite("data/convene.db".into())
    );
    assert_eq!(s.mail.transport, MailTransportKind::File);
    let jam = &s.series["jam"];
    assert_eq!(jam.timezone, chrono_tz::America::New_York);
    assert_eq!(jam.rule.to_string(), "FREQ=MONTHLY;BYDAY=3TU");
    assert_eq!(jam.capacity, 1000);
}

#[test]
fn a_bad_time_zone_names_its_key() {
    let err = with_vars(&[("CONVENE__SERIES__JAM__TIMEZONE", "Mars/Olympus")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("series.jam.timezone"),
        "message should name the key: {err}"
    );
    assert!(
        err.contains("Mars/Olympus"),
        "message should quote the value: {err}"
    );
}

#[test]
fn a_bad_database_url_names_its_key() {
    let err = with_vars(&[("CONVENE__DATABASE__URL", "mysql://x")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("database.url"), "{err}");
}

#[test]
fn a_horizon_outside_1_to_60_months_names_its_key() {
    let with_horizon = |months: u32| {
        let figment = Figment::new().merge(Toml::string(DEFAULTS));
        Settings::extract(figment.merge(("jobs.horizon_months", months)))
    };
    for months in [0, 61, 12_000, 4_000_000] {
        let err = with_horizon(months).unwrap_err().to_string();
        assert!(
            err.contains("`jobs.horizon_months` must be from 1 to 60"),
            "{months}: {err}"
        );
    }
    for months in [1, 60] {
        let s = with_horizon(months).expect("a horizon from 1 to 60 months");
        assert_eq!(s.jobs.horizon_months, months);
    }
}

#[test]
fn a_bad_bind_address_names_its_key() {
    let err = with_vars(&[("CONVENE__HTTP__BIND", "localhost")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("http.bind"), "{err}");
}

#[test]
fn the_example_production_overlay_applies_over_the_defaults() {
    let dir = std::env::temp_dir().join(format!("convene-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        "config/production.example.toml",
        dir.join("production.toml"),
    )
    .unwrap();
    let s = Settings::load_from(&dir, Some("production"), Env::prefixed("CONVENE_UNUSED__"))
        .expect("the example overlay is valid");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(s.mail.transport, MailTransportKind::Smtp, "overlay value");
    assert_eq!(s.http.public_url.as_str(), "https://events.example.org");
    assert_eq!(
        s.series["jam"].title, "Workforce Solutions Jam",
        "untouched keys keep their defaults"
    );
}

#[test]
fn a_missing_overlay_is_an_error() {
    let err = Settings::load_from(
        Path::new("config"),
        Some("nowhere"),
        Env::prefixed("CONVENE_UNUSED__"),
    )
    .unwrap_err();
    assert!(err.to_string().contains("nowhere.toml"), "{err}");
}

#[test]
fn postgres_passwords_are_not_printed() {
    let url = DatabaseUrl::parse("postgres://app:s3cret@db/convene").unwrap();
    assert!(!format!("{url:?}").contains("s3cret"));
}

#[test]
fn an_s3_store_without_a_bucket_names_the_key() {
    let err = with_vars(&[("CONVENE__ARCHIVE__STORE", "s3")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("archive.s3.bucket"), "{err}");
}

#[test]
fn an_s3_endpoint_must_be_https_unless_on_this_machine_or_allowed() {
    let s3 = |endpoint: &str| {
        with_vars(&[
            ("CONVENE__ARCHIVE__STORE", "s3"),
            ("CONVENE__ARCHIVE__S3__BUCKET", "materials"),
            ("CONVENE__ARCHIVE__S3__ENDPOINT", endpoint),
        ])
    };
    let err = s3("http://minio.internal:9000").unwrap_err().to_string();
    assert!(
        err.contains("archive.s3.endpoint") && err.contains("allow_http"),
        "{err}"
    );
    assert!(s3("http://127.0.0.1:9000").is_ok(), "loopback");
    assert!(s3("http://localhost:9000").is_ok(), "loopback");
    assert!(s3("https://minio.example.org").is_ok());
    let err = s3("minio:9000").unwrap_err().to_string();
    assert!(err.contains("archive.s3.endpoint"), "{err}");
    let allowed = S3Settings {
        bucket: "materials".into(),
        endpoint: "http://minio.internal:9000".into(),
        allow_http: true,
        ..Default::default()
    };
    assert_eq!(allowed.check(), Ok(()), "allowed");
}

#[test]
fn a_bad_bucket_name_or_half_a_key_pair_names_the_key() {
    let err = with_vars(&[
        ("CONVENE__ARCHIVE__STORE", "s3"),
        ("CONVENE__ARCHIVE__S3__BUCKET", "Materials/2026"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("archive.s3.bucket"), "{err}");
    let err = with_vars(&[
        ("CONVENE__ARCHIVE__STORE", "s3"),
        ("CONVENE__ARCHIVE__S3__BUCKET", "materials"),
        ("CONVENE__ARCHIVE__S3__ACCESS_KEY_ID", "AKIAEXAMPLE"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("archive.s3.secret_access_key"), "{err}");
}

#[test]
fn s3_secrets_are_not_printed() {
    let s = with_vars(&[
        ("CONVENE__ARCHIVE__STORE", "s3"),
        ("CONVENE__ARCHIVE__S3__BUCKET", "materials"),
        ("CONVENE__ARCHIVE__S3__ACCESS_KEY_ID", "AKIAEXAMPLE"),
        ("CONVENE__ARCHIVE__S3__SECRET_ACCESS_KEY", "wJalrXUtnFEMI"),
    ])
    .expect("valid");
    assert!(!format!("{s:?}").contains("wJalrXUtnFEMI"));
}
