//! Uploading and downloading a recording, as an organizer's browser does:
//! the release `convene serve` as a child process (SQLite, its own folder),
//! a generated MP4 of BENCH_UPLOAD_MB (default 1024) posted to
//! `POST /api/v1/sessions/{id}/materials` as multipart, then downloaded
//! whole from `/materials/{id}` and by a range. Reports the wall time, the
//! throughput, and the server's peak resident set (`VmHWM` of the child's
//! own process image, read from /proc) before and after: it should not
//! grow with the file.
//!
//! Beside each, the machine's ceiling for the same path, measured in the
//! same run: with the local store (default), the same bytes copied file to
//! file (what `dd` would do, no HTTP, no checks) and downloaded from nginx
//! over loopback (Debian's package, fetched on first use); with
//! `BENCH_STORE=s3` (an s3s-fs server in this process), the same object
//! written to and read from the same server by `object_store` directly.
//!
//!     cargo bench --bench archive_upload
//!     BENCH_UPLOAD_MB=256 cargo bench --bench archive_upload
//!     BENCH_STORE=s3 BENCH_UPLOAD_MB=256 cargo bench --bench archive_upload

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;

#[path = "support/debian.rs"]
mod debian;
#[path = "support/nginx.rs"]
mod nginx;
#[path = "support/rss.rs"]
mod rss;
#[allow(dead_code)] // the bench needs only the server
#[path = "../tests/api/archive/s3_server.rs"]
mod s3_server;
use tokio::io::AsyncReadExt;

const EMAIL: &str = "bench@example.org";
const PASSWORD: &str = "a long bench password";

