//! The SMTP connection pool: sockets opened here with `TCP_NODELAY` (lettre
//! 0.11 leaves Nagle on, so every message would wait out the server's
//! delayed ACK, ≈ 40 ms), then handed to lettre's SMTP client. Understands
//! the `mail.smtp_url` forms lettre's `from_url` does: `smtp://` (plain),
//! `?tls=required` / `?tls=opportunistic` (STARTTLS), `smtps://` (implicit
//! TLS), `user:password@` (AUTH PLAIN/LOGIN), a path as the EHLO name.
//! The server's certificate is checked against the public authorities and
//! those of `mail.smtp_ca_file`.

use std::borrow::Cow;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::io::{AsyncRead as FuturesRead, AsyncWrite as FuturesWrite};
use lettre::address::Envelope;
#[allow(deprecated)]
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::{
    authentication::{Credentials, DEFAULT_MECHANISMS},
    Error,
};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// How the connection is secured, as the URL says.
#[derive(Clone)]
enum Security {
    Plain,
    /// STARTTLS when the server offers it.
    Opportunistic(TlsParameters),
    /// STARTTLS or fail.
    Required(TlsParameters),
    /// TLS from the first byte (`smtps://`).
    Implicit(TlsParameters),
}

/// Where and how to connect: `mail.smtp_url`, parsed once.
#[derive(Clone)]
struct Server {
    host: String,
    port: u16,
    security: Security,
    hello: ClientId,
    credentials: Option<Credentials>,
    /// The credentials' user, to say whom the worker signs in as.
    user: Option<String>,
}

impl Server {
    /// `roots`: authorities to trust besides the public ones.
    fn parse(url: &str, roots: Option<Certificate>) -> Result<Self, String> {
        let url = url::Url::parse(url).map_err(|e| e.to_string())?;
        let host = url
            .host_str()
            .ok_or("no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let params = || {
            let mut builder = TlsParameters::builder(host.clone());
            if let Some(roots) = roots {
                builder = builder.add_root_certificate(roots);
            }
            builder.build().map_err(|e| e.to_string())
        };
        let (security, default_port) = match (url.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => (Security::Required(params()?), 587),
            ("smtp", Some("opportunistic")) => (Security::Opportunistic(params()?), 587),
            ("smtps", _) => (Security::Implicit(params()?), 465),
            (scheme, tls) => {
                return Err(format!(
                    "unknown scheme `{scheme}` or tls parameter `{}`",
                    tls.unwrap_or_default()
                ))
            }
        };
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(Cow::into_owned)
                .map_err(|e| e.to_string())
        };
        let (credentials, user) = match url.password() {
            Some(password) => {
                let user = decode(url.username())?;
                (
                    Some(Credentials::new(user.clone(), decode(password)?)),
                    Some(user),
                )
            }
            None => (None, None),
        };
        Ok(Self {
            port: url.port().unwrap_or(default_port),
            host,
            security,
            hello,
            credentials,
            user,
        })
    }
}

/// The certificates of a PEM bundle (`mail.smtp_ca_file`), or why there
/// are none.
pub fn authorities(pem: &[u8]) -> Result<Certificate, String> {
    // lettre reads a bundle without certificates as an empty one.
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    if !pem.windows(BEGIN.len()).any(|w| w == BEGIN) {
        return Err("holds no PEM certificate".into());
    }
    Certificate::from_pem(pem).map_err(|e| e.to_string())
}

/// A connection idle longer than this is checked (NOOP) before reuse: the
/// server may have closed it. Busier connections go straight to MAIL FROM.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(5);

/// Up to `size` connections to one SMTP server, reused while they work.
pub struct SmtpPool {
    server: Server,
    timeout: Duration,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    slots: Semaphore,
}

/// Why a send failed: the server's or the network's words, and whether the
/// server said never (5xx).
pub struct Refusal {
    pub message: String,
    pub permanent: bool,
}

impl Refusal {
    /// The server refused this message: never again if it said 5xx, unless
    /// it asked for credentials (530), which is the sender's setting.
    fn of_message(e: Error) -> Self {
        let permanent =
            e.is_permanent() && e.status().map(u16::from) != Some(AUTHENTICATION_REQUIRED);
        Self {
            permanent,
            message: e.to_string(),
        }
    }

    /// Connecting failed (greeting, STARTTLS, the certificate, AUTH): that
    /// says nothing against the message, so it is tried again later.
    fn of_connection(e: Error) -> Self {
        Self {
            permanent: false,
            message: e.to_string(),
        }
    }
}

/// SMTP's "530 Authentication required" (RFC 4954).
const AUTHENTICATION_REQUIRED: u16 = 530;

impl SmtpPool {
    /// `roots`: authorities to trust besides the public ones.
    pub fn new(
        url: &str,
        roots: Option<Certificate>,
        timeout: Duration,
        size: u32,
    ) -> Result<Self, String> {
        Ok(Self {
            server: Server::parse(url, roots)?,
            timeout,
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(size.max(1) as usize),
        })
    }

