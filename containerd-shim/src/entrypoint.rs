//! Finding the program `process.args[0]` names inside the container's root filesystem, and
//! telling what it is: a WebAssembly module runs on wasmux, an ELF executable goes to runc.

use std::io::Read;
use std::path::{Component, Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// The `PATH` searched when the spec's environment sets none, as container runtimes do.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What the entrypoint file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A WebAssembly module (or component, which the guest process then refuses clearly).
    Wasm,
    /// A native executable: the container runs under runc.
    Elf,
}

/// The entrypoint found in the root filesystem.
#[derive(Clone, Debug)]
pub struct Entrypoint {
    /// Its path relative to the root filesystem, with no `..` or symbolic link leaving it.
    pub path: PathBuf,
    /// What it is.
    pub kind: Kind,
}

/// Finds `program` in `rootfs`: a name with a `/` relative to `cwd` (or absolute), a bare
/// name on the spec environment's `PATH` and then in `cwd`, as `execvp` inside the container
/// would. Paths are opened through `cap-std`, so a symbolic link cannot lead outside.
pub fn resolve(
    rootfs: &Path,
    program: &str,
    cwd: &str,
    env: &[String],
) -> Result<Entrypoint, String> {
    let root = Dir::open_ambient_dir(rootfs, ambient_authority())
        .map_err(|e| format!("cannot open the root filesystem {}: {e}", rootfs.display()))?;
    let cwd = Path::new("/").join(cwd);
    let candidates: Vec<PathBuf> = if program.contains('/') {
        vec![normalize(&cwd.join(program))]
    } else {
        let path = env.iter().find_map(|e| e.strip_prefix("PATH=")).unwrap_or(DEFAULT_PATH);
        path.split(':')
            .filter(|dir| !dir.is_empty())
            .map(|dir| normalize(&cwd.join(dir).join(program)))
            .chain([normalize(&cwd.join(program))])
            .collect()
    };
    let path = candidates
        .into_iter()
        .find(|p| !p.as_os_str().is_empty() && root.metadata(p).is_ok_and(|m| m.is_file()))
        .ok_or_else(|| {
            if program.contains('/') {
                format!("entrypoint {program:?} is not a file in the container's root filesystem")
            } else {
                format!(
                    "entrypoint {program:?} is not in the container's root filesystem (searched \
                     its PATH and working directory)"
                )
            }
        })?;
    let mut magic = [0u8; 4];
    root.open(&path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .map_err(|e| format!("cannot read entrypoint {program:?} (/{}): {e}", path.display()))?;
    let kind = match &magic {
        b"\0asm" => Kind::Wasm,
        b"\x7fELF" => Kind::Elf,
        _ => {
            return Err(format!(
                "entrypoint {program:?} (/{}) is neither a WebAssembly module nor an ELF executable",
                path.display()
            ));
        }
    };
    Ok(Entrypoint { path, kind })
}

/// `path` relative to the root with `.` and `..` resolved; `..` stops at the root.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rootfs() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("bin")).expect("bin");
        std::fs::write(dir.path().join("bin/app.wasm"), b"\0asm\x01\0\0\0").expect("wasm");
        std::fs::write(dir.path().join("bin/tool"), b"\x7fELF\x02\x01").expect("elf");
        std::fs::write(dir.path().join("notes.txt"), b"hello").expect("text");
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("escape")).expect("symlink");
        dir
    }

    #[test]
    fn finds_modules_and_executables_by_path_and_on_path() {
        let root = rootfs();
        let found = resolve(root.path(), "/bin/app.wasm", "/", &[]).expect("absolute");
        assert_eq!((found.path, found.kind), (PathBuf::from("bin/app.wasm"), Kind::Wasm));
        let found = resolve(root.path(), "../bin/tool", "/bin", &[]).expect("relative");
        assert_eq!((found.path, found.kind), (PathBuf::from("bin/tool"), Kind::Elf));
        let env = ["PATH=/nowhere:/bin".to_string()];
        let found = resolve(root.path(), "app.wasm", "/", &env).expect("on PATH");
        assert_eq!(found.path, PathBuf::from("bin/app.wasm"));
    }

    #[test]
    fn refuses_missing_foreign_and_escaping_entrypoints() {
        let root = rootfs();
        let missing = resolve(root.path(), "nothing.wasm", "/", &[]).expect_err("missing");
        assert!(missing.contains("not in the container's root filesystem"), "{missing}");
        let text = resolve(root.path(), "/notes.txt", "/", &[]).expect_err("text");
        assert!(text.contains("neither a WebAssembly module nor an ELF executable"), "{text}");
        let escape = resolve(root.path(), "/escape", "/", &[]).expect_err("escape");
        assert!(escape.contains("\"/escape\""), "{escape}");
    }
}
