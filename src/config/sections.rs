//! The settings sections other than the series: http, database, mail,
//! auth, jobs, lists and each feature's own.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::NaiveTime;
use serde::Deserialize;

use super::values::local_time;
use super::*;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EchoSettings {
    /// Largest case attachment (PDF or Word), in megabytes.
    pub attachment_max_mb: u32,
    /// Weeks after the hub's recommendations that the presenter is asked
    /// what happened.
    pub follow_up_weeks: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceSettings {
    /// Largest attendance report accepted for import over HTTP, in
    /// megabytes (streamed to a temporary file, never held in memory).
    pub report_max_mb: u32,
}

impl AttendanceSettings {
    pub fn report_max_bytes(&self) -> u64 {
        u64::from(self.report_max_mb) * 1024 * 1024
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationSettings {
    /// Days after a session that those who said they would take an idea
    /// back are asked, once, what came of it; 0 = never asked.
    pub follow_up_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveSettings {
    /// Which object store keeps uploaded materials: the folder `dir`, or
    /// the S3 bucket of `s3`.
    #[serde(default)]
    pub store: StoreKind,
    /// Where uploaded materials are stored with `store = "local"` (each file
    /// under its SHA-256).
    pub dir: PathBuf,
    /// Where uploads are written while they arrive and are checked.
    pub spool_dir: PathBuf,
    /// Largest slides, transcript, chat log or document, in megabytes.
    pub document_max_mb: u32,
    /// Largest uploaded recording, in megabytes.
    pub recording_max_mb: u32,
    /// A session's follow-up goes once slides or a recording are published,
    /// or this long after its end, whichever comes first.
    pub follow_up_after_hours: u32,
    /// Sessions that ended longer ago than this are never followed up (so
    /// a new installation does not write to last year's registrants).
    pub follow_up_within_days: u32,
    /// When materials are published after the follow-up went without any,
    /// registrants get one more e-mail with the links.
    pub new_materials_notice: bool,
    /// The bucket, with `store = "s3"`.
    #[serde(default)]
    pub s3: S3Settings,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// A folder on this machine: one instance only.
    #[default]
    Local,
    /// An S3 bucket (AWS, or an S3-compatible server such as MinIO), shared
    /// by every instance.
    S3,
}

/// An S3 bucket. Empty strings are unset: credentials and region are then
/// read from the usual `AWS_*` variables (see `storage`).
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    pub bucket: String,
    /// The server's URL (`https://minio.example.org:9000`); empty for AWS
    /// itself.
    pub endpoint: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `https://bucket.host/key` rather than `https://host/bucket/key`
    /// (path style, what most S3-compatible servers expect).
    pub virtual_hosted_style: bool,
    /// Allows an `http://` endpoint off this machine (one on a loopback
    /// address is always allowed).
    pub allow_http: bool,
}

/// Never prints the secret.
impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &if self.secret_access_key.is_empty() {
                    "(unset)"
                } else {
                    "***"
                },
            )
            .field("virtual_hosted_style", &self.virtual_hosted_style)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

impl S3Settings {
    /// What can be told of the settings alone (the `AWS_*` variables are
    /// read when the store is opened): `Err((key, why))`.
    pub fn check(&self) -> Result<(), (String, String)> {
        let bad = |key: &str, why: String| Err((format!("archive.s3.{key}"), why));
        let name = self.bucket.as_str();
        if name.is_empty() {
            return bad("bucket", "must be set when archive.store = \"s3\"".into());
        }
        // S3's bucket naming rules, so a typo fails here, not at the first
        // upload.
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
        if !(3..=63).contains(&name.len())
            || !name.chars().all(allowed)
            || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !name.ends_with(|c: char| c.is_ascii_alphanumeric())
        {
            return bad(
                "bucket",
                format!("`{name}` is not a bucket name (3 to 63 lowercase letters, digits, dots and dashes)"),
            );
        }
        if !self.endpoint.is_empty() {
            let url = match url::Url::parse(&self.endpoint) {
                Ok(url) => url,
                Err(e) => return bad("endpoint", format!("is not a URL ({e})")),
            };
            match url.scheme() {
                "https" => {}
                "http" if self.allow_http || is_loopback(&url) => {}
                "http" => {
                    return bad(
                        "endpoint",
                        "is http:// off this machine: use https://, or set archive.s3.allow_http = true on a network you trust".into(),
                    )
                }
                other => return bad("endpoint", format!("must be http:// or https://, not {other}://")),
            }
            if url.host().is_none() {
                return bad("endpoint", "has no host".into());
            }
        }
        match (
            self.access_key_id.is_empty(),
            self.secret_access_key.is_empty(),
        ) {
            (false, true) => bad(
                "secret_access_key",
                "must be set with archive.s3.access_key_id".into(),
            ),
            (true, false) => bad(
                "access_key_id",
                "must be set with archive.s3.secret_access_key".into(),
            ),
            _ => Ok(()),
        }
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl ArchiveSettings {
    pub fn document_max_bytes(&self) -> u64 {
        u64::from(self.document_max_mb) * 1024 * 1024
    }

    pub fn recording_max_bytes(&self) -> u64 {
        u64::from(self.recording_max_mb) * 1024 * 1024
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSettings {
    /// Shown on the subscribe form and in the `List-Id` header.
    pub name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub bind: SocketAddr,
    pub public_url: PublicUrl,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For`
    /// is believed; from anyone else the header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long a public page rendered for anonymous visitors (`/`,
    /// `/sessions/{id}`) is served again, at most, in milliseconds; 0
    /// renders each request. This instance's own writes end it at once;
    /// another instance's show after at most this long.
    pub page_cache_ms: u32,
    /// Threads serving HTTP (0 = one per core). Each wakes twice a second,
    /// even with nothing to do, to refresh the `Date` it writes.
    pub workers: u32,
}

impl HttpSettings {
    /// `workers`, with 0 read as one per core.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n as usize,
        }
    }
}

/// What anonymous visitors may cause: the limits that keep the public
/// forms from being a flood or a relay.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// POSTs to public forms per client address and minute (0 = no limit).
    pub public_posts_per_minute: u32,
    /// E-mails that public form posts may cause to one address per hour
    /// (0 = no cap); more are recorded as skipped.
    pub public_mail_per_recipient_per_hour: u32,
    /// Largest subscriber list an organizer may upload for import, in
    /// megabytes (streamed to a temporary file, never held in memory).
    pub list_import_max_mb: u32,
}

impl LimitSettings {
    pub fn list_import_max_bytes(&self) -> u64 {
        u64::from(self.list_import_max_mb) * 1024 * 1024
    }
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
    pub busy_timeout_ms: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    File,
    Smtp,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransportKind,
    pub file_dir: PathBuf,
    pub smtp_url: String,
    /// A PEM file of certificate authorities to trust for the SMTP
    /// server's certificate besides the public ones: for a relay whose
    /// certificate a private authority signed. `None` (empty in the
    /// file): the public ones only.
    #[serde(default, deserialize_with = "super::values::optional_path")]
    pub smtp_ca_file: Option<PathBuf>,
    pub smtp_pool_size: u32,
    pub smtp_timeout_seconds: u64,
    pub from: lettre::message::Mailbox,
    pub poll_interval_ms: u64,
    pub batch_size: u32,
    pub lease_seconds: u32,
    pub max_attempts: u32,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub resend_confirmation_after_seconds: u32,
    /// Messages per second over every worker process together; 0 = no limit.
    pub rate_per_second: u32,
    /// Printed at the foot of every list e-mail.
    pub postal_address: String,
    /// Optional `mailto:` address offered in `List-Unsubscribe` besides the
    /// one-click link; empty for none.
    #[serde(default)]
    pub unsubscribe_mailto: String,
    /// How long a subscription's confirmation link works.
    pub confirm_link_valid_hours: u32,
    /// Days a finished message (sent, failed, skipped) keeps what it said;
    /// then only its metadata stays. 0 keeps everything.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
}

fn default_retention_days() -> u32 {
    30
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineupSettings {
    /// How long an invitation's accept/decline link works.
    pub response_valid_days: u32,
    /// An invitation still unanswered after this many days gets one reminder.
    pub remind_after_days: u32,
    /// A prep call for confirmed presenters, this many days before the
    /// session (0: none) …
    #[serde(default)]
    pub prep_call_days_before: u32,
    /// … at this local time in the series' zone …
    #[serde(default = "default_prep_time", deserialize_with = "local_time")]
    pub prep_call_time: NaiveTime,
    /// … this long …
    #[serde(default = "default_prep_minutes")]
    pub prep_call_minutes: u32,
    /// … joined here (empty: the session's own join link).
    #[serde(default)]
    pub prep_call_join_url: String,
}

fn default_prep_time() -> NaiveTime {
    NaiveTime::from_hms_opt(12, 0, 0).expect("noon")
}

fn default_prep_minutes() -> u32 {
    30
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// HS256 key for tokens and organizer sessions (at least 32 bytes).
    /// Empty: a random one per start (tokens die with the process, and
    /// instances do not share them) — set it in production.
    #[serde(default)]
    pub jwt_secret: String,
    /// `iss` of every token.
    pub issuer: String,
    /// API bearer tokens live this long.
    pub token_minutes: u32,
    /// An organizer page sign-in lives this long.
    pub session_hours: u32,
    /// Wrong passwords in a row that lock an account …
    pub lockout_after: u32,
    /// … for this long.
    pub lockout_minutes: u32,
    /// Sign-in attempts allowed per client IP per minute.
    pub logins_per_ip_per_minute: u32,
    /// Seals private links' tokens (see `links`). Empty: the key kept in
    /// `link_key_file`, made on first start. Instances that share a
    /// database must share it.
    #[serde(default)]
    pub link_secret: String,
    pub link_key_file: PathBuf,
}

/// Never prints the secret.
impl fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthSettings")
            .field(
                "jwt_secret",
                &if self.jwt_secret.is_empty() {
                    "(random)"
                } else {
                    "***"
                },
            )
            .field("issuer", &self.issuer)
            .field("token_minutes", &self.token_minutes)
            .field("session_hours", &self.session_hours)
            .field("lockout_after", &self.lockout_after)
            .field("lockout_minutes", &self.lockout_minutes)
            .field("logins_per_ip_per_minute", &self.logins_per_ip_per_minute)
            .field(
                "link_secret",
                &if self.link_secret.is_empty() {
                    "(key file)"
                } else {
                    "***"
                },
            )
            .field("link_key_file", &self.link_key_file)
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    pub run_in_serve: bool,
    pub tick_seconds: u64,
    pub horizon_months: u32,
    /// Where `convene worker` answers `GET /metrics`; `None` (empty in the
    /// file): nowhere. `serve` has its own on `http.bind`.
    #[serde(default, deserialize_with = "super::values::optional_socket_addr")]
    pub metrics_bind: Option<SocketAddr>,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &self.url)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// SMTP URLs may carry credentials: never print them.
impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("transport", &self.transport)
            .field("file_dir", &self.file_dir)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}
