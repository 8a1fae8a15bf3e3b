//! Test support (feature `testing`): a real OCI registry on loopback and a guest program.
//!
//! [`Registry::start`] runs the CNCF distribution registry (Debian's `docker-registry`
//! package) on a free loopback port with its storage in a temporary directory, and stops it
//! when dropped. The binary is found through `WASMUX_TEST_REGISTRY`, then `PATH`
//! (`docker-registry`, `registry`), then `/usr/bin/docker-registry`; when there is none,
//! starting panics with the command that installs it: tests that need a registry fail, they
//! are never skipped silently.

#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A WASI command that prints, under headings: its arguments, its environment, the contents
/// of `etc/greeting` opened from descriptor 3 (the image root), and whether it could create
/// `out.txt` there (`ok` or `denied`). Each argument and variable is on its own line.
pub const GUEST_WAT: &str = r#"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "args:\n")
  (data (i32.const 110) "env:\n")
  (data (i32.const 120) "greeting:\n")
  (data (i32.const 140) "none\n")
  (data (i32.const 150) "write:\n")
  (data (i32.const 160) "ok\n")
  (data (i32.const 170) "denied\n")
  (data (i32.const 180) "etc/greeting")
  (data (i32.const 200) "out.txt")
  (data (i32.const 210) "written\n")
  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $print (param $ptr i32) (param $len i32)
    (call $write (i32.const 1) (local.get $ptr) (local.get $len)))
  ;; turns the NUL terminators of [ptr, ptr+len) into newlines
  (func $lines (param $ptr i32) (param $len i32) (local $end i32)
    (local.set $end (i32.add (local.get $ptr) (local.get $len)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
        (if (i32.eqz (i32.load8_u (local.get $ptr)))
          (then (i32.store8 (local.get $ptr) (i32.const 10))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (br $next))))
  (func (export "_start") (local $fd i32)
    (call $print (i32.const 100) (i32.const 6))
    (drop (call $args_sizes_get (i32.const 32) (i32.const 36)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (call $lines (i32.const 4096) (i32.load (i32.const 36)))
    (call $print (i32.const 4096) (i32.load (i32.const 36)))
    (call $print (i32.const 110) (i32.const 5))
    (drop (call $environ_sizes_get (i32.const 32) (i32.const 36)))
    (drop (call $environ_get (i32.const 2048) (i32.const 12288)))
    (call $lines (i32.const 12288) (i32.load (i32.const 36)))
    (call $print (i32.const 12288) (i32.load (i32.const 36)))
    (call $print (i32.const 120) (i32.const 10))
    (if (i32.eqz (call $path_open (i32.const 3) (i32.const 1) (i32.const 180) (i32.const 12)
          (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 40)))
      (then
        (i32.store (i32.const 48) (i32.const 20480))
        (i32.store (i32.const 52) (i32.const 4096))
        (drop (call $fd_read (i32.load (i32.const 40)) (i32.const 48) (i32.const 1) (i32.const 56)))
        (call $print (i32.const 20480) (i32.load (i32.const 56))))
      (else (call $print (i32.const 140) (i32.const 5))))
    (call $print (i32.const 150) (i32.const 7))
    (if (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 200) (i32.const 7)
          (i32.const 9) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 40)))
      (then
        (call $write (i32.load (i32.const 40)) (i32.const 210) (i32.const 8))
        (call $print (i32.const 160) (i32.const 3)))
      (else (call $print (i32.const 170) (i32.const 7))))))
"#;

/// A registry server on loopback, stopped when dropped.
#[derive(Debug)]
pub struct Registry {
    child: Option<Child>,
    addr: String,
    /// The registry's storage and configuration, removed with it.
    _dir: tempfile::TempDir,
}

impl Registry {
    /// Starts an anonymous registry.
    pub fn start() -> Registry {
        Registry::launch(None)
    }

    /// Starts a registry that requires HTTP basic authentication as `user`/`password`.
    pub fn start_with_auth(user: &str, password: &str) -> Registry {
        Registry::launch(Some((user, password)))
    }

    /// `127.0.0.1:PORT`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// A reference to `repo:tag` in this registry.
    pub fn reference(&self, repo_and_tag: &str) -> String {
        format!("{}/{repo_and_tag}", self.addr)
    }

    /// Stops the server (a registry that is down).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn launch(auth: Option<(&str, &str)>) -> Registry {
        let binary = binary().unwrap_or_else(|| {
            panic!(
                "no OCI registry server for the registry tests: install Debian's `docker-registry` \
                 (apt-get install -y docker-registry) or set WASMUX_TEST_REGISTRY to a distribution \
                 registry binary"
            )
        });
        let mut last_log = String::new();
        for _ in 0..5 {
            let dir = tempfile::tempdir().unwrap();
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let addr = format!("127.0.0.1:{port}");
            let mut config = format!(
                "version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\nstorage:\n  \
                 filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {addr}\n  \
                 secret: wasmux-test\n",
                dir.path().join("data").display()
            );
            if let Some((user, password)) = auth {
                let hash = bcrypt::hash(password, 4).unwrap();
                let htpasswd = dir.path().join("htpasswd");
                std::fs::write(&htpasswd, format!("{user}:{hash}\n")).unwrap();
                config.push_str(&format!(
                    "auth:\n  htpasswd:\n    realm: wasmux-test\n    path: {}\n",
                    htpasswd.display()
                ));
            }
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).unwrap();
            let log_path = dir.path().join("registry.log");
            let log = std::fs::File::create(&log_path).unwrap();
            let child = Command::new(&binary)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
            let mut registry = Registry { child: Some(child), addr, _dir: dir };
            if registry.wait_ready(Duration::from_secs(20)) {
                return registry;
            }
            registry.stop();
            // Another process may have taken the port between the probe and the bind: retry.
            last_log = std::fs::read_to_string(&log_path).unwrap_or_default();
        }
        panic!("the registry did not start; its log:\n{last_log}");
    }

    fn wait_ready(&mut self, timeout: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                return false;
            }
            if let Ok(mut stream) = TcpStream::connect(&self.addr) {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                let request = format!("GET /v2/ HTTP/1.0\r\nHost: {}\r\n\r\n", self.addr);
                let mut response = String::new();
                let answered = stream.write_all(request.as_bytes()).is_ok()
                    && stream.read_to_string(&mut response).is_ok();
                // 200, or 401 from a registry that wants credentials: it is serving.
                let status = response.split_whitespace().nth(1).unwrap_or_default();
                if answered && (status == "200" || status == "401") {
                    return true;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WASMUX_TEST_REGISTRY") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["docker-registry", "registry"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    ["/usr/bin/docker-registry", "/usr/sbin/docker-registry", "/usr/local/bin/registry"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}
