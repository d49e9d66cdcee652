//! Private links (manage a registration, unsubscribe, confirm a
//! subscription, answer an invitation to present, an ECHO participant's
//! page): their tokens are never stored as such.
//!
//! A token is 160 random bits as 40 hex characters. The database keeps its
//! SHA-256 (every lookup is by hash) and a *sealed* copy: the token XORed
//! with a pad that HMAC-SHA256 draws from the link key and a random nonce.
//! Mail written long after the link was made (a reminder, an invitation)
//! carries the sealed copy as a placeholder, and the mail worker, which
//! holds the key, opens it as it renders. A copy of the database without
//! the key yields no working link.

use std::path::Path;

use anyhow::Context;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const TOKEN_BYTES: usize = 20;
const NONCE_BYTES: usize = 8;
/// What a placeholder looks like in a mail's context: `~lk.` + the sealed
/// copy (nonce and sealed token, 56 hex characters) + `~`. Only URL-safe
/// characters, so it survives being part of a link.
const OPEN: &str = "~lk.";
const CLOSE: char = '~';
const SEALED_LEN: usize = 2 * (NONCE_BYTES + TOKEN_BYTES);

/// The secret that seals and opens links: `auth.link_secret`, or else a key
/// kept in `auth.link_key_file` (made on first start). Every instance that
/// sends mail must hold the same one.
#[derive(Clone)]
pub struct LinkKey([u8; 32]);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

impl LinkKey {
    /// A key from a configured secret of any length.
    pub fn from_secret(secret: &str) -> Self {
        Self(Sha256::digest(format!("convene link key\n{secret}")).into())
    }

    /// The configured secret, or the key file's (created, readable by its
    /// owner only, when missing).
    pub fn load(secret: &str, path: &Path) -> anyhow::Result<Self> {
        if !secret.is_empty() {
            return Ok(Self::from_secret(secret));
        }
        match std::fs::read_to_string(path) {
            Ok(secret) if !secret.trim().is_empty() => Ok(Self::from_secret(secret.trim())),
            Ok(_) => anyhow::bail!("{} is empty", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create_file(path),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    fn create_file(path: &Path) -> anyhow::Result<Self> {
        use std::io::Write;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        let secret = hex(&random::<32>());
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(secret.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                tracing::info!(path = %path.display(), "created the link key");
                Ok(Self::from_secret(&secret))
            }
            // Another process made it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let secret = std::fs::read_to_string(path)?;
                Ok(Self::from_secret(secret.trim()))
            }
            Err(e) => Err(e).with_context(|| format!("creating {}", path.display())),
        }
    }

    fn pad(&self, nonce: &[u8]) -> [u8; TOKEN_BYTES] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("any key length");
        mac.update(b"convene link pad v1");
        mac.update(nonce);
        let full = mac.finalize().into_bytes();
        let mut pad = [0u8; TOKEN_BYTES];
        pad.copy_from_slice(&full[..TOKEN_BYTES]);
        pad
    }

    /// The sealed copy of `token` (a 40-hex token), under a fresh nonce.
    pub fn seal(&self, token: &str) -> String {
        let bytes = unhex(token).filter(|b| b.len() == TOKEN_BYTES);
        let Some(bytes) = bytes else {
            // Not one of ours: nothing that opens to a working link.
            return self.seal(&hex(&random::<TOKEN_BYTES>()));
        };
        let nonce = random::<NONCE_BYTES>();
        let pad = self.pad(&nonce);
        let sealed: Vec<u8> = bytes.iter().zip(pad).map(|(b, p)| b ^ p).collect();
        format!("{}{}", hex(&nonce), hex(&sealed))
    }

