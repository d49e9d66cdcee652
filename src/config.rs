//! Typed settings: the embedded `config/default.toml`, an optional overlay
//! `config/$CONVENE_ENV.toml`, then `CONVENE__SECTION__KEY` environment
//! variables. A bad value stops start-up with the key named.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use chrono_tz::Tz;
use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::{Deserialize, Deserializer};

use crate::calendar::schedule::{Rule, Timetable};

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub jobs: JobSettings,
    pub auth: AuthSettings,
    pub lineup: LineupSettings,
    pub echo: EchoSettings,
    pub attendance: AttendanceSettings,
    pub archive: ArchiveSettings,
    pub limits: LimitSettings,
    /// Series keyed by slug (`[series.jam]`), so each key has an env name:
    /// `CONVENE__SERIES__JAM__JOIN_URL`.
    #[serde(default)]
    pub series: BTreeMap<String, SeriesSettings>,
    /// Mailing lists keyed by slug (`[lists.jam]`); a series names its list.
    #[serde(default)]
    pub lists: BTreeMap<String, ListSettings>,
    /// The link key, loaded once from `auth` (see [`Settings::link_key`]).
    #[serde(skip)]
    links: std::sync::OnceLock<crate::web::links::LinkKey>,
}

/// The Workforce ECHO's cases.
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
pub struct ArchiveSettings {
    /// Where uploaded materials are stored (a local folder; each file under
    /// its SHA-256).
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSettings {
    pub kind: SeriesKind,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(deserialize_with = "timezone")]
    pub timezone: Tz,
    #[serde(deserialize_with = "local_time")]
    pub start_time: NaiveTime,
    pub duration_minutes: u32,
    pub rule: Rule,
    pub capacity: u32,
    pub join_url: url::Url,
    pub organizer_name: String,
    pub organizer_email: lettre::Address,
    /// The mailing list (a key of `[lists]`) whose subscribers are invited.
    #[serde(default)]
    pub list: Option<String>,
    /// How long before each session subscribers are invited; the last
    /// (shortest) of several is the "last chance" one.
    #[serde(default = "default_invitations")]
    pub invitations: Vec<Offset>,
    /// How long before each session registrants are reminded.
    #[serde(default = "default_reminders")]
    pub reminders: Vec<Offset>,
    /// Registrants a session of the series usually has (the Jam's 577):
    /// each session's measures compare against it.
    #[serde(default)]
    pub baseline: Option<u32>,
    /// An ECHO program's cohorts to create if missing, keyed by slug
    /// (`[series.echo.cohorts.cohort-3]`); facilitators add more.
    #[serde(default)]
    pub cohorts: BTreeMap<String, CohortSettings>,
}

/// A cohort of an ECHO program. What is left out comes from the program
/// (its rule, start time, length, capacity, join link).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CohortSettings {
    pub name: String,
    /// Dates as quoted strings, `"2027-01-14"`.
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    #[serde(default)]
    pub rule: Option<Rule>,
    #[serde(default, deserialize_with = "optional_local_time")]
    pub start_time: Option<NaiveTime>,
    #[serde(default)]
    pub duration_minutes: Option<u32>,
    #[serde(default)]
    pub capacity: Option<u32>,
    pub applications_open_on: NaiveDate,
    pub applications_close_on: NaiveDate,
    /// Share of sessions to attend to complete, in percent.
    #[serde(default = "default_completion_percent")]
    pub completion_percent: u32,
    /// Case presentations per session.
    #[serde(default = "default_case_slots")]
    pub case_slots: u32,
}

fn default_completion_percent() -> u32 {
    80
}

fn default_case_slots() -> u32 {
    2
}

fn default_invitations() -> Vec<Offset> {
    vec![Offset::days(21), Offset::days(2)]
}

fn default_reminders() -> Vec<Offset> {
    vec![Offset::days(7), Offset::days(1), Offset::hours(1)]
}

/// A span before a session, written like `21d`, `1h`, `90m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Offset(chrono::Duration);

impl Offset {
    pub fn days(n: i64) -> Self {
        Self(chrono::Duration::days(n))
    }
    pub fn hours(n: i64) -> Self {
        Self(chrono::Duration::hours(n))
    }
    pub fn duration(self) -> chrono::Duration {
        self.0
    }
    /// Whole minutes: the stable name used in idempotency keys.
    pub fn minutes(self) -> i64 {
        self.0.num_minutes()
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        let d = humantime::parse_duration(s.trim())
            .map_err(|e| format!("`{s}` is not a duration like 21d, 1h or 90m ({e})"))?;
        let d = chrono::Duration::from_std(d).map_err(|e| e.to_string())?;
        if d < chrono::Duration::minutes(1) || d > chrono::Duration::days(366) {
            return Err(format!("`{s}` must be between 1 minute and 366 days"));
        }
        Ok(Self(d))
    }
}

impl<'de> Deserialize<'de> for Offset {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Offset::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesKind {
    Webinar,
    Echo,
}

impl SeriesKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesKind::Webinar => "webinar",
            SeriesKind::Echo => "echo",
        }
    }
}

