//! Waiting for the shim's child processes. containerd-shim's SIGCHLD thread reaps every child
//! (the shim is a subreaper, so a container's processes come back to it too), so an exit
//! status arrives through its monitor, never through `Child::wait`.

use std::process::{Child, Command};

use containerd_shim::monitor::{ExitEvent, Subscription};
use containerd_shim::monitor::{Subject, Topic, monitor_subscribe};

/// A subscription to the exits of the shim's children, taken before a child is spawned so
/// that its exit cannot be missed.
pub struct Exits(Subscription);

impl Exits {
    /// Starts listening for exits.
    pub fn subscribe() -> Result<Exits, String> {
        monitor_subscribe(Topic::Pid)
            .map(Exits)
            .map_err(|e| format!("cannot watch for process exits: {e}"))
    }

    /// Blocks until the process `pid` exits; its status, 128 + the signal for one killed.
    pub fn wait(self, pid: u32) -> i32 {
        let Exits(subscription) = self;
        loop {
            match subscription.rx.recv() {
                Ok(ExitEvent { subject: Subject::Pid(exited), exit_code })
                    if exited as u32 == pid =>
                {
                    return exit_code;
                }
                Ok(_) => {}
                // The monitor lives as long as the process: this cannot happen, but a status
                // is needed, and "killed" is the honest guess.
                Err(_) => return 128 + libc::SIGKILL,
            }
        }
    }
}

/// Spawns `command` and waits for it to finish: its exit status.
pub fn status(command: &mut Command) -> Result<i32, String> {
    let exits = Exits::subscribe()?;
    let child: Child =
        command.spawn().map_err(|e| format!("cannot run {:?}: {e}", command.get_program()))?;
    Ok(exits.wait(child.id()))
}