/// The child's peak resident set so far, in MB.
fn peak_rss_mb(child: &Child) -> f64 {
    rss::peak_mb(&child.id().to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An MP4's `ftyp` box, then `megabytes` of zeros as its media data.
fn write_recording(path: &std::path::Path, megabytes: usize) {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    file.write_all(&20u32.to_be_bytes()).unwrap();
    file.write_all(b"ftypisom\0\0\x02\0isom").unwrap();
    let block = vec![0u8; 1024 * 1024];
    for _ in 0..megabytes {
        file.write_all(&block).unwrap();
    }
    file.flush().unwrap();
}

fn main() {
    let megabytes: usize = std::env::var("BENCH_UPLOAD_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let on_s3 = std::env::var("BENCH_STORE").as_deref() == Ok("s3");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let s3 = on_s3.then(|| runtime.block_on(s3_server::S3Server::start()));
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut envs = vec![
        (
            "CONVENE__DATABASE__URL",
            format!("sqlite://{}", dir.path().join("convene.db").display()),
        ),
        (
            "CONVENE__ARCHIVE__DIR",
            dir.path().join("archive").display().to_string(),
        ),
        (
            "CONVENE__ARCHIVE__SPOOL_DIR",
            dir.path().join("uploads").display().to_string(),
        ),
        (
            "CONVENE__ARCHIVE__RECORDING_MAX_MB",
            (megabytes + 16).to_string(),
        ),
        (
            "CONVENE__MAIL__FILE_DIR",
            dir.path().join("mail").display().to_string(),
        ),
        ("CONVENE__HTTP__BIND", format!("127.0.0.1:{port}")),
        ("CONVENE__JOBS__RUN_IN_SERVE", "false".into()),
        ("CONVENE__AUTH__JWT_SECRET", "x".repeat(40)),
        ("RUST_LOG", "warn".into()),
    ];
    if let Some(s3) = &s3 {
        envs.extend([
            ("CONVENE__ARCHIVE__STORE", "s3".to_string()),
            ("CONVENE__ARCHIVE__S3__BUCKET", s3_server::BUCKET.into()),
            ("CONVENE__ARCHIVE__S3__ENDPOINT", s3.endpoint.clone()),
            (
                "CONVENE__ARCHIVE__S3__ACCESS_KEY_ID",
                s3_server::KEY_ID.into(),
            ),
            (
                "CONVENE__ARCHIVE__S3__SECRET_ACCESS_KEY",
                s3_server::SECRET.into(),
            ),
        ]);
    }
    let convene = |args: &[&str]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_convene"));
        c.current_dir(dir.path())
            .args(args)
            .env_remove("CONVENE_ENV");
        for (k, v) in &envs {
            c.env(k, v);
        }
        c
    };
    let mut create = convene(&[
        "user",
        "create",
        "--email",
        EMAIL,
        "--name",
        "Bench",
        "--role",
        "organizer",
        "--password-stdin",
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .spawn()
    .unwrap();
    writeln!(create.stdin.take().unwrap(), "{PASSWORD}").unwrap();
    assert!(create.wait().unwrap().success(), "user create");
    let file = dir.path().join("recording.mp4");
    write_recording(&file, megabytes);
    let size = std::fs::metadata(&file).unwrap().len();

    let mut server = convene(&["serve"]).stdout(Stdio::null()).spawn().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("{base}/healthz")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let idle = peak_rss_mb(&server);
        let token: serde_json::Value = client
            .post(format!("{base}/api/v1/auth/token"))
            .json(&serde_json::json!({ "email": EMAIL, "password": PASSWORD }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["token"].as_str().expect("a token").to_string();
        let sessions: serde_json::Value = client
            .get(format!("{base}/api/v1/sessions"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = sessions["sessions"][0]["id"].as_i64().expect("a session");

        let reader = tokio::fs::File::open(&file).await.unwrap();
        let body = reqwest::Body::wrap_stream(chunks(reader));
        let form = reqwest::multipart::Form::new()
            .text("kind", "recording")
            .text("published", "true")
            .part(
                "file",
                reqwest::multipart::Part::stream_with_length(body, size).file_name("recording.mp4"),
            );
        let started = Instant::now();
        let response = client
            .post(format!("{base}/api/v1/sessions/{session}/materials"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        let uploaded = started.elapsed();
        assert_eq!(response.status().as_u16(), 201, "{}", response.text().await.unwrap());
        let body: serde_json::Value = response.json().await.unwrap();
        let after_upload = peak_rss_mb(&server);
        let href = body["material"]["href"].as_str().unwrap().to_string();

        let (downloaded, got) = fetch(&client, &format!("{base}{href}")).await;
        assert_eq!(got, size, "the whole file back");
        let part = client
            .get(format!("{base}{href}"))
            .header("range", format!("bytes={}-{}", size / 2, size / 2 + 1023))
            .send()
            .await
            .unwrap();
        assert_eq!(part.status().as_u16(), 206);
        let after_download = peak_rss_mb(&server);

        server.kill().ok();
        server.wait().ok();
        let (copied, read) = match &s3 {
            Some(s3) => s3_ceiling(s3, &file).await,
            None => (
                disk_ceiling(&file, &dir.path().join("copy")).await,
                nginx_ceiling(&client, &file, size).await,
            ),
        };

        let mb = size as f64 / 1e6;
        let store = if s3.is_some() { "S3 (s3s-fs, loopback)" } else { "local folder" };
        let ceiling = if s3.is_some() {
            "object_store straight to the same server"
        } else {
            "upload: file to file, 8 MB at a time; download: nginx sending the same file (sendfile)"
        };
        let build = if cfg!(debug_assertions) {
            "debug build: not a figure to record"
        } else {
            "release build"
        };
        println!("archive_upload: a {mb:.0} MB recording, store: {store} ({build}, SQLite, loopback)");
        let line = |what: &str, took: Duration, ceiling: Duration| {
            println!(
                "  {what}: {:.2} s ({:.0} MB/s); the machine's ceiling, {:.2} s ({:.0} MB/s): {:.2}x of it",
                took.as_secs_f64(),
                mb / took.as_secs_f64(),
                ceiling.as_secs_f64(),
                mb / ceiling.as_secs_f64(),
                ceiling.as_secs_f64() / took.as_secs_f64(),
            )
        };
        println!("  (ceiling: {ceiling}; upload = spooled, checked, kept in 8 MB parts)");
        line("upload  ", uploaded, copied);
        line("download", downloaded, read);
        println!(
            "  server peak RSS: {idle:.1} MB started, {after_upload:.1} MB after the upload, {after_download:.1} MB after the downloads"
        );
    });
}

/// The same bytes copied to `to` 8 MB at a time (read and write, as the
/// store does: no `copy_file_range`).
async fn disk_ceiling(from: &std::path::Path, to: &std::path::Path) -> Duration {
    use tokio::io::AsyncWriteExt;
    let started = Instant::now();
    let mut source = tokio::fs::File::open(from).await.unwrap();
    let mut target = tokio::fs::File::create(to).await.unwrap();
    let mut buf = vec![0u8; 8 * 1024 * 1024];
    loop {
        let n = source.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        target.write_all(&buf[..n]).await.unwrap();
    }
    started.elapsed()
}

/// The same file downloaded the same way from nginx over loopback: the
/// machine's static server, the file in the page cache as the store's is.
async fn nginx_ceiling(client: &reqwest::Client, from: &std::path::Path, size: u64) -> Duration {
    let bytes = std::fs::read(from).unwrap();
    let server = nginx::Nginx::serve(&[("/recording.mp4", &bytes)], true);
    drop(bytes);
    let url = format!("http://127.0.0.1:{}/recording.mp4", server.port);
    fetch(client, &url).await; // once to warm the page cache, as the store's copy is
    let (took, got) = fetch(client, &url).await;
    assert_eq!(got, size, "nginx sends the whole file");
    took
}

/// GETs `url` whole: how long it took, and how many bytes came.
async fn fetch(client: &reqwest::Client, url: &str) -> (Duration, u64) {
    let started = Instant::now();
    let mut body = client.get(url).send().await.unwrap().bytes_stream();
    let mut got = 0u64;
    while let Some(chunk) = body.next().await {
        got += chunk.unwrap().len() as u64;
    }
    (started.elapsed(), got)
}

/// The same file written to the same S3 server by `object_store` alone (8 MB
/// parts, two in flight, as the store does), then read back whole.
async fn s3_ceiling(s3: &s3_server::S3Server, from: &std::path::Path) -> (Duration, Duration) {
    use object_store::{ObjectStoreExt, WriteMultipart};
    let store = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(s3_server::BUCKET)
        .with_endpoint(&s3.endpoint)
        .with_allow_http(true)
        .with_access_key_id(s3_server::KEY_ID)
        .with_secret_access_key(s3_server::SECRET)
        .build()
        .unwrap();
    let key = object_store::path::Path::from("ceiling/recording.mp4");
    let started = Instant::now();
    let mut source = tokio::fs::File::open(from).await.unwrap();
    let part = 8 * 1024 * 1024;
    let mut writer =
        WriteMultipart::new_with_chunk_size(store.put_multipart(&key).await.unwrap(), part);
    let mut buf = vec![0u8; part];
    loop {
        let n = source.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        writer.wait_for_capacity(2).await.unwrap();
        writer.write(&buf[..n]);
    }
    writer.finish().await.unwrap();
    let written = started.elapsed();
    let started = Instant::now();
    let mut stream = store.get(&key).await.unwrap().into_stream();
    while let Some(chunk) = stream.next().await {
        chunk.unwrap();
    }
    (written, started.elapsed())
}

/// A file as a stream of 1 MB chunks, read as they are sent.
fn chunks(file: tokio::fs::File) -> impl futures::Stream<Item = std::io::Result<Vec<u8>>> {
    futures::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let mut buf = vec![0u8; 1024 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(buf), Some(file)))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
}
