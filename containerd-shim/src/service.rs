//! The shim v2 task service: containerd's `create`, `start`, `wait`, `kill`, `delete`,
//! `state`, `pids`, `connect` and `shutdown` calls on this shim's containers, and the task
//! events it publishes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use containerd_shim::api;
use containerd_shim::event::Event;
use containerd_shim::protos::events::task::{TaskCreate, TaskDelete, TaskExit, TaskIO, TaskStart};
use containerd_shim::protos::protobuf::MessageField;
use containerd_shim::protos::topics;
use containerd_shim::protos::ttrpc::{self, Code};
use containerd_shim::publisher::RemotePublisher;
use containerd_shim::util::{read_spec_from_file, timestamp};
use containerd_shim::{Context, ExitSignal, TtrpcContext, TtrpcResult};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::container::{Container, Process};
use crate::entrypoint::Kind;
use crate::guest_process::GuestProcess;
use crate::plan::{self, GuestPlan, Stdio};
use crate::reaped::Exits;
use crate::rootfs::{self, MountedRootfs};
use crate::runc::RuncContainer;
use crate::stdio::{open_input, open_output};

/// How long `delete` of a created, never started container waits for it to die once killed.
const KILL_TIMEOUT: Duration = Duration::from_secs(10);

/// The task service of one shim process, which may hold several containers (a Kubernetes
/// pod's, grouped by containerd).
#[derive(Clone)]
pub struct TaskService {
    namespace: String,
    containers: Arc<Mutex<HashMap<String, Arc<Container>>>>,
    publisher: Arc<RemotePublisher>,
    exit: Arc<ExitSignal>,
}

impl TaskService {
    /// The task service of the shim for `namespace`, publishing with `publisher` and
    /// signalling `exit` when its last container is gone and containerd shuts it down.
    pub fn new(
        namespace: String,
        publisher: RemotePublisher,
        exit: Arc<ExitSignal>,
    ) -> TaskService {
        TaskService { namespace, containers: Arc::default(), publisher: Arc::new(publisher), exit }
    }

    fn containers(&self) -> MutexGuard<'_, HashMap<String, Arc<Container>>> {
        self.containers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn container(&self, id: &str, exec_id: &str) -> TtrpcResult<Arc<Container>> {
        if !exec_id.is_empty() {
            return Err(error(
                Code::UNIMPLEMENTED,
                "exec processes are not supported by the wasmux shim",
            ));
        }
        self.containers()
            .get(id)
            .cloned()
            .ok_or_else(|| error(Code::NOT_FOUND, format!("container {id} not found")))
    }

    fn publish(&self, topic: &str, event: Box<dyn Event>) {
        if let Err(e) = self.publisher.publish(Context::default(), topic, &self.namespace, event) {
            log::error!("cannot publish {topic}: {e}");
        }
    }

    /// Creates the container: mounts its root filesystem, reads its spec, finds its
    /// entrypoint, and prepares the process that will run it; with the subscription that
    /// will report that process's exit.
    fn create_container(&self, req: &api::CreateTaskRequest) -> Result<(Container, Exits), String> {
        if req.terminal {
            return Err("a terminal (ctr run -t) is not supported by the wasmux shim".into());
        }
        let bundle = PathBuf::from(&req.bundle);
        let spec = read_spec_from_file(&req.bundle)
            .map_err(|e| format!("cannot read the bundle's config.json: {e}"))?;
        let rootfs_path = match spec.root().as_ref().map(|r| r.path()) {
            Some(path) if path.is_absolute() => path.clone(),
            Some(path) => bundle.join(path),
            None => bundle.join("rootfs"),
        };
        let mounted = MountedRootfs::mount(&req.rootfs, &rootfs_path)?;
        let entry = plan::entrypoint(&spec, &rootfs_path)?;
        let stdio_paths = [req.stdin.clone(), req.stdout.clone(), req.stderr.clone()];
        let (pid, process, exits) = match entry.kind {
            Kind::Wasm => {
                let stdio = Stdio {
                    stdin: non_empty(&req.stdin),
                    stdout: non_empty(&req.stdout),
                    stderr: non_empty(&req.stderr),
                };
                let plan = GuestPlan::new(&spec, &rootfs_path, &entry, stdio)?;
                log::info!("container {}: /{} on {}", req.id, entry.path.display(), plan.engine);
                let (guest, exits) = GuestProcess::spawn(&plan, &bundle)?;
                (guest.pid, Process::Wasm(guest), exits)
            }
            Kind::Elf => {
                let stdio = [
                    open_input(non_empty(&req.stdin).as_deref())?,
                    open_output(non_empty(&req.stdout).as_deref())?,
                    open_output(non_empty(&req.stderr).as_deref())?,
                ];
                let (runc, pid, exits) = RuncContainer::create(&req.id, &bundle, stdio)?;
                (pid, Process::Runc(runc), exits)
            }
        };
        let mounted_rootfs = (!req.rootfs.is_empty()).then(|| rootfs_path.clone());
        mounted.keep();
        let container =
            Container::new(req.id.clone(), bundle, mounted_rootfs, pid, stdio_paths, process);
        Ok((container, exits))
    }