impl SeriesSettings {
    pub fn timetable(&self) -> Timetable {
        Timetable {
            rule: self.rule.clone(),
            timezone: self.timezone,
            start_time: self.start_time,
            duration: chrono::Duration::minutes(i64::from(self.duration_minutes)),
        }
    }
}

/// The service's public base URL, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.0, path)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Whether the service is reached over https (then cookies are
    /// `Secure` and responses carry HSTS).
    pub fn is_https(&self) -> bool {
        url::Url::parse(&self.0).is_ok_and(|u| u.scheme() == "https")
    }
    /// The host name, for calendar UIDs and `List-Id`s.
    pub fn host(&self) -> String {
        url::Url::parse(&self.0)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_else(|| "convene".into())
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        let url = url::Url::parse(s).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err("must start with http:// or https://".into());
        }
        Ok(Self(s.trim_end_matches('/').to_string()))
    }
}

impl<'de> Deserialize<'de> for PublicUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        PublicUrl::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// Which database, chosen from the URL scheme (never by trying one then the other).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(s: &str) -> Result<Self, String> {
        if let Some(path) = s
            .strip_prefix("sqlite://")
            .or_else(|| s.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("a sqlite URL needs a file path, e.g. sqlite://data/convene.db".into());
            }
            Ok(Self::Sqlite(PathBuf::from(path)))
        } else if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            Ok(Self::Postgres(s.to_string()))
        } else {
            Err("must start with sqlite:// or postgres://".into())
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

/// Never prints a PostgreSQL password.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            Self::Postgres(u) => match url::Url::parse(u) {
                Ok(mut url) if url.password().is_some() => {
                    let _ = url.set_password(Some("***"));
                    write!(f, "{url}")
                }
                _ => write!(f, "{u}"),
            },
        }
    }
}

impl<'de> Deserialize<'de> for DatabaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DatabaseUrl::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
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

fn timezone<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let s = String::deserialize(d)?;
    s.parse::<Tz>().map_err(|_| {
        serde::de::Error::custom(format!(
            "unknown IANA time zone `{s}` (e.g. America/New_York)"
        ))
    })
}

fn local_time<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let s = String::deserialize(d)?;
    parse_local_time(&s).map_err(serde::de::Error::custom)
}

