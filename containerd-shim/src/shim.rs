//! The shim process's life: `start` (spawn the shim that serves a container group and print
//! its address), `delete` (clean up after a shim that died), serving, and exiting.

use std::sync::Arc;

use containerd_shim::protos::protobuf::MessageField;
use containerd_shim::publisher::RemotePublisher;
use containerd_shim::util::{read_spec_from_file, timestamp, write_address};
use containerd_shim::{Config, DeleteResponse, ExitSignal, Flags, StartOpts};

use crate::rootfs;
use crate::runc::RuncContainer;
use crate::service::TaskService;

/// The annotation by which Kubernetes (the CRI plugin) names a container's pod: every
/// container of a pod is served by the pod's one shim process.
const SANDBOX_ANNOTATION: &str = "io.kubernetes.cri.sandbox-id";

/// The shim, as containerd-shim drives it.
pub struct WasmuxShim {
    id: String,
    namespace: String,
    /// The address this shim serves on, when it is the serving one.
    socket: String,
    exit: Arc<ExitSignal>,
}

impl containerd_shim::Shim for WasmuxShim {
    type T = TaskService;

    fn new(_runtime_id: &str, args: &Flags, _config: &mut Config) -> Self {
        WasmuxShim {
            id: args.id.clone(),
            namespace: args.namespace.clone(),
            socket: args.socket.clone(),
            exit: Arc::default(),
        }
    }

    fn start_shim(&mut self, opts: StartOpts) -> containerd_shim::Result<String> {
        // containerd runs `start` in the bundle directory.
        let grouping = read_spec_from_file(".")
            .ok()
            .and_then(|spec| spec.annotations().as_ref()?.get(SANDBOX_ANNOTATION).cloned())
            .unwrap_or_else(|| opts.id.clone());
        let (_pid, address) = containerd_shim::spawn(opts, &grouping, Vec::new())?;
        // The serving shim reads it back to remove its socket when it exits.
        write_address(&address)?;
        Ok(address)
    }

    fn delete_shim(&mut self) -> containerd_shim::Result<DeleteResponse> {
        // containerd runs `delete` in the bundle directory of a container whose shim died.
        let bundle =
            std::env::current_dir().map_err(|e| containerd_shim::Error::Other(e.to_string()))?;
        if let Some(runc) = RuncContainer::in_bundle(&self.id, &bundle)
            && let Err(e) = runc.delete()
        {
            log::warn!("{e}");
        }
        if let Err(e) = rootfs::unmount(&bundle.join("rootfs")) {
            log::warn!("{e}");
        }
        Ok(DeleteResponse {
            exit_status: 128 + libc::SIGKILL as u32,
            exited_at: MessageField::some(timestamp()?),
            ..Default::default()
        })
    }

    fn wait(&mut self) {
        self.exit.wait();
        // containerd-shim removes the socket after this returns, finding its path in the
        // bundle's `address` file; but containerd removes the bundle as soon as `shutdown`
        // answers, and the socket would be left behind. It is removed here, while the path
        // is known; open connections are not affected.
        let path = self.socket.strip_prefix("unix://").unwrap_or(&self.socket);
        if let Err(e) = std::fs::remove_file(path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            log::warn!("cannot remove the shim socket {path}: {e}");
        }
    }

    fn create_task_service(&self, publisher: RemotePublisher) -> TaskService {
        TaskService::new(self.namespace.clone(), publisher, self.exit.clone())
    }
}