    /// Waits in a thread for the exit of the container's init process, records it and
    /// publishes it. The container must be in the table already, or its exit is lost.
    fn watch_exit(&self, id: String, pid: u32, exits: Exits) {
        let service = self.clone();
        std::thread::spawn(move || {
            let status = exits.wait(pid);
            let status = u32::try_from(status).unwrap_or(u32::MAX);
            let at = timestamp().unwrap_or_default();
            let Some(container) = service.containers().get(&id).cloned() else {
                // Already deleted: `delete` gave up waiting for a killed, never started one.
                return;
            };
            container.set_exit(status, at.clone());
            service.publish(
                topics::TASK_EXIT_EVENT_TOPIC,
                Box::new(TaskExit {
                    container_id: id.clone(),
                    id,
                    pid,
                    exit_status: status,
                    exited_at: MessageField::some(at),
                    ..Default::default()
                }),
            );
        });
    }
}

impl containerd_shim::Task for TaskService {
    fn create(
        &self,
        _ctx: &TtrpcContext,
        req: api::CreateTaskRequest,
    ) -> TtrpcResult<api::CreateTaskResponse> {
        if self.containers().contains_key(&req.id) {
            return Err(error(
                Code::ALREADY_EXISTS,
                format!("container {} already exists", req.id),
            ));
        }
        let (container, exits) = self.create_container(&req).map_err(|message| {
            log::error!("create {}: {message}", req.id);
            error(Code::FAILED_PRECONDITION, message)
        })?;
        let pid = container.pid;
        self.containers().insert(req.id.clone(), Arc::new(container));
        log::info!("created container {} (pid {pid}) in shim {}", req.id, std::process::id());
        self.publish(
            topics::TASK_CREATE_EVENT_TOPIC,
            Box::new(TaskCreate {
                container_id: req.id.clone(),
                bundle: req.bundle.clone(),
                rootfs: req.rootfs.clone(),
                io: MessageField::some(TaskIO {
                    stdin: req.stdin.clone(),
                    stdout: req.stdout.clone(),
                    stderr: req.stderr.clone(),
                    terminal: req.terminal,
                    ..Default::default()
                }),
                pid,
                ..Default::default()
            }),
        );
        // After TaskCreate, so that containerd never hears of the exit first.
        self.watch_exit(req.id.clone(), pid, exits);
        Ok(api::CreateTaskResponse { pid, ..Default::default() })
    }

    fn start(
        &self,
        _ctx: &TtrpcContext,
        req: api::StartRequest,
    ) -> TtrpcResult<api::StartResponse> {
        let container = self.container(&req.id, &req.exec_id)?;
        {
            let mut state = container.state();
            if state.started || state.exit.is_some() {
                return Err(error(
                    Code::FAILED_PRECONDITION,
                    format!("container {} cannot start: it is not just created", req.id),
                ));
            }
            let started = match &mut state.process {
                Process::Wasm(guest) => guest.start(),
                Process::Runc(runc) => runc.start(),
            };
            started.map_err(|message| {
                log::error!("start {}: {message}", req.id);
                error(Code::FAILED_PRECONDITION, message)
            })?;
            state.started = true;
            // Under the state's lock, which recording the exit takes too: containerd hears
            // of the start before the exit of even the quickest guest.
            self.publish(
                topics::TASK_START_EVENT_TOPIC,
                Box::new(TaskStart {
                    container_id: req.id.clone(),
                    pid: container.pid,
                    ..Default::default()
                }),
            );
        }
        Ok(api::StartResponse { pid: container.pid, ..Default::default() })
    }

    fn wait(&self, _ctx: &TtrpcContext, req: api::WaitRequest) -> TtrpcResult<api::WaitResponse> {
        let container = self.container(&req.id, &req.exec_id)?;
        let (exit_status, exited_at) = container.wait(None).unwrap_or_default();
        Ok(api::WaitResponse {
            exit_status,
            exited_at: MessageField::some(exited_at),
            ..Default::default()
        })
    }

    fn kill(&self, _ctx: &TtrpcContext, req: api::KillRequest) -> TtrpcResult<api::Empty> {
        let container = self.container(&req.id, &req.exec_id)?;
        let state = container.state();
        if state.exit.is_some() {
            return Err(error(
                Code::NOT_FOUND,
                format!("container {}: process already finished", req.id),
            ));
        }
        let killed = match &state.process {
            Process::Wasm(guest) => i32::try_from(req.signal)
                .ok()
                .and_then(|n| Signal::try_from(n).ok())
                .ok_or_else(|| format!("unknown signal {}", req.signal))
                .and_then(|signal| {
                    kill(Pid::from_raw(guest.pid as i32), signal)
                        .map_err(|e| format!("cannot signal the guest process {}: {e}", guest.pid))
                }),
            Process::Runc(runc) => runc.kill(req.signal, req.all),
        };
        killed.map_err(|message| error(Code::FAILED_PRECONDITION, message))?;
        Ok(api::Empty::new())
    }

