//! Uploads streamed to a temporary file as they arrive, hashed on the way
//! and cut off at a limit, so that a large one is never held in memory.
//! The file is removed when its [`Spooled`] is dropped.

use std::fmt::Display;
use std::path::Path;

use futures_util::{Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use crate::error::ApiError;

/// An upload written whole to a temporary file.
#[derive(Debug)]
pub struct Spooled {
    path: tempfile::TempPath,
    sha256: String,
    len: u64,
}

impl Spooled {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The SHA-256 of the bytes, in lower-case hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the file is larger than {} MB", .limit / (1024 * 1024))]
    TooLarge { limit: u64 },
    #[error("the upload could not be read: {0}")]
    Read(String),
    #[error("the upload could not be stored")]
    Store(#[from] std::io::Error),
    /// A text field that is not clean text (see `hygiene`).
    #[error("{0}")]
    Refused(crate::web::hygiene::Refusal),
}

impl From<SpoolError> for ApiError {
    fn from(e: SpoolError) -> Self {
        match e {
            SpoolError::TooLarge { .. } => ApiError::TooLarge(format!("Not accepted: {e}.")),
            SpoolError::Read(_) => ApiError::invalid(format!("Not accepted: {e}.")),
            SpoolError::Store(cause) => {
                ApiError::Internal(anyhow::Error::from(cause).context("spooling an upload"))
            }
            SpoolError::Refused(refusal) => refusal.api_error(),
        }
    }
}

/// Writes `body` to a new temporary file in the system's temporary
/// folder, at most `limit` bytes: one byte more is `TooLarge`, and the rest
/// of the body is left unread.
pub async fn spool<S, B, E>(body: S, limit: u64) -> Result<Spooled, SpoolError>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
    E: Display,
{
    spool_in(&std::env::temp_dir(), body, limit).await
}

/// `spool` into `dir` (created if missing): for uploads too large for a
/// temporary folder that may be held in memory.
pub async fn spool_in<S, B, E>(dir: &Path, body: S, limit: u64) -> Result<Spooled, SpoolError>
where
    S: Stream<Item = Result<B, E>>,
    B: AsRef<[u8]>,
    E: Display,
{
    let dir = dir.to_path_buf();
    let temp = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&dir)?;
        tempfile::NamedTempFile::new_in(&dir)
    })
    .await
    .map_err(std::io::Error::other)??;
    let (file, path) = temp.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let (mut hash, mut len) = (Sha256::new(), 0u64);
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| SpoolError::Read(e.to_string()))?;
        let chunk = chunk.as_ref();
        len += chunk.len() as u64;
        if len > limit {
            return Err(SpoolError::TooLarge { limit });
        }
        hash.update(chunk);
        file.write_all(chunk).await?;
    }
    file.flush().await?;
    Ok(Spooled {
        path,
        sha256: format!("{:x}", hash.finalize()),
        len,
    })
}

/// Reads the rest of `body` and drops it: what a multipart form must do
/// with a field it refused before it can read the next.
async fn discard<S, B, E>(body: S) -> Result<(), SpoolError>
where
    S: Stream<Item = Result<B, E>>,
    E: Display,
{
    let mut body = std::pin::pin!(body);
    while let Some(chunk) = body.next().await {
        chunk.map_err(|e| SpoolError::Read(e.to_string()))?;
    }
    Ok(())
}

/// The first `limit` bytes of a multipart field, and whether there were
/// more (read and dropped).
pub async fn read_text<S, E>(field: S, limit: usize) -> Result<(Vec<u8>, bool), E>
where
    S: Stream<Item = Result<actix_web::web::Bytes, E>>,
{
    let (mut bytes, mut cut) = (Vec::new(), false);
    let mut field = std::pin::pin!(field);
    while let Some(chunk) = field.next().await {
        let chunk = chunk?;
        let room = limit.saturating_sub(bytes.len());
        cut |= chunk.len() > room;
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok((bytes, cut))
}

/// The longest text field of a multipart form kept; the rest is dropped.
const TEXT_FIELD_BYTES: usize = 8192;
/// The most fields a form may have: every form here has a dozen at most,
/// and each is held until the form is read.
const MAX_FIELDS: usize = 64;

/// A multipart form as read: its text fields, and its `file` field spooled.
#[derive(Debug)]
pub struct Form {
    pub fields: Vec<(String, String)>,
    /// The file and the name the browser gave it; `None` when none was
    /// chosen (or it was empty).
    pub file: Option<(Spooled, String)>,
    /// The file went past its limit, which `too_large` says (then `file`
    /// is `None`).
    pub too_large: Option<SpoolError>,
}

impl Form {
    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Reads a multipart form: text fields (at most 64, each kept up to 8 KB), and the
/// field named `file` spooled into `dir`, cut off at `limit` of the fields
/// read before it (so a form that sends its `kind` first can have a limit
/// per kind). A file over the limit is drained and noted, and the fields
/// after it still read.
pub async fn read_form(
    mut payload: actix_multipart::Multipart,
    dir: &Path,
    limit: impl Fn(&Form) -> u64,
) -> Result<Form, SpoolError> {
    use futures_util::TryStreamExt;
    let read = |e: actix_multipart::MultipartError| SpoolError::Read(e.to_string());
    let mut form = Form {
        fields: Vec::new(),
        file: None,
        too_large: None,
    };
    while let Some(mut field) = payload.try_next().await.map_err(read)? {
        if form.fields.len() >= MAX_FIELDS {
            return Err(SpoolError::Read("too many fields".into()));
        }
        let name = field.name().unwrap_or_default().to_string();
        if name == "file" {
            let filename = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or_default()
                .to_string();
            match spool_in(dir, &mut field, limit(&form)).await {
                Ok(spooled) if spooled.is_empty() => {}
                Ok(spooled) => form.file = Some((spooled, filename)),
                Err(e @ SpoolError::TooLarge { .. }) => {
                    form.too_large = Some(e);
                    discard(&mut field).await?;
                }
                Err(e) => return Err(e),
            }
            continue;
        }
        let (bytes, cut) = read_text(&mut field, TEXT_FIELD_BYTES)
            .await
            .map_err(read)?;
        let value = crate::web::hygiene::field(&name, &bytes, cut).map_err(SpoolError::Refused)?;
        form.fields.push((name, value));
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(parts: &[&'static [u8]]) -> impl Stream<Item = Result<&'static [u8], String>> {
        futures_util::stream::iter(parts.iter().map(|p| Ok(*p)).collect::<Vec<_>>())
    }

    #[tokio::test]
    async fn a_spooled_upload_holds_the_bytes_and_their_hash() {
        let spooled = spool(body(&[b"ab", b"c"]), 3).await.unwrap();
        assert_eq!(std::fs::read(spooled.path()).unwrap(), b"abc");
        assert_eq!(
            spooled.sha256(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            "SHA-256 of `abc`"
        );
        assert_eq!(spooled.len(), 3);
        let path = spooled.path().to_path_buf();
        drop(spooled);
        assert!(!path.exists(), "the file goes with the value");
    }

    #[tokio::test]
    async fn one_byte_over_the_limit_is_too_large() {
        let err = spool(body(&[b"ab", b"cd"]), 3).await.unwrap_err();
        assert!(matches!(err, SpoolError::TooLarge { limit: 3 }), "{err}");
    }
}
