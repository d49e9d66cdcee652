//! The machine's own ceiling for SMTP delivery: postfix's `smtp-sink` (a
//! server that takes every message and keeps nothing) and `smtp-source` (a
//! client that sends as fast as the sink takes), from Debian's postfix
//! package, unpacked, never installed as a service. Fetched once into
//! `target/bench-tools/postfix` (`apt-get download postfix`, `dpkg -x`;
//! support/debian.rs, which the bench declares as `debian`), or taken from
//! `POSTFIX_DIR` (a folder holding `usr/sbin/smtp-sink`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::debian::{self, running_as_root};

/// The unpacked package: its programs and the shared libraries they need.
pub struct Postfix {
    root: PathBuf,
}

impl Postfix {
    /// The package, fetched and unpacked if it is not there yet.
    pub fn get() -> Postfix {
        let root = debian::unpacked("postfix", &["postfix"], "usr/sbin/smtp-sink", "POSTFIX_DIR");
        Postfix { root }
    }

    fn command(&self, program: &str) -> Command {
        let mut command = Command::new(self.root.join("usr/sbin").join(program));
        command.env("LD_LIBRARY_PATH", self.root.join("usr/lib/postfix"));
        command
    }

    /// `smtp-sink` on a free loopback port, taking up to `backlog`
    /// connections waiting; stopped when dropped.
    pub fn sink(&self, backlog: usize) -> Sink {
        let port = debian::free_port();
        let mut command = self.command("smtp-sink");
        if running_as_root() {
            // It refuses to run as root without a user to become.
            command.args(["-u", "nobody"]);
        }
        let child = command
            .arg(format!("127.0.0.1:{port}"))
            .arg(backlog.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("smtp-sink starts");
        let sink = Sink { child, port };
        debian::wait_listening(port, "smtp-sink");
        sink
    }

    /// `smtp-source` sending `messages` of `size` bytes to `port` over
    /// `sessions` connections at once; how long it took.
    pub fn source(&self, port: u16, messages: usize, size: usize, sessions: usize) -> Duration {
        let started = Instant::now();
        let status = self
            .command("smtp-source")
            .args(["-s", &sessions.to_string()])
            .args(["-m", &messages.to_string()])
            .args(["-l", &size.to_string()])
            .args(["-f", "jam@convene.localhost"])
            .args(["-t", "subscriber@bench.example.org"])
            .arg(format!("127.0.0.1:{port}"))
            .status()
            .expect("smtp-source runs");
        assert!(status.success(), "smtp-source: {status}");
        started.elapsed()
    }
}

/// A running `smtp-sink`.
pub struct Sink {
    child: Child,
    pub port: u16,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
