//! Programs from Debian packages, for benches that measure against the
//! machine's own ceiling: fetched once with `apt-get download` and
//! unpacked with `dpkg -x` under `target/bench-tools/<name>/x`, never
//! installed (no service, no root needed beyond what apt-get asks).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The unpacked tree of `packages` (the program's package and any shared
/// libraries it needs that the machine lacks), fetched if `probe` (a path
/// inside the tree) is not there yet; or the folder `env_var` names.
pub fn unpacked(name: &str, packages: &[&str], probe: &str, env_var: &str) -> PathBuf {
    let root = match std::env::var_os(env_var) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("target/bench-tools")
                .join(name);
            let root = dir.join("x");
            if !root.join(probe).exists() {
                fetch(&dir, &root, packages);
            }
            root
        }
    };
    assert!(
        root.join(probe).exists(),
        "no {probe} under {} (set {env_var} to a tree that has it)",
        root.display()
    );
    root
}

fn fetch(dir: &Path, root: &Path, packages: &[&str]) {
    std::fs::create_dir_all(dir).expect("the tools folder");
    let status = Command::new("apt-get")
        .arg("download")
        .args(packages)
        .current_dir(dir)
        .status()
        .expect("apt-get runs");
    assert!(status.success(), "apt-get download {packages:?}: {status}");
    let debs = std::fs::read_dir(dir)
        .expect("the tools folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"));
    for deb in debs {
        let status = Command::new("dpkg")
            .arg("-x")
            .arg(&deb)
            .arg(root)
            .status()
            .expect("dpkg runs");
        assert!(status.success(), "dpkg -x {}: {status}", deb.display());
    }
}

/// Whether this process runs as root (some servers then want a user to
/// become).
pub fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.trim_ascii() == b"0")
        .unwrap_or(false)
}

/// A loopback port nothing listens on now, for a server to take.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits (10 s at most) until something accepts connections on `port`.
pub fn wait_listening(port: u16, what: &str) {
    let waited = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(waited.elapsed() < Duration::from_secs(10), "{what} listens");
        std::thread::sleep(Duration::from_millis(20));
    }
}
