//! Where uploaded materials are kept: an object store (the `object_store`
//! crate), by default a local folder. An S3-compatible store is another
//! `ObjectStore` behind the same calls, so features never know which. Each
//! file is kept under its SHA-256: the same file uploaded twice is kept
//! once, and a file name is never a path.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio::io::AsyncReadExt;

pub use object_store::Error;

/// Parts a file is written in: the most of one held in memory at a time
/// (two are in flight).
const PART: usize = 8 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

fn io(e: std::io::Error) -> Error {
    Error::Generic {
        store: "convene",
        source: Box::new(e),
    }
}

impl Storage {
    /// Files in the folder `dir` (created if missing).
    pub fn local(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let store = LocalFileSystem::new_with_prefix(dir).map_err(std::io::Error::other)?;
        Ok(Self {
            store: Arc::new(store),
        })
    }

    /// `ab/abcdef…`: a level of folders keeps any one folder small.
    fn key(sha256: &str) -> Key {
        Key::from(format!("{}/{sha256}", &sha256[..2.min(sha256.len())]))
    }

    pub async fn contains(&self, sha256: &str) -> Result<bool, Error> {
        match self.store.head(&Self::key(sha256)).await {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Keeps the file at `path`, whose bytes hash to `sha256`, reading it a
    /// part at a time (nothing to do when it is kept already).
    pub async fn put_file(&self, sha256: &str, path: &Path) -> Result<(), Error> {
        if self.contains(sha256).await? {
            return Ok(());
        }
        let mut file = tokio::fs::File::open(path).await.map_err(io)?;
        let upload = self.store.put_multipart(&Self::key(sha256)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut part = vec![0u8; PART];
        loop {
            let mut filled = 0;
            while filled < PART {
                let n = file.read(&mut part[filled..]).await.map_err(io)?;
                if n == 0 {
                    break;
                }
                filled += n;
            }
            if filled == 0 {
                break;
            }
            if let Err(e) = writer.wait_for_capacity(2).await {
                writer.abort().await.ok();
                return Err(e);
            }
            writer.write(&part[..filled]);
            if filled < PART {
                break;
            }
        }
        writer.finish().await?;
        Ok(())
    }

    /// Bytes `range` of the file kept under `sha256`, as they are read.
    pub async fn read(
        &self,
        sha256: &str,
        range: Range<u64>,
    ) -> Result<BoxStream<'static, Result<Bytes, Error>>, Error> {
        let options = GetOptions {
            range: Some(GetRange::Bounded(range)),
            ..Default::default()
        };
        Ok(self
            .store
            .get_opts(&Self::key(sha256), options)
            .await?
            .into_stream())
    }

    /// Forgets the file kept under `sha256` (already gone is fine).
    pub async fn delete(&self, sha256: &str) -> Result<(), Error> {
        match self.store.delete(&Self::key(sha256)).await {
            Err(Error::NotFound { .. }) => Ok(()),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;
    use sha2::{Digest, Sha256};

    #[tokio::test]
    async fn a_file_larger_than_a_part_is_kept_whole_and_read_by_range() {
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::local(&dir.path().join("archive")).unwrap();
        let bytes: Vec<u8> = (0..PART + 12_345).map(|i| (i % 251) as u8).collect();
        let sha = format!("{:x}", Sha256::digest(&bytes));
        let source = dir.path().join("upload");
        std::fs::write(&source, &bytes).unwrap();

        storage.put_file(&sha, &source).await.unwrap();
        storage.put_file(&sha, &source).await.unwrap();

        assert!(storage.contains(&sha).await.unwrap());
        let kept = dir.path().join("archive").join(&sha[..2]).join(&sha);
        assert_eq!(std::fs::read(&kept).unwrap(), bytes, "kept whole, once");
        let from = PART as u64 - 5;
        let part: Vec<Bytes> = storage
            .read(&sha, from..from + 10)
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert_eq!(part.concat(), &bytes[from as usize..from as usize + 10]);
        storage.delete(&sha).await.unwrap();
        storage.delete(&sha).await.unwrap();
        assert!(!storage.contains(&sha).await.unwrap());
    }
}