fn optional_local_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveTime>, D::Error> {
    let s = String::deserialize(d)?;
    parse_local_time(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// A time of day written `13:00` (or `13:00:00`).
pub fn parse_local_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
        .map_err(|_| format!("`{s}` is not a time of day like 13:00"))
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(String);

/// A feature's check of its own settings: `Err((key, why))` names the key
/// at fault.
pub type FeatureCheck = fn(&Settings) -> Result<(), (String, String)>;

impl Settings {
    /// Layers: embedded defaults, `config/$CONVENE_ENV.toml` (relative to
    /// `CONVENE_CONFIG_DIR`, default `config`), then `CONVENE__*` variables.
    pub fn load() -> Result<Self, ConfigError> {
        let dir = std::env::var("CONVENE_CONFIG_DIR").unwrap_or_else(|_| "config".into());
        let env = std::env::var("CONVENE_ENV").ok();
        Self::load_from(
            Path::new(&dir),
            env.as_deref(),
            Env::prefixed("CONVENE__").split("__"),
        )
    }

    /// Loads the link key now, so that a missing or unreadable key file
    /// stops start-up instead of a request. Call once the settings are final.
    pub fn load_link_key(&self) -> anyhow::Result<&crate::web::links::LinkKey> {
        if let Some(key) = self.links.get() {
            return Ok(key);
        }
        let key = crate::web::links::LinkKey::load(&self.auth)?;
        Ok(self.links.get_or_init(|| key))
    }

    /// The key that seals and opens private links.
    ///
    /// # Panics
    /// When the key cannot be loaded and [`Settings::load_link_key`] was not
    /// called first to report that.
    pub fn link_key(&self) -> &crate::web::links::LinkKey {
        self.load_link_key()
            .unwrap_or_else(|e| panic!("the link key cannot be loaded: {e:#}"))
    }

    /// The embedded defaults alone: what tests start from.
    pub fn defaults() -> Result<Self, ConfigError> {
        Self::extract(Figment::new().merge(Toml::string(DEFAULTS)))
    }

    fn load_from(dir: &Path, env: Option<&str>, vars: Env) -> Result<Self, ConfigError> {
        let mut figment = Figment::new().merge(Toml::string(DEFAULTS));
        if let Some(env) = env {
            let overlay = dir.join(format!("{env}.toml"));
            if !overlay.is_file() {
                return Err(ConfigError(format!(
                    "CONVENE_ENV={env} but {} does not exist",
                    overlay.display()
                )));
            }
            figment = figment.merge(Toml::file(overlay));
        }
        Self::extract(figment.merge(vars))
    }

    fn extract(figment: Figment) -> Result<Self, ConfigError> {
        let settings: Settings = figment.extract().map_err(|errors| {
            let lines: Vec<String> = errors.into_iter().map(describe).collect();
            ConfigError(lines.join("; "))
        })?;
        settings.check()?;
        Ok(settings)
    }

    /// Each feature's own check of its settings, handed in by the
    /// composition (`app::SETTINGS_CHECKS`) so the kernel names no feature.
    pub fn check_features(&self, checks: &[FeatureCheck]) -> Result<(), ConfigError> {
        for check in checks {
            check(self).map_err(|(key, why)| ConfigError(format!("`{key}` {why}")))?;
        }
        Ok(())
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("`{key}` {why}")));
        if self.database.pool_size == 0 {
            return bad("database.pool_size", "must be at least 1");
        }
        if self.mail.batch_size == 0 {
            return bad("mail.batch_size", "must be at least 1");
        }
        if self.mail.max_attempts == 0 {
            return bad("mail.max_attempts", "must be at least 1");
        }
        for slug in self.lists.keys() {
            if !slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return bad(
                    &format!("lists.{slug}"),
                    "slug must be lowercase letters, digits and dashes",
                );
            }
        }
        if !self.auth.jwt_secret.is_empty() && self.auth.jwt_secret.len() < 32 {
            return bad(
                "auth.jwt_secret",
                "must be at least 32 characters (or empty)",
            );
        }
        if self.auth.token_minutes == 0 || self.auth.session_hours == 0 {
            return bad(
                "auth.token_minutes",
                "and auth.session_hours must be at least 1",
            );
        }
        if self.auth.lockout_after == 0 || self.auth.logins_per_ip_per_minute == 0 {
            return bad(
                "auth.lockout_after",
                "and auth.logins_per_ip_per_minute must be at least 1",
            );
        }
        if self.lineup.response_valid_days == 0 || self.lineup.remind_after_days == 0 {
            return bad(
                "lineup.response_valid_days",
                "and lineup.remind_after_days must be at least 1",
            );
        }
        if !(1..=50).contains(&self.echo.attachment_max_mb) {
            return bad("echo.attachment_max_mb", "must be from 1 to 50");
        }
        if !(1..=1024).contains(&self.attendance.report_max_mb) {
            return bad("attendance.report_max_mb", "must be from 1 to 1024");
        }
        if self.archive.document_max_mb == 0 || self.archive.recording_max_mb == 0 {
            return bad(
                "archive.document_max_mb",
                "the limits (document_max_mb, recording_max_mb) must be at least 1",
            );
        }
        if self.archive.follow_up_within_days == 0 {
            return bad("archive.follow_up_within_days", "must be at least 1");
        }
        if self.echo.follow_up_weeks == 0 {
            return bad("echo.follow_up_weeks", "must be at least 1");
        }
        if self.jobs.tick_seconds == 0 {
            return bad("jobs.tick_seconds", "must be at least 1");
        }
        // Five years is ahead enough to plan; far beyond, chrono-tz keeps
        // no daylight saving (after 2100), and 4,000,000 made no sessions.
        if !(1..=60).contains(&self.jobs.horizon_months) {
            return bad("jobs.horizon_months", "must be from 1 to 60");
        }
        if self.mail.transport == MailTransportKind::Smtp {
            if let Err(e) = url::Url::parse(&self.mail.smtp_url) {
                return bad("mail.smtp_url", &format!("is not a URL ({e})"));
            }
        }
        for (slug, s) in &self.series {
            if !slug
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return bad(
                    &format!("series.{slug}"),
                    "slug must be lowercase letters, digits and dashes",
                );
            }
            if s.duration_minutes == 0 {
                return bad(
                    &format!("series.{slug}.duration_minutes"),
                    "must be at least 1",
                );
            }
            if s.capacity == 0 {
                return bad(&format!("series.{slug}.capacity"), "must be at least 1");
            }
            for cohort in s.cohorts.keys() {
                let key = format!("series.{slug}.cohorts.{cohort}");
                if s.kind != SeriesKind::Echo {
                    return bad(&key, "only a series of kind \"echo\" has cohorts");
                }
            }
            if let Some(list) = &s.list {
                if !self.lists.contains_key(list) {
                    return bad(
                        &format!("series.{slug}.list"),
                        &format!("names `{list}`, which is not one of the [lists]"),
                    );
                }
            }
        }
        Ok(())
    }
}

/// One figment error as "`key`: problem (from source)".
fn describe(e: figment::Error) -> String {
    let key = if e.path.is_empty() {
        "(top level)".to_string()
    } else {
        e.path.join(".")
    };
    let source = e
        .metadata
        .as_ref()
        .map(|m| {
            let name = m.name.to_string();
            match e.path.last() {
                Some(_) if name.contains("environment") => format!(
                    " (from environment variable CONVENE__{})",
                    e.path.join("__").to_uppercase()
                ),
                _ => format!(" (from {name})"),
            }
        })
        .unwrap_or_default();
    format!("`{key}`: {}{source}", e.kind)
}

#[cfg(test)]
mod tests {
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
}
