//! nginx from Debian's package (support/debian.rs fetches it), as the
//! benches' static server: the machine's ceiling for sending the same
//! bytes over loopback HTTP.

use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::debian;

/// nginx from Debian's package, serving files under its prefix.
pub struct Nginx {
    child: Child,
    pub port: u16,
}

impl Nginx {
    /// Serves `pages` (path, bytes) as files, with as many workers as
    /// cores, no access log and keep-alive for the whole run; `sendfile`
    /// for big files (for pages of a few KB, reading them measured faster
    /// here), under `target/bench-pages/nginx`.
    pub fn serve(pages: &[(&str, &[u8])], sendfile: bool) -> Nginx {
        let root = debian::unpacked("nginx", &["nginx"], "usr/sbin/nginx", "NGINX_DIR");
        let prefix = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-pages/nginx");
        let _ = std::fs::remove_dir_all(&prefix);
        let www = prefix.join("www");
        for (path, bytes) in pages {
            let file = if *path == "/" {
                www.join("index.html")
            } else {
                www.join(path.trim_start_matches('/'))
            };
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, bytes).unwrap();
        }
        let port = debian::free_port();
        let user = if debian::running_as_root() {
            "user nobody nogroup;"
        } else {
            ""
        };
        let p = prefix.display();
        let sendfile = if sendfile { "on" } else { "off" };
        let conf = format!(
            "{user}
worker_processes auto;
daemon off;
pid {p}/nginx.pid;
error_log {p}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {p}/body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
    default_type text/html;
    charset utf-8;
    sendfile {sendfile};
    keepalive_requests 10000000;
    server {{
        listen 127.0.0.1:{port};
        root {p}/www;
        location = / {{ try_files /index.html =404; }}
        location / {{ try_files $uri =404; }}
    }}
}}
"
        );
        std::fs::write(prefix.join("nginx.conf"), conf).unwrap();
        let child = Command::new(root.join("usr/sbin/nginx"))
            .arg("-p")
            .arg(&prefix)
            .arg("-e")
            .arg(prefix.join("error.log"))
            .arg("-c")
            .arg(prefix.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts");
        debian::wait_listening(port, "nginx");
        Nginx { child, port }
    }
}

impl Drop for Nginx {
    /// SIGQUIT, nginx's graceful stop: its master takes the workers down
    /// with it (SIGKILL would leave them running, still listening).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-QUIT", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}
