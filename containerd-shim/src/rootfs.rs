//! The container's root filesystem: containerd's snapshot mounts (overlay, bind, ...) mounted
//! on the bundle's `rootfs` at create, everything under it unmounted at delete.

use std::path::{Path, PathBuf};

use containerd_shim::mount::{mount_rootfs, umount_recursive};
use containerd_shim::protos::types::mount::Mount;

/// The bundle's root filesystem, mounted while this lives (unless it was handed over with
/// [`MountedRootfs::keep`]).
#[derive(Debug)]
pub struct MountedRootfs {
    target: Option<PathBuf>,
}

impl MountedRootfs {
    /// Mounts `mounts` on `target` in order. No mounts means the bundle's rootfs is already in
    /// place (as `ctr run --rootfs` gives it), and nothing is unmounted later.
    pub fn mount(mounts: &[Mount], target: &Path) -> Result<MountedRootfs, String> {
        if mounts.is_empty() {
            return Ok(MountedRootfs { target: None });
        }
        std::fs::create_dir_all(target)
            .map_err(|e| format!("cannot create {}: {e}", target.display()))?;
        let mounted = MountedRootfs { target: Some(target.to_path_buf()) };
        for mount in mounts {
            mount_rootfs(Some(&mount.type_), Some(&mount.source), &mount.options, target).map_err(
                |e| {
                    format!(
                        "cannot mount the {} root filesystem on {}: {e}",
                        mount.type_,
                        target.display()
                    )
                },
            )?;
        }
        Ok(mounted)
    }

    /// Leaves the root filesystem mounted past this value: the container owns it now, and
    /// [`unmount`] removes it at delete.
    pub fn keep(mut self) {
        self.target = None;
    }
}

impl Drop for MountedRootfs {
    fn drop(&mut self) {
        if let Some(target) = &self.target
            && let Err(e) = unmount(target)
        {
            log::error!("{e}");
        }
    }
}

/// Unmounts everything at and under `target`.
pub fn unmount(target: &Path) -> Result<(), String> {
    umount_recursive(target.to_str(), 0)
        .map_err(|e| format!("cannot unmount {}: {e}", target.display()))
}
