//! Where messages go: an SMTP server (async, pooled connections, see
//! `smtp`) or, the zero-setup default, `.eml` files in a folder.

use std::sync::Arc;
use std::time::Duration;

use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailSettings, MailTransportKind};
use crate::mail::smtp::{self, SmtpPool};

#[derive(Clone)]
pub enum Mailer {
    Smtp(Arc<SmtpPool>),
    File(AsyncFileTransport<Tokio1Executor>),
}

/// Why a send failed, and whether trying again later may help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    pub message: String,
    /// A 5xx answer: the server will never take this message.
    pub permanent: bool,
}

impl Mailer {
    pub fn from_settings(settings: &MailSettings) -> Result<Self, String> {
        match settings.transport {
            MailTransportKind::File => {
                std::fs::create_dir_all(&settings.file_dir)
                    .map_err(|e| format!("`mail.file_dir` {}: {e}", settings.file_dir.display()))?;
                Ok(Mailer::File(AsyncFileTransport::new(&settings.file_dir)))
            }
            MailTransportKind::Smtp => {
                let roots = match &settings.smtp_ca_file {
                    Some(path) => Some(
                        std::fs::read(path)
                            .map_err(|e| e.to_string())
                            .and_then(|pem| smtp::authorities(&pem))
                            .map_err(|e| format!("`mail.smtp_ca_file` {}: {e}", path.display()))?,
                    ),
                    None => None,
                };
                let pool = SmtpPool::new(
                    &settings.smtp_url,
                    roots,
                    Duration::from_secs(settings.smtp_timeout_seconds),
                    settings.smtp_pool_size,
                )
                .map_err(|e| format!("`mail.smtp_url`: {e}"))?;
                Ok(Mailer::Smtp(Arc::new(pool)))
            }
        }
    }

    /// Whether messages can go with these settings, sending none: the SMTP
    /// server greets, secures and signs in, or the folder takes a file.
    /// What was reached, or why not.
    pub async fn check(settings: &MailSettings) -> Result<String, String> {
        match Mailer::from_settings(settings)? {
            Mailer::Smtp(pool) => pool
                .check()
                .await
                .map_err(|e| format!("smtp: {}", e.message)),
            Mailer::File(_) => tempfile::NamedTempFile::new_in(&settings.file_dir)
                .map(|_| format!(".eml files into {}", settings.file_dir.display()))
                .map_err(|e| format!("`mail.file_dir` {}: {e}", settings.file_dir.display())),
        }
    }

    pub async fn send(&self, message: Message) -> Result<(), SendError> {
        match self {
            Mailer::Smtp(pool) => pool
                .send(message.envelope(), &message.formatted())
                .await
                .map_err(|e| SendError {
                    permanent: e.permanent,
                    message: format!("smtp: {}", e.message),
                }),
            Mailer::File(t) => t.send(message).await.map(|_| ()).map_err(|e| SendError {
                permanent: false,
                message: format!("file transport: {e}"),
            }),
        }
    }
}

/// The file transport's folder holds a rendered copy of every message it
/// "sent". Removes the files for which `drop` is true, given each file's
/// path and when it was written; returns how many went. Nothing to do for
/// SMTP, or before the folder exists.
fn remove_copies(
    settings: &MailSettings,
    drop: impl Fn(&std::path::Path, std::time::SystemTime) -> std::io::Result<bool>,
) -> std::io::Result<usize> {
    if settings.transport != MailTransportKind::File || !settings.file_dir.is_dir() {
        return Ok(0);
    }
    let mut removed = 0;
    for entry in std::fs::read_dir(&settings.file_dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        let written = meta.modified()?;
        if drop(&entry.path(), written)? {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Removes the file transport's copies that mention `needle` (an erased
/// person's address; compared ignoring ASCII case).
pub fn forget_copies(settings: &MailSettings, needle: &str) -> std::io::Result<usize> {
    let needle = needle.to_ascii_lowercase().into_bytes();
    remove_copies(settings, |path, _| {
        let bytes = std::fs::read(path)?.to_ascii_lowercase();
        Ok(!needle.is_empty() && bytes.windows(needle.len()).any(|w| w == needle.as_slice()))
    })
}

/// Removes the file transport's copies written before `cutoff` (the mail
/// retention).
pub fn expire_copies(
    settings: &MailSettings,
    cutoff: std::time::SystemTime,
) -> std::io::Result<usize> {
    remove_copies(settings, |_, written| Ok(written < cutoff))
}
