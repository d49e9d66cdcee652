//! Where uploaded materials are kept: an object store (the `object_store`
//! crate), a local folder or an S3 bucket (`archive.store`). Features call
//! the same few functions and never know which. Each file is kept under its
//! SHA-256: the same file uploaded twice is kept once, and a file name is
//! never a path.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{
    ClientOptions, GetOptions, GetRange, GetResultPayload, ObjectStore, ObjectStoreExt, PutPayload,
    WriteMultipart,
};
use tokio::io::AsyncReadExt;

use crate::config::{ArchiveSettings, S3Settings, StoreKind};

pub use object_store::Error;

/// Parts a file is written in: the most of one held in memory at a time
/// (two are in flight).
const PART: usize = 8 * 1024 * 1024;

/// Bytes read at a time from a file in a local folder. `object_store`'s
/// own stream of a local file reads 8 KiB per hand-off to a blocking
/// thread: a recording came down at 191 MB/s over loopback (issue 18).
const LOCAL_READ: usize = 1024 * 1024;

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

/// Reads from `file` until `buf` is full or the file ends: how much.
async fn fill(file: &mut tokio::fs::File, buf: &mut [u8]) -> Result<usize, Error> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]).await.map_err(io)? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
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

    /// The store `archive` names. A bad setting is an error naming its key.
    pub fn open(archive: &ArchiveSettings) -> Result<Self, OpenError> {
        match archive.store {
            StoreKind::Local => Self::local(&archive.dir)
                .map_err(|e| OpenError::Folder(archive.dir.display().to_string(), e)),
            StoreKind::S3 => {
                let store = s3_builder(&archive.s3, std::env::vars())?
                    .build()
                    .map_err(OpenError::S3)?;
                Ok(Self {
                    store: Arc::new(store),
                })
            }
        }
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
        let key = Self::key(sha256);
        let mut file = tokio::fs::File::open(path).await.map_err(io)?;
        let mut part = vec![0u8; PART];
        let mut filled = fill(&mut file, &mut part).await?;
        if filled < PART {
            // One request rather than three (start, part, finish): most
            // slides and documents.
            part.truncate(filled);
            self.store.put(&key, PutPayload::from(part)).await?;
            return Ok(());
        }
        let upload = self.store.put_multipart(&key).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let written = async {
            while filled > 0 {
                writer.wait_for_capacity(2).await?;
                writer.write(&part[..filled]);
                filled = fill(&mut file, &mut part).await?;
            }
            Ok(())
        }
        .await;
        match written {
            Ok(()) => writer.finish().await.map(drop),
            Err(e) => {
                // An unfinished upload would otherwise stay in a bucket,
                // unseen and paid for.
                writer.abort().await.ok();
                Err(e)
            }
        }
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
        let got = self.store.get_opts(&Self::key(sha256), options).await?;
        Ok(match got.payload {
            GetResultPayload::File(file, _) => local_stream(file, got.range),
            GetResultPayload::Stream(stream) => stream,
        })
    }

    /// Writes a small object, reads it back and removes it: whether
    /// uploads can be kept and served with these settings (`convene
    /// check`).
    pub async fn probe(&self) -> Result<(), Error> {
        const PROBE: &[u8] = b"convene check";
        // At the top: a local folder keeps no empty folder behind.
        let key = Key::from(format!("convene-check-{}", std::process::id()));
        self.store.put(&key, PutPayload::from_static(PROBE)).await?;
        let back = self.store.get(&key).await?.bytes().await?;
        self.store.delete(&key).await?;
        if back != PROBE {
            return Err(io(std::io::Error::other("the probe read back differs")));
        }
        Ok(())
    }

    /// Forgets the file kept under `sha256` (already gone is fine).
    pub async fn delete(&self, sha256: &str) -> Result<(), Error> {
        match self.store.delete(&Self::key(sha256)).await {
            Err(Error::NotFound { .. }) => Ok(()),
            other => other,
        }
    }
}

/// Bytes `range` of a local file, `LOCAL_READ` at a time, each read on a
/// blocking thread.
fn local_stream(
    file: std::fs::File,
    range: Range<u64>,
) -> BoxStream<'static, Result<Bytes, Error>> {
    use futures_util::StreamExt;
    let failed = |e: Box<dyn std::error::Error + Send + Sync>| Error::Generic {
        store: "LocalFileSystem",
        source: e,
    };
    futures_util::stream::try_unfold((file, range), move |(mut file, range)| async move {
        if range.is_empty() {
            return Ok(None);
        }
        let want = (range.end - range.start).min(LOCAL_READ as u64) as usize;
        let at = range.start;
        let read = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Seek, SeekFrom};
            let mut chunk = vec![0; want];
            file.seek(SeekFrom::Start(at))?;
            file.read_exact(&mut chunk)?;
            Ok::<_, std::io::Error>((file, chunk))
        })
        .await
        .map_err(|e| failed(e.into()))?;
        let (file, chunk) = read.map_err(|e| failed(e.into()))?;
        Ok(Some((
            Bytes::from(chunk),
            (file, at + want as u64..range.end),
        )))
    })
    .boxed()
}

