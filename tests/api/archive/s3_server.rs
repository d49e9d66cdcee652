//! An S3 server for tests and benches: s3s-fs (a file-system backed S3
//! implementation) served over hyper on a port of its own, in the calling
//! process, with one bucket; it notes each request it is sent.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use convene::config::StoreKind;
use convene::Settings;
use hyper_util::rt::{TokioExecutor, TokioIo};

pub const BUCKET: &str = "convene-test";
pub const KEY_ID: &str = "convene-test-key";
pub const SECRET: &str = "convene-test-secret";

/// One S3 server and its bucket, the requests it was sent kept in order.
pub struct S3Server {
    pub endpoint: String,
    pub root: tempfile::TempDir,
    /// `METHOD /path range`, one a request (`-` for no `Range` header).
    requests: Arc<Mutex<Vec<String>>>,
}

impl S3Server {
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("the S3 server's folder");
        std::fs::create_dir(root.path().join(BUCKET)).expect("the bucket");
        let fs = s3s_fs::FileSystem::new(root.path()).expect("s3s-fs on its folder");
        let mut builder = s3s::service::S3ServiceBuilder::new(fs);
        builder.set_auth(s3s::auth::SimpleAuth::from_single(KEY_ID, SECRET));
        let service = builder.build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the S3 server");
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            let server = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            while let Ok((socket, _)) = listener.accept().await {
                let (service, seen) = (service.clone(), seen.clone());
                let logged =
                    hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                        let range = req
                            .headers()
                            .get("range")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-")
                            .to_string();
                        seen.lock().unwrap().push(format!(
                            "{} {} {range}",
                            req.method(),
                            req.uri().path()
                        ));
                        hyper::service::Service::call(&service, req)
                    });
                let connection = server
                    .serve_connection(TokioIo::new(socket), logged)
                    .into_owned();
                tokio::spawn(connection);
            }
        });
        S3Server {
            endpoint,
            root,
            requests,
        }
    }

    /// Points `settings` at this server's bucket.
    pub fn use_in(&self, settings: &mut Settings) {
        settings.archive.store = StoreKind::S3;
        let s3 = &mut settings.archive.s3;
        s3.bucket = BUCKET.into();
        s3.endpoint = self.endpoint.clone();
        s3.access_key_id = KEY_ID.into();
        s3.secret_access_key = SECRET.into();
    }

    /// Where the server keeps the object `sha256` (`ab/abcd…` in the bucket).
    pub fn object(&self, sha256: &str) -> PathBuf {
        self.root
            .path()
            .join(BUCKET)
            .join(&sha256[..2])
            .join(sha256)
    }

    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}
