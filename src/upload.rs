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
}

impl From<SpoolError> for ApiError {
    fn from(e: SpoolError) -> Self {
        match e {
            SpoolError::TooLarge { .. } => ApiError::TooLarge(format!("Not accepted: {e}.")),
            SpoolError::Read(_) => ApiError::invalid(format!("Not accepted: {e}.")),
            SpoolError::Store(cause) => {
                ApiError::Internal(anyhow::Error::from(cause).context("spooling an upload"))
            }
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
pub async fn discard<S, B, E>(body: S) -> Result<(), SpoolError>
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
