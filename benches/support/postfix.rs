//! The machine's own ceiling for SMTP delivery: postfix's `smtp-sink` (a
//! server that takes every message and keeps nothing) and `smtp-source` (a
//! client that sends as fast as the sink takes), from Debian's postfix
//! package, unpacked, never installed as a service. Fetched once into
//! `target/bench-tools/postfix` (`apt-get download postfix`, `dpkg -x`),
//! or taken from `POSTFIX_DIR` (a folder holding `usr/sbin/smtp-sink`).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The unpacked package: its programs and the shared libraries they need.
pub struct Postfix {
    root: PathBuf,
}

impl Postfix {
    /// The package, fetched and unpacked if it is not there yet.
    pub fn get() -> Postfix {
        let root = match std::env::var_os("POSTFIX_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => {
                let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-tools/postfix");
                let root = dir.join("x");
                if !root.join("usr/sbin/smtp-sink").exists() {
                    fetch(&dir, &root);
                }
                root
            }
        };
        assert!(
            root.join("usr/sbin/smtp-sink").exists(),
            "no smtp-sink under {}",
            root.display()
        );
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
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
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
        let waited = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                waited.elapsed() < Duration::from_secs(10),
                "smtp-sink listens"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
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

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

fn fetch(dir: &Path, root: &Path) {
    std::fs::create_dir_all(dir).expect("the tools folder");
    let status = Command::new("apt-get")
        .args(["download", "postfix"])
        .current_dir(dir)
        .status()
        .expect("apt-get runs");
    assert!(status.success(), "apt-get download postfix: {status}");
    let deb = std::fs::read_dir(dir)
        .expect("the tools folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "deb"))
        .expect("the downloaded package");
    let status = Command::new("dpkg")
        .arg("-x")
        .arg(&deb)
        .arg(root)
        .status()
        .expect("dpkg runs");
    assert!(status.success(), "dpkg -x: {status}");
}