    fn delete(
        &self,
        _ctx: &TtrpcContext,
        req: api::DeleteRequest,
    ) -> TtrpcResult<api::DeleteResponse> {
        let container = self.container(&req.id, &req.exec_id)?;
        let exit = {
            let state = container.state();
            if state.started && state.exit.is_none() {
                return Err(error(
                    Code::FAILED_PRECONDITION,
                    format!("container {} is running: kill it first", req.id),
                ));
            }
            state.exit.clone()
        };
        let exit = match exit {
            Some(exit) => exit,
            // Created but never started: end its process before the root filesystem goes.
            None => {
                let killed = match &container.state().process {
                    Process::Wasm(guest) => kill(Pid::from_raw(guest.pid as i32), Signal::SIGKILL)
                        .map_err(|e| format!("cannot kill the guest process {}: {e}", guest.pid)),
                    Process::Runc(runc) => runc.kill(libc::SIGKILL as u32, true),
                };
                if let Err(e) = killed {
                    log::error!("delete {}: {e}", req.id);
                }
                container
                    .wait(Some(KILL_TIMEOUT))
                    .unwrap_or((128 + libc::SIGKILL as u32, timestamp().unwrap_or_default()))
            }
        };
        if let Process::Runc(runc) = &container.state().process
            && let Err(e) = runc.delete()
        {
            log::error!("delete {}: {e}", req.id);
        }
        if let Some(rootfs) = &container.mounted_rootfs {
            rootfs::unmount(rootfs).map_err(|message| error(Code::INTERNAL, message))?;
        }
        self.containers().remove(&req.id);
        log::info!("deleted container {}", req.id);
        let (exit_status, exited_at) = exit;
        self.publish(
            topics::TASK_DELETE_EVENT_TOPIC,
            Box::new(TaskDelete {
                container_id: req.id.clone(),
                pid: container.pid,
                exit_status,
                exited_at: MessageField::some(exited_at.clone()),
                ..Default::default()
            }),
        );
        Ok(api::DeleteResponse {
            pid: container.pid,
            exit_status,
            exited_at: MessageField::some(exited_at),
            ..Default::default()
        })
    }

    fn state(
        &self,
        _ctx: &TtrpcContext,
        req: api::StateRequest,
    ) -> TtrpcResult<api::StateResponse> {
        let container = self.container(&req.id, &req.exec_id)?;
        let state = container.state();
        let (exit_status, exited_at) = state.exit.clone().unwrap_or_default();
        let [stdin, stdout, stderr] = container.stdio.clone();
        Ok(api::StateResponse {
            id: container.id.clone(),
            bundle: container.bundle.to_string_lossy().into_owned(),
            pid: container.pid,
            status: Container::status(&state).into(),
            stdin,
            stdout,
            stderr,
            exit_status,
            exited_at: MessageField::some(exited_at),
            ..Default::default()
        })
    }

    fn pids(&self, _ctx: &TtrpcContext, req: api::PidsRequest) -> TtrpcResult<api::PidsResponse> {
        let container = self.container(&req.id, "")?;
        Ok(api::PidsResponse {
            processes: vec![containerd_shim::protos::types::task::ProcessInfo {
                pid: container.pid,
                ..Default::default()
            }],
            ..Default::default()
        })
    }

    fn connect(
        &self,
        _ctx: &TtrpcContext,
        req: api::ConnectRequest,
    ) -> TtrpcResult<api::ConnectResponse> {
        let task_pid = self.containers().get(&req.id).map_or(0, |c| c.pid);
        Ok(api::ConnectResponse {
            shim_pid: std::process::id(),
            task_pid,
            version: env!("CARGO_PKG_VERSION").to_string(),
            ..Default::default()
        })
    }

    fn shutdown(&self, _ctx: &TtrpcContext, _req: api::ShutdownRequest) -> TtrpcResult<api::Empty> {
        // containerd asks after each container's delete; the shim lives while it has others.
        if self.containers().is_empty() {
            self.exit.signal();
        }
        Ok(api::Empty::new())
    }
}

/// A ttrpc error that `ctr` and containerd's log show as `message`.
fn error(code: Code, message: impl ToString) -> ttrpc::Error {
    ttrpc::Error::RpcStatus(ttrpc::get_status(code, message))
}

fn non_empty(path: &str) -> Option<PathBuf> {
    (!path.is_empty()).then(|| PathBuf::from(path))
}
