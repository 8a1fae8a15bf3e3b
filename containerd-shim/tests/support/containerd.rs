//! A containerd of the test's own: root, state, sockets and config in a temporary directory,
//! the shim under test first on its `PATH`, stopped by its PID. A test that fails half-way
//! leaves nothing running or mounted either: dropped while running, it kills containerd and
//! the shim's processes (by PID), removes their sockets and unmounts what is left under its
//! directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The namespace the tests' images and containers live in.
const NAMESPACE: &str = "wasmux-test";

/// A running containerd.
#[derive(Debug)]
pub struct Containerd {
    dir: tempfile::TempDir,
    daemon: Option<Child>,
    shim: PathBuf,
}

impl Containerd {
    /// Starts containerd with the directory of the `shim` binary first on its `PATH` and `env`
    /// added to its environment (which the shims it starts inherit); waits until it answers.
    pub fn start(shim: &Path, env: &[(&str, &Path)]) -> Containerd {
        let shim_dir = shim.parent().expect("the shim's directory");
        let dir =
            tempfile::Builder::new().prefix("wasmux-containerd-").tempdir().expect("temp dir");
        let d = dir.path();
        let config = format!(
            r#"version = 2
root = "{root}"
state = "{state}"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{opt}"
"#,
            root = d.join("root").display(),
            state = d.join("state").display(),
            sock = d.join("containerd.sock").display(),
            opt = d.join("opt").display(),
        );
        std::fs::write(d.join("config.toml"), config).expect("write config");
        let path = std::env::var("PATH").unwrap_or_default();
        let log = std::fs::File::create(d.join("containerd.log")).expect("log file");
        let mut command = Command::new("containerd");
        command
            .arg("--config")
            .arg(d.join("config.toml"))
            .env("PATH", format!("{}:{path}", shim_dir.display()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        for (name, value) in env {
            command.env(name, value);
        }
        let daemon = command.spawn().expect("start containerd");
        let containerd = Containerd { dir, daemon: Some(daemon), shim: shim.to_path_buf() };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !containerd.ctr(&["version"]).status.success() {
            assert!(
                Instant::now() < deadline,
                "containerd did not answer in 30 s; its log:\n{}",
                containerd.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        containerd
    }

    /// Runs `ctr` against this containerd, in the tests' namespace.
    pub fn ctr(&self, args: &[&str]) -> Output {
        Command::new("ctr")
            .arg("--address")
            .arg(self.dir.path().join("containerd.sock"))
            .arg("--namespace")
            .arg(NAMESPACE)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run ctr")
    }

    /// Runs `ctr`, asserting that it succeeds: its stdout.
    pub fn ctr_ok(&self, args: &[&str]) -> String {
        let output = self.ctr(args);
        assert!(
            output.status.success(),
            "ctr {args:?} failed: {}\ncontainerd's log:\n{}",
            describe(&output),
            self.log()
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// A directory for the test's files, removed with containerd's.
    pub fn scratch(&self) -> PathBuf {
        let scratch = self.dir.path().join("scratch");
        std::fs::create_dir_all(&scratch).expect("scratch dir");
        scratch
    }

    /// containerd's temporary directory: its root, state and sockets are under it.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What containerd logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("containerd.log")).unwrap_or_default()
    }

    /// Stops containerd by its PID (SIGTERM) and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            let _ = kill(Pid::from_raw(daemon.id() as i32), Signal::SIGTERM);
            let deadline = Instant::now() + Duration::from_secs(20);
            while daemon.try_wait().ok().flatten().is_none() {
                if Instant::now() > deadline {
                    let _ = daemon.kill();
                    let _ = daemon.wait();
                    panic!("containerd did not stop in 20 s after SIGTERM");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        let Some(mut daemon) = self.daemon.take() else { return };
        let _ = daemon.kill();
        let _ = daemon.wait();
        for pid in shim_processes(&self.shim) {
            // A serving shim names its socket on its command line: killed, it cannot remove it.
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
            let socket = args.windows(2).find(|w| w[0] == b"-socket").map(|w| w[1].to_vec());
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
            if let Some(socket) = socket.and_then(|s| String::from_utf8(s).ok()) {
                let _ = std::fs::remove_file(socket.trim_start_matches("unix://"));
            }
        }
        let dir = self.dir.path().to_string_lossy().into_owned();
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        let mut mounts: Vec<&str> = mountinfo
            .lines()
            .filter_map(|line| line.split(' ').nth(4))
            .filter(|point| point.starts_with(&dir))
            .collect();
        mounts.sort_by_key(|point| std::cmp::Reverse(point.len()));
        for point in mounts {
            let _ = nix::mount::umount2(point, nix::mount::MntFlags::MNT_DETACH);
        }
    }
}

/// Processes running the `shim` binary (shims and guest processes), by PID.
pub fn shim_processes(shim: &Path) -> Vec<u32> {
    let shim = std::fs::canonicalize(shim).expect("shim path");
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .expect("read /proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|pid: &u32| {
            std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == shim)
        })
        .collect();
    pids.sort_unstable();
    pids
}

/// A command's status and output, for failure messages.
pub fn describe(output: &Output) -> String {
    format!(
        "{}\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
