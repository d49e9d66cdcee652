//! Typed settings: the embedded `config/default.toml`, an optional overlay
//! `config/$CONVENE_ENV.toml`, then `CONVENE__SECTION__KEY` environment
//! variables. A bad value stops start-up with the key named.

use std::collections::BTreeMap;
use std::path::Path;

use figment::providers::{Env, Format, Toml};
use figment::Figment;
use serde::Deserialize;

const DEFAULTS: &str = include_str!("../../config/default.toml");

mod sections;
mod series;
mod values;

pub use sections::*;
pub use series::*;
pub use values::*;

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
    pub evaluation: EvaluationSettings,
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
        let key =
            crate::web::links::LinkKey::load(&self.auth.link_secret, &self.auth.link_key_file)?;
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
        if !(1..=1024).contains(&self.limits.list_import_max_mb) {
            return bad("limits.list_import_max_mb", "must be from 1 to 1024");
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
        if self.archive.store == StoreKind::S3 {
            if let Err((key, why)) = self.archive.s3.check() {
                return bad(&key, &why);
            }
        }
        if self.archive.follow_up_within_days == 0 {
            return bad("archive.follow_up_within_days", "must be at least 1");
        }
        if self.echo.follow_up_weeks == 0 {
            return bad("echo.follow_up_weeks", "must be at least 1");
        }
        if self.http.page_cache_ms > 10_000 {
            return bad(
                "http.page_cache_ms",
                "must be at most 10000 (a page may show places left that long after another instance's change)",
            );
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
mod tests;