/// Why the store named by the settings cannot be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("archive.dir: cannot use the folder {0}: {1}")]
    Folder(String, #[source] std::io::Error),
    #[error("`{0}` {1}")]
    Setting(String, String),
    #[error("archive.s3: {0}")]
    S3(#[source] Error),
}

/// What `AWS_*` variables may give: credentials (keys, a role, a
/// container's or an instance's) and the region. The bucket, the server
/// and how to address it come from the settings alone.
fn from_environment(key: AmazonS3ConfigKey) -> bool {
    use AmazonS3ConfigKey as K;
    matches!(
        key,
        K::AccessKeyId
            | K::SecretAccessKey
            | K::Token
            | K::Region
            | K::DefaultRegion
            | K::WebIdentityTokenFile
            | K::RoleArn
            | K::RoleSessionName
            | K::StsEndpoint
            | K::ContainerCredentialsRelativeUri
            | K::ContainerCredentialsFullUri
            | K::ContainerAuthorizationTokenFile
            | K::MetadataEndpoint
    )
}

/// The bucket of `s3`, what is unset there read from `vars` (the process
/// environment outside tests).
fn s3_builder(
    s3: &S3Settings,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<AmazonS3Builder, OpenError> {
    s3.check()
        .map_err(|(key, why)| OpenError::Setting(key, why))?;
    let own_keys = !s3.access_key_id.is_empty();
    let mut builder = AmazonS3Builder::new();
    for (name, value) in vars {
        let Some(name) = name.strip_prefix("AWS_") else {
            continue;
        };
        let Ok(key) = format!("aws_{}", name.to_ascii_lowercase()).parse::<AmazonS3ConfigKey>()
        else {
            continue;
        };
        // A session token belongs to the environment's keys, not ours.
        if from_environment(key) && !(own_keys && key == AmazonS3ConfigKey::Token) {
            builder = builder.with_config(key, value);
        }
    }
    builder = builder
        .with_bucket_name(&s3.bucket)
        .with_virtual_hosted_style_request(s3.virtual_hosted_style)
        .with_client_options(
            ClientOptions::new()
                // `check` let through only the http:// it allows.
                .with_allow_http(s3.endpoint.to_ascii_lowercase().starts_with("http://"))
                // A download is read at the pace of the browser fetching
                // it, however long a recording takes: no limit on the
                // whole request, only on a stalled read (object_store then
                // asks again from where it stopped).
                .with_timeout_disabled()
                .with_read_timeout(Duration::from_secs(60)),
        );
    if own_keys {
        builder = builder
            .with_access_key_id(&s3.access_key_id)
            .with_secret_access_key(&s3.secret_access_key);
    }
    if !s3.region.is_empty() {
        builder = builder.with_region(&s3.region);
    }
    if !s3.endpoint.is_empty() {
        // Another server than AWS has no instance role to fall back on.
        if builder
            .get_config_value(&AmazonS3ConfigKey::AccessKeyId)
            .is_none()
        {
            return Err(OpenError::Setting(
                "archive.s3.access_key_id".into(),
                "(or AWS_ACCESS_KEY_ID) must be set with archive.s3.endpoint".into(),
            ));
        }
        builder = builder.with_endpoint(&s3.endpoint);
    }
    Ok(builder)
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

#[cfg(test)]
mod s3_settings {
    use super::*;

    fn bucket(endpoint: &str) -> S3Settings {
        S3Settings {
            bucket: "materials".into(),
            endpoint: endpoint.into(),
            ..Default::default()
        }
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn error(s3: &S3Settings, env: &[(&str, &str)]) -> String {
        s3_builder(s3, vars(env))
            .and_then(|b| b.build().map_err(OpenError::S3))
            .map(drop)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn another_server_than_aws_needs_keys_from_the_settings_or_the_environment() {
        let minio = bucket("http://127.0.0.1:9000");
        let err = error(&minio, &[]);
        assert!(err.contains("archive.s3.access_key_id"), "{err}");

        let env = [
            ("AWS_ACCESS_KEY_ID", "from-env"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
        ];
        let builder = s3_builder(&minio, vars(&env)).expect("keys from the environment");
        assert_eq!(
            builder.get_config_value(&AmazonS3ConfigKey::AccessKeyId),
            Some("from-env".into())
        );
        builder.build().expect("a store");

        let own = S3Settings {
            access_key_id: "own".into(),
            secret_access_key: "secret".into(),
            ..bucket("http://127.0.0.1:9000")
        };
        let builder = s3_builder(&own, vars(&env)).unwrap();
        assert_eq!(
            builder.get_config_value(&AmazonS3ConfigKey::AccessKeyId),
            Some("own".into()),
            "the settings win"
        );
    }

    #[test]
    fn half_a_key_pair_in_the_environment_is_an_error_naming_the_section() {
        let err = error(&bucket(""), &[("AWS_ACCESS_KEY_ID", "alone")]);
        assert!(err.starts_with("archive.s3:"), "{err}");
    }

    #[test]
    fn the_environment_gives_credentials_and_region_but_never_the_bucket_or_server() {
        let env = [
            ("AWS_REGION", "eu-west-3"),
            ("AWS_BUCKET", "elsewhere"),
            ("AWS_ENDPOINT", "http://elsewhere:9000"),
        ];
        let builder = s3_builder(&bucket(""), vars(&env)).unwrap();
        let value = |key| builder.get_config_value(&key);
        assert_eq!(value(AmazonS3ConfigKey::Region), Some("eu-west-3".into()));
        assert_eq!(value(AmazonS3ConfigKey::Bucket), Some("materials".into()));
        assert_eq!(value(AmazonS3ConfigKey::Endpoint), None);
    }

    #[test]
    fn a_missing_bucket_names_the_key() {
        let unnamed = S3Settings {
            bucket: String::new(),
            ..bucket("https://s3.example.org")
        };
        let err = error(&unnamed, &[]);
        assert!(err.contains("archive.s3.bucket"), "{err}");
    }
}