    /// Sends one message; the whole exchange (including connecting when no
    /// idle connection is at hand) is bounded by the timeout.
    pub async fn send(&self, envelope: &Envelope, message: &[u8]) -> Result<(), Refusal> {
        let _slot = self.slots.acquire().await.expect("never closed");
        let exchange = async {
            let mut conn = match self.reuse().await {
                Some(conn) => conn,
                None => self.connect().await?,
            };
            match conn.send(envelope, message).await {
                Ok(_) => {
                    self.idle.lock().unwrap().push((conn, Instant::now()));
                    Ok(())
                }
                // lettre has already closed a connection that erred.
                Err(e) => Err(Refusal::of_message(e)),
            }
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(self.timed_out()),
        }
    }

    /// Connects as a send does (greeting, TLS, sign-in) and says goodbye:
    /// whether these settings reach the server. Sends nothing. What was
    /// reached, without the password.
    pub async fn check(&self) -> Result<String, Refusal> {
        let mut conn = tokio::time::timeout(self.timeout, self.connect())
            .await
            .map_err(|_| self.timed_out())??;
        let s = &self.server;
        let security = match s.security {
            Security::Plain => "plain text",
            Security::Opportunistic(_) if conn.is_encrypted() => "STARTTLS",
            Security::Opportunistic(_) => "plain text (no STARTTLS offered)",
            Security::Required(_) => "STARTTLS",
            Security::Implicit(_) => "TLS",
        };
        conn.quit().await.ok();
        let signed_in = match &s.user {
            Some(user) => format!(", signed in as {user}"),
            None => String::new(),
        };
        Ok(format!("{}:{}, {security}{signed_in}", s.host, s.port))
    }

    fn timed_out(&self) -> Refusal {
        Refusal {
            message: format!("no answer within {} s", self.timeout.as_secs()),
            permanent: false,
        }
    }

    /// The most recently used idle connection that still works, if any.
    async fn reuse(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.idle.lock().unwrap().pop()?;
            if since.elapsed() < CHECK_AFTER_IDLE || conn.test_connected().await {
                return Some(conn);
            }
            conn.abort().await;
        }
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, Refusal> {
        let s = &self.server;
        let unreachable = |e: std::io::Error| Refusal {
            message: format!("cannot connect to {}:{}: {e}", s.host, s.port),
            permanent: false,
        };
        let tcp = TcpStream::connect((s.host.as_str(), s.port))
            .await
            .map_err(unreachable)?;
        tcp.set_nodelay(true).map_err(unreachable)?;
        self.greet(tcp).await.map_err(Refusal::of_connection)
    }

    /// Greeting, TLS and AUTH on a fresh socket, as the URL asks.
    async fn greet(&self, tcp: TcpStream) -> Result<AsyncSmtpConnection, Error> {
        let s = &self.server;
        let mut conn = match &s.security {
            Security::Implicit(tls) => {
                #[allow(deprecated)]
                let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
                stream.upgrade_tls(tls.clone()).await?;
                AsyncSmtpConnection::connect_with_transport(Box::new(Encrypted(stream)), &s.hello)
                    .await?
            }
            _ => AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &s.hello).await?,
        };
        match &s.security {
            Security::Opportunistic(tls) if conn.can_starttls() => {
                conn.starttls(tls.clone(), &s.hello).await?
            }
            Security::Required(tls) => conn.starttls(tls.clone(), &s.hello).await?,
            _ => {}
        }
        if let Some(credentials) = &s.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(conn)
    }
}

/// An implicit-TLS stream (lettre's own TLS over our socket) in the shape
/// lettre's client takes a stream in.
#[allow(deprecated)]
#[derive(Debug)]
struct Encrypted(AsyncNetworkStream);

impl AsyncRead for Encrypted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let unfilled = buf.initialize_unfilled();
        match Pin::new(&mut self.0).poll_read(cx, unfilled) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl AsyncWrite for Encrypted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        FuturesWrite::poll_write(Pin::new(&mut self.0), cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        FuturesWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        FuturesWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

impl AsyncTokioStream for Encrypted {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_picks_port_security_and_credentials_as_lettre_did() {
        let plain = Server::parse("smtp://mail.example.org", None).unwrap();
        assert_eq!(plain.port, 25, "plain SMTP defaults to port 25");
        assert!(matches!(plain.security, Security::Plain));
        assert!(plain.credentials.is_none(), "no credentials in the URL");

        let starttls =
            Server::parse("smtp://u%40x:p%2Fw@mail.example.org?tls=required", None).unwrap();
        assert_eq!(starttls.port, 587, "STARTTLS defaults to submission");
        assert!(matches!(starttls.security, Security::Required(_)));
        assert!(
            starttls.credentials == Some(Credentials::new("u@x".into(), "p/w".into())),
            "credentials are percent-decoded"
        );

        let implicit = Server::parse("smtps://mail.example.org:2465/me.example.org", None).unwrap();
        assert_eq!(implicit.port, 2465, "an explicit port wins");
        assert!(matches!(implicit.security, Security::Implicit(_)));
        assert_eq!(implicit.hello, ClientId::Domain("me.example.org".into()));

        assert!(
            Server::parse("smtp://mail.example.org?tls=sometimes", None).is_err(),
            "an unknown tls mode is refused"
        );
        assert!(Server::parse("imap://mail.example.org", None).is_err());
        assert!(
            authorities(b"no PEM here").is_err(),
            "a trust file without certificates is refused"
        );
    }
}
