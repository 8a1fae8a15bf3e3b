//! One container of the shim: its process (a Wasm guest process or a runc container), its
//! state, and the exit that ends it.

use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use containerd_shim::api::Status;
use containerd_shim::protos::protobuf::well_known_types::timestamp::Timestamp;

use crate::guest_process::GuestProcess;
use crate::runc::RuncContainer;

/// What runs the container.
#[derive(Debug)]
pub enum Process {
    /// A WebAssembly module in a guest process.
    Wasm(GuestProcess),
    /// A native executable under runc.
    Runc(RuncContainer),
}

/// A container the shim created.
#[derive(Debug)]
pub struct Container {
    /// containerd's ID of it.
    pub id: String,
    /// Its bundle directory.
    pub bundle: PathBuf,
    /// Where its root filesystem is, if the shim mounted it.
    pub mounted_rootfs: Option<PathBuf>,
    /// The process ID of its init process.
    pub pid: u32,
    /// The paths of its standard streams, as containerd gave them.
    pub stdio: [String; 3],
    state: Mutex<State>,
    exited: Condvar,
}

/// Where a container is in its life.
#[derive(Debug)]
pub struct State {
    /// What runs it.
    pub process: Process,
    /// Whether it was started.
    pub started: bool,
    /// Its exit status and time, once it exited.
    pub exit: Option<(u32, Timestamp)>,
}

impl Container {
    /// A created container.
    pub fn new(
        id: String,
        bundle: PathBuf,
        mounted_rootfs: Option<PathBuf>,
        pid: u32,
        stdio: [String; 3],
        process: Process,
    ) -> Container {
        Container {
            id,
            bundle,
            mounted_rootfs,
            pid,
            stdio,
            state: Mutex::new(State { process, started: false, exit: None }),
            exited: Condvar::new(),
        }
    }

    /// Its state, locked.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records the exit of its init process and wakes its waiters.
    pub fn set_exit(&self, status: u32, at: Timestamp) {
        self.state().exit = Some((status, at));
        self.exited.notify_all();
    }

    /// Blocks until it exited, or for at most `timeout` if given: its status and time.
    pub fn wait(&self, timeout: Option<Duration>) -> Option<(u32, Timestamp)> {
        let state = self.state();
        let done = |s: &mut State| s.exit.is_none();
        let state = match timeout {
            None => self.exited.wait_while(state, done).unwrap_or_else(PoisonError::into_inner),
            Some(timeout) => {
                self.exited
                    .wait_timeout_while(state, timeout, done)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
        };
        state.exit.clone()
    }

    /// containerd's name for the state it is in.
    pub fn status(state: &State) -> Status {
        match (state.started, &state.exit) {
            (_, Some(_)) => Status::STOPPED,
            (true, None) => Status::RUNNING,
            (false, None) => Status::CREATED,
        }
    }
}
