//! A real SMTP server in the test process (mailin), and the messages it
//! received, parsed. It speaks plain SMTP, or asks for STARTTLS and AUTH
//! as a relay does ([`SmtpServer::start_relay`]).

use mail_parser::{MessageParser, MimeHeaders};
use mailin_embedded::{response, AuthMechanism, Handler, Response, SslConfig};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub raw: Vec<u8>,
    /// When the server accepted it.
    pub at: std::time::Instant,
}

#[derive(Default)]
struct SmtpState {
    received: Mutex<Vec<Received>>,
    /// Answer this many RCPT commands with 451 ("try again later").
    refuse_transient: AtomicUsize,
    /// Answer RCPT for addresses containing this with 550.
    reject_permanently: Mutex<Option<String>>,
    refused: AtomicUsize,
    /// Milliseconds to wait before accepting each message.
    delay_ms: AtomicUsize,
    /// Answer MAIL with 530 ("authentication required", RFC 4954).
    ask_for_credentials: std::sync::atomic::AtomicBool,
    /// Each AUTH: the user name, and whether the password was right.
    logins: Mutex<Vec<(String, bool)>>,
}

#[derive(Clone)]
struct SmtpHandler {
    state: Arc<SmtpState>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for SmtpHandler {
    fn mail(&mut self, _ip: std::net::IpAddr, _domain: &str, _from: &str) -> Response {
        self.to.clear();
        self.data.clear();
        if self.state.ask_for_credentials.load(Ordering::SeqCst) {
            return Response::custom(530, "5.7.0 Authentication required".into());
        }
        response::OK
    }

    fn rcpt(&mut self, to: &str) -> Response {
        if let Some(bad) = self.state.reject_permanently.lock().unwrap().as_deref() {
            if to.contains(bad) {
                return response::NO_MAILBOX;
            }
        }
        let refuse = self
            .state
            .refuse_transient
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if refuse {
            self.state.refused.fetch_add(1, Ordering::SeqCst);
            return Response::custom(451, "Try again later".into());
        }
        self.to.push(to.to_string());
        response::OK
    }

    fn auth_plain(&mut self, _authorization: &str, user: &str, password: &str) -> Response {
        self.login(user, password)
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.login(user, password)
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let delay = self.state.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            std::thread::sleep(Duration::from_millis(delay as u64));
        }
        self.state.received.lock().unwrap().push(Received {
            to: std::mem::take(&mut self.to),
            raw: std::mem::take(&mut self.data),
            at: std::time::Instant::now(),
        });
        response::OK
    }
}

impl SmtpHandler {
    fn login(&mut self, user: &str, password: &str) -> Response {
        let right = user == RELAY_USER && password == RELAY_PASSWORD;
        self.state
            .logins
            .lock()
            .unwrap()
            .push((user.to_string(), right));
        if right {
            response::AUTH_OK
        } else {
            response::INVALID_CREDENTIALS
        }
    }
}

/// The account a relay started by [`SmtpServer::start_relay`] takes.
pub const RELAY_USER: &str = "convene@relay.test";
pub const RELAY_PASSWORD: &str = "p/ss w%rd";

/// The test certificates (tests/fixtures/smtp/README.md).
pub fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/smtp/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// A real SMTP server (mailin-embedded) on a free loopback port. Its
/// threads end with the test process.
#[derive(Clone)]
pub struct SmtpServer {
    pub port: u16,
    state: Arc<SmtpState>,
}

impl SmtpServer {
    pub fn start() -> Self {
        Self::start_as(false)
    }

    /// A relay: STARTTLS with the fixture certificate, which the test
    /// authority signed, then AUTH (PLAIN or LOGIN) as [`RELAY_USER`]
    /// before it takes any mail. mailin offers AUTH only over TLS.
    pub fn start_relay() -> Self {
        Self::start_as(true)
    }

