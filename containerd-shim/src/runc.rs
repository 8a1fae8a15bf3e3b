//! Containers whose entrypoint is a native executable (such as Kubernetes' pause container)
//! run under `runc`, as runwasi hands them to its Linux executor: so a Kubernetes
//! RuntimeClass can point a whole pod at this shim.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::reaped::{self, Exits};

/// The runc program, found on `PATH`.
const RUNC: &str = "runc";

/// One container under runc, whose state lives in the bundle (removed with it).
#[derive(Debug)]
pub struct RuncContainer {
    id: String,
    bundle: PathBuf,
}

impl RuncContainer {
    /// `runc create`s container `id` from `bundle`, its standard streams given by `stdio`:
    /// the container's init process, waiting for its start, and the subscription that will
    /// report its exit (the shim, a subreaper, inherits it when `runc create` exits).
    pub fn create(
        id: &str,
        bundle: &Path,
        stdio: [File; 3],
    ) -> Result<(RuncContainer, u32, Exits), String> {
        let container = RuncContainer { id: id.to_string(), bundle: bundle.to_path_buf() };
        let pid_file = bundle.join("runc.pid");
        let exits = Exits::subscribe()?;
        let [stdin, stdout, stderr] = stdio;
        container.run(
            container
                .command()
                .arg("create")
                .arg("--bundle")
                .arg(bundle)
                .arg("--pid-file")
                .arg(&pid_file)
                .arg(id)
                .stdin(stdin)
                .stdout(stdout)
                .stderr(stderr),
            "create",
        )?;
        let pid = std::fs::read_to_string(&pid_file)
            .map_err(|e| format!("runc wrote no pid file {}: {e}", pid_file.display()))?;
        let pid = pid.trim().parse().map_err(|e| format!("runc's pid file holds {pid:?}: {e}"))?;
        Ok((container, pid, exits))
    }

    /// `runc start`.
    pub fn start(&self) -> Result<(), String> {
        self.run(self.command().arg("start").arg(&self.id), "start")
    }

    /// `runc kill` with `signal`, to every process of the container if `all`.
    pub fn kill(&self, signal: u32, all: bool) -> Result<(), String> {
        let mut command = self.command();
        command.arg("kill");
        if all {
            command.arg("--all");
        }
        self.run(command.arg(&self.id).arg(signal.to_string()), "kill")
    }

    /// `runc delete --force`: kills what is left and removes the container's cgroup and state.
    pub fn delete(&self) -> Result<(), String> {
        self.run(self.command().arg("delete").arg("--force").arg(&self.id), "delete")
    }

    /// Whether `bundle` holds runc state: after a shim crash, `shim delete` cleans it up.
    pub fn in_bundle(id: &str, bundle: &Path) -> Option<RuncContainer> {
        let container = RuncContainer { id: id.to_string(), bundle: bundle.to_path_buf() };
        container.state_dir().join(id).is_dir().then_some(container)
    }

    fn state_dir(&self) -> PathBuf {
        self.bundle.join("runc")
    }

    fn log_file(&self) -> PathBuf {
        self.bundle.join("runc-log.json")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(RUNC);
        command.arg("--root").arg(self.state_dir()).arg("--log").arg(self.log_file());
        command.arg("--log-format").arg("json");
        command
    }

    /// Runs `command`; if it fails, the error is runc's last logged message.
    fn run(&self, command: &mut Command, what: &str) -> Result<(), String> {
        match reaped::status(command)? {
            0 => Ok(()),
            status => Err(format!("runc {what} failed (status {status}): {}", self.last_error())),
        }
    }

    fn last_error(&self) -> String {
        let log = std::fs::read_to_string(self.log_file()).unwrap_or_default();
        log.lines()
            .rev()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|entry| entry["level"] == "error")
            .and_then(|entry| entry["msg"].as_str().map(str::to_string))
            .unwrap_or_else(|| "no error logged".into())
    }
}
