//! Values that parse themselves: the public URL, the database URL, time
//! zones and times of day.

use std::fmt;
use std::path::PathBuf;

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer};

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

pub(super) fn timezone<'de, D: Deserializer<'de>>(d: D) -> Result<Tz, D::Error> {
    let s = String::deserialize(d)?;
    s.parse::<Tz>().map_err(|_| {
        serde::de::Error::custom(format!(
            "unknown IANA time zone `{s}` (e.g. America/New_York)"
        ))
    })
}

pub(super) fn local_time<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveTime, D::Error> {
    let s = String::deserialize(d)?;
    parse_local_time(&s).map_err(serde::de::Error::custom)
}

pub(super) fn optional_local_time<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<NaiveTime>, D::Error> {
    let s = String::deserialize(d)?;
    parse_local_time(&s)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// A file's path; empty: none.
pub(super) fn optional_path<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<std::path::PathBuf>, D::Error> {
    let s = String::deserialize(d)?;
    Ok((!s.trim().is_empty()).then(|| s.into()))
}

/// An address to listen on, `127.0.0.1:9187`; empty: none.
pub(super) fn optional_socket_addr<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<std::net::SocketAddr>, D::Error> {
    let s = String::deserialize(d)?;
    if s.trim().is_empty() {
        return Ok(None);
    }
    s.trim().parse().map(Some).map_err(|_| {
        serde::de::Error::custom(format!(
            "`{s}` is not an address to listen on like 127.0.0.1:9187 (empty: none)"
        ))
    })
}

/// A time of day written `13:00` (or `13:00:00`).
pub fn parse_local_time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
        .map_err(|_| format!("`{s}` is not a time of day like 13:00"))
}
