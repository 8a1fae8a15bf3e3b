//! The shim's side of a Wasm container's guest process (see [`crate::guest`]): spawned at
//! task create, told to run at task start.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, Command, Stdio};

use crate::guest::{ERROR_PREFIX, READY, SUBCOMMAND};
use crate::plan::GuestPlan;
use crate::reaped::Exits;

/// A guest process that compiled its module and waits for its start.
#[derive(Debug)]
pub struct GuestProcess {
    /// Its process ID.
    pub pid: u32,
    start: ChildStdin,
}

impl GuestProcess {
    /// Spawns the guest process for `plan` in `bundle` and waits until it is ready; the
    /// subscription that will report its exit comes with it.
    pub fn spawn(plan: &GuestPlan, bundle: &Path) -> Result<(GuestProcess, Exits), String> {
        let json = serde_json::to_string(plan)
            .map_err(|e| format!("cannot encode the guest plan: {e}"))?;
        let exits = Exits::subscribe()?;
        // Re-executed rather than forked: the shim is multithreaded, and a fork of it could
        // inherit locks held by other threads.
        let mut child = Command::new("/proc/self/exe")
            .arg(SUBCOMMAND)
            .current_dir(bundle)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the guest process: {e}"))?;
        let pid = child.id();
        let (Some(mut start), Some(report)) = (child.stdin.take(), child.stdout.take()) else {
            return Err("the guest process has no control pipes".into());
        };
        // A write error means the process ended early: its status tells below.
        let _ = writeln!(start, "{json}").and_then(|()| start.flush());
        let mut line = String::new();
        let read = BufReader::new(report).read_line(&mut line);
        let line = line.trim_end();
        if read.is_ok() && line == READY {
            return Ok((GuestProcess { pid, start }, exits));
        }
        drop(start);
        let status = exits.wait(pid);
        Err(match line.strip_prefix(ERROR_PREFIX) {
            Some(message) => message.to_string(),
            None => format!("the guest process ended with status {status} before it was ready"),
        })
    }

    /// Lets the guest run.
    pub fn start(&mut self) -> Result<(), String> {
        self.start
            .write_all(b"s")
            .and_then(|()| self.start.flush())
            .map_err(|e| format!("cannot start the guest process {}: {e}", self.pid))
    }
}