    fn start_as(relay: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP port");
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(SmtpState::default());
        let handler = SmtpHandler {
            state: state.clone(),
            to: Vec::new(),
            data: Vec::new(),
        };
        std::thread::spawn(move || {
            let mut server = mailin_embedded::Server::new(handler);
            server
                .with_name("smtp.test")
                .with_num_threads(16)
                .with_tcp_listener(listener);
            if relay {
                let tls = SslConfig::SelfSigned {
                    cert_path: fixture("relay.pem"),
                    key_path: fixture("relay.key"),
                };
                if let Err(e) = server.with_ssl(tls) {
                    eprintln!("test SMTP server: no TLS: {e}");
                    return;
                }
                server
                    .with_auth(AuthMechanism::Plain)
                    .with_auth(AuthMechanism::Login);
            }
            // The error type is not Send: deal with it on this thread.
            if let Err(e) = server.serve() {
                eprintln!("test SMTP server stopped: {e}");
            }
        });
        Self { port, state }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Each AUTH so far: the user name, and whether it was let in.
    pub fn logins(&self) -> Vec<(String, bool)> {
        self.state.logins.lock().unwrap().clone()
    }

    /// A port that speaks TLS from the first byte (`smtps://`, RFC 8314)
    /// with the fixture certificate, and passes what it decrypts on to
    /// this server. Its thread ends with the test process.
    pub fn implicit_tls_port(&self) -> u16 {
        use tokio_rustls::rustls::pki_types::pem::PemObject;
        use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
        use tokio_rustls::rustls::{crypto::ring, ServerConfig};

        let chain = CertificateDer::pem_file_iter(fixture("relay.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(fixture("relay.key")).unwrap();
        let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind TLS port");
        let port = listener.local_addr().unwrap().port();
        let behind = self.port;
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                while let Ok((tcp, _)) = listener.accept().await {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        let Ok(mut outside) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let Ok(mut inside) =
                            tokio::net::TcpStream::connect(("127.0.0.1", behind)).await
                        else {
                            return;
                        };
                        let _ = tokio::io::copy_bidirectional(&mut outside, &mut inside).await;
                    });
                }
            });
        });
        port
    }

    /// From now on, answer every MAIL FROM with 530: a relay that wants
    /// credentials the sender did not give.
    pub fn ask_for_credentials(&self) {
        self.state.ask_for_credentials.store(true, Ordering::SeqCst);
    }

    pub fn refuse_next(&self, n: usize) {
        self.state.refuse_transient.store(n, Ordering::SeqCst);
    }

    pub fn reject_addresses_containing(&self, needle: &str) {
        *self.state.reject_permanently.lock().unwrap() = Some(needle.to_string());
    }

    pub fn refused(&self) -> usize {
        self.state.refused.load(Ordering::SeqCst)
    }

    pub fn delay_each_message(&self, ms: usize) {
        self.state.delay_ms.store(ms, Ordering::SeqCst);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().unwrap().clone()
    }

    /// Messages to `address`, in the order they were queued: the worker
    /// sends several at once, so they may arrive in another order. (The
    /// Message-ID starts with the outbox row's id.)
    pub fn to(&self, address: &str) -> Vec<Mail> {
        let mut mails: Vec<Mail> = self
            .received()
            .into_iter()
            .filter(|r| r.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .map(|r| Mail::parse(&r.raw))
            .collect();
        mails.sort_by_key(|m| {
            m.message_id
                .trim_start_matches('<')
                .split('.')
                .next()
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(i64::MAX)
        });
        mails
    }

    /// Waits (bounded) until `address` has `n` messages, and returns them.
    pub async fn wait_for(&self, address: &str, n: usize) -> Vec<Mail> {
        for _ in 0..300 {
            let got = self.to(address);
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got = self.to(address);
        panic!(
            "expected {n} message(s) to {address} within 15 s, got {}: {:?}",
            got.len(),
            got.iter().map(|m| &m.subject).collect::<Vec<_>>()
        );
    }
}

/// A received message, parsed.
#[derive(Debug, Clone)]
pub struct Mail {
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
    /// (METHOD parameter of the content type, the calendar text) of the
    /// `text/calendar` alternative.
    pub calendar: Option<(String, String)>,
    /// The `invite.ics` attachment's text.
    pub attachment: Option<String>,
    /// Top-level headers as (name, unfolded value).
    pub headers: Vec<(String, String)>,
}

impl Mail {
    pub fn parse(raw: &[u8]) -> Self {
        let msg = MessageParser::default()
            .parse(raw)
            .expect("a parsable message");
        let mut calendar = None;
        let mut attachment = None;
        for part in &msg.parts {
            let Some(ct) = part.content_type() else {
                continue;
            };
            let kind = format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""));
            if kind.eq_ignore_ascii_case("text/calendar") {
                let method = ct.attribute("method").unwrap_or("").to_string();
                calendar = Some((method, part.text_contents().unwrap_or("").to_string()));
            } else if kind.eq_ignore_ascii_case("application/ics") {
                attachment = Some(String::from_utf8_lossy(part.contents()).to_string());
            }
        }
        let headers = msg
            .headers()
            .iter()
            .map(|h| {
                let raw = &raw[h.offset_start as usize..h.offset_end as usize];
                // RFC 5322 unfolding: a line break followed by white space.
                let value = String::from_utf8_lossy(raw)
                    .replace("\r\n ", " ")
                    .replace("\r\n\t", " ")
                    .trim()
                    .to_string();
                (h.name.as_str().to_string(), value)
            })
            .collect();
        Mail {
            headers,
            subject: msg.subject().unwrap_or("").to_string(),
            message_id: msg.message_id().unwrap_or("").to_string(),
            text: msg.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
            html: msg.body_html(0).map(|t| t.to_string()).unwrap_or_default(),
            calendar,
            attachment,
        }
    }

    /// The unfolded value of header `name`, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first link in the text starting with `prefix` (e.g.
    /// "http://convene.test/u/"), as a path.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let at = self.text.find(prefix)?;
        let link: String = self.text[at..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        Some(link.trim_start_matches("http://convene.test").to_string())
    }

    /// The private manage path (`/r/<token>`) found in the text.
    pub fn manage_path(&self) -> String {
        let at = self.text.find("/r/").expect("a manage link in the text");
        self.text[at..at + 43].to_string()
    }
}