    /// The token inside a sealed copy, if it is one.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = unhex(sealed).filter(|b| b.len() == NONCE_BYTES + TOKEN_BYTES)?;
        let (nonce, body) = bytes.split_at(NONCE_BYTES);
        let pad = self.pad(nonce);
        Some(hex(&body
            .iter()
            .zip(pad)
            .map(|(b, p)| b ^ p)
            .collect::<Vec<_>>()))
    }

    /// A new link: its token (to show or send now), and what to store.
    pub fn issue(&self) -> Issued {
        let token = hex(&random::<TOKEN_BYTES>());
        Issued {
            hash: hash(&token),
            sealed: self.seal(&token),
            token,
        }
    }

    /// `text` with every link placeholder replaced by its token.
    pub fn resolve(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find(OPEN) {
            out.push_str(&rest[..at]);
            let after = &rest[at + OPEN.len()..];
            let token = after
                .get(..SEALED_LEN)
                .filter(|_| after[SEALED_LEN..].starts_with(CLOSE))
                .and_then(|sealed| self.open(sealed));
            match token {
                Some(token) => {
                    out.push_str(&token);
                    rest = &after[SEALED_LEN + CLOSE.len_utf8()..];
                }
                None => {
                    out.push_str(OPEN);
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

/// A link just made.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The token itself: goes into a URL now, never into the database.
    pub token: String,
    /// Stored: what lookups compare against.
    pub hash: String,
    /// Stored: what later mail carries as a placeholder.
    pub sealed: String,
}

impl Issued {
    pub fn placeholder(&self) -> String {
        placeholder(&self.sealed)
    }
}

/// What stands for a link's token in a queued mail, for the worker to open.
pub fn placeholder(sealed: &str) -> String {
    format!("{OPEN}{sealed}{CLOSE}")
}

/// The start of a placeholder, for SQL that writes one around a sealed
/// column: `? || token_sealed || '~'` with this at the end of the bound prefix.
pub const PLACEHOLDER_SQL_OPEN: &str = OPEN;

/// The stored form of a presented token: lowercase hex SHA-256.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A stored hash no token has: what a revoked or erased link is set to.
pub fn dead_hash() -> String {
    // 64 hex characters like a real hash, but from random bytes no one keeps.
    hex(&random::<32>())
}

/// Whether a stored value is a token from before tokens were hashed (40
/// hex characters) rather than a hash (64).
pub fn is_legacy(stored: &str) -> bool {
    stored.len() == 2 * TOKEN_BYTES
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(2 * bytes.len()), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_token_opens_with_its_key_only() {
        let key = LinkKey::from_secret("one");
        let issued = key.issue();
        assert_eq!(issued.token.len(), 40);
        assert_eq!(issued.hash, hash(&issued.token));
        assert_eq!(
            key.open(&issued.sealed).as_deref(),
            Some(issued.token.as_str())
        );
        let other = LinkKey::from_secret("two");
        assert_ne!(other.open(&issued.sealed).unwrap(), issued.token);
    }

    #[test]
    fn sealing_the_same_token_twice_gives_different_copies() {
        let key = LinkKey::from_secret("k");
        let token = key.issue().token;
        let (a, b) = (key.seal(&token), key.seal(&token));
        assert_ne!(a, b, "a fresh nonce each time");
        assert_eq!(key.open(&a), key.open(&b));
    }

    #[test]
    fn placeholders_in_text_are_replaced_by_their_tokens() {
        let key = LinkKey::from_secret("k");
        let (a, b) = (key.issue(), key.issue());
        let text = format!(
            "{{\"manage\":\"https://x/r/{}\",\"u\":\"https://x/u/{}?a=1\",\"lone\":\"~lk.~ ~lk.zz~\"}}",
            a.placeholder(),
            b.placeholder()
        );
        let resolved = key.resolve(&text);
        assert_eq!(
            resolved,
            format!(
                "{{\"manage\":\"https://x/r/{}\",\"u\":\"https://x/u/{}?a=1\",\"lone\":\"~lk.~ ~lk.zz~\"}}",
                a.token, b.token
            )
        );
    }

    #[test]
    fn stored_hashes_and_legacy_tokens_are_told_apart() {
        let key = LinkKey::from_secret("k");
        let issued = key.issue();
        assert!(is_legacy(&issued.token));
        assert!(!is_legacy(&issued.hash));
        assert!(!is_legacy(&dead_hash()));
    }

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys/link.key");
        let first = LinkKey::load("", &file).unwrap();
        let second = LinkKey::load("", &file).unwrap();
        let issued = first.issue();
        assert_eq!(second.open(&issued.sealed), Some(issued.token));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("keys/link.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "readable by its owner only");
        }
    }
}
