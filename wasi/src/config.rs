//! [`WasiConfig`]: what a guest is given — arguments, environment, directories, stdio, clocks
//! and randomness. Plain data (serde), so the CLI, a config file and an embedder share it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::stdio::CaptureBuffer;

/// The WASI configuration of one instance. Nothing of the host is visible unless asked for:
/// no environment variables, no directories, and stdio connected to nothing.
///
/// ```
/// use wasmux_wasi::{WasiConfig, WasiCtx};
///
/// let mut config = WasiConfig::new();
/// config.arg("prog").arg("--verbose").env("LANG", "C").capture_stdout();
/// let ctx = WasiCtx::new(&config)?;
/// assert!(ctx.stdout_captured().is_empty());
/// # Ok::<(), wasmux_core::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct WasiConfig {
    /// The guest's `argv`, program name first.
    pub args: Vec<String>,
    /// Environment variables, in order. A name appearing twice keeps its last value.
    pub env: Vec<(String, String)>,
    /// Whether the host's environment is passed on (before [`WasiConfig::env`], which
    /// overrides it).
    pub inherit_env: bool,
    /// Host directories the guest may reach, in the order of their descriptors (from 3 on).
    pub preopens: Vec<PreopenDir>,
    /// Where standard input comes from.
    pub stdin: StdinConfig,
    /// Where standard output goes.
    pub stdout: OutputConfig,
    /// Where standard error goes.
    pub stderr: OutputConfig,
    /// The clocks the guest reads.
    pub clock: ClockConfig,
    /// A seed for `random_get`: with one, the guest's random bytes are the same on every run.
    pub random_seed: Option<u64>,
    /// Whether file metadata that only the host decides is replaced by values that depend on
    /// the guest alone: device and inode numbers count from 1 in the order the guest sees
    /// them, access and status-change times read as the modification time, and what the guest
    /// changes is stamped with the guest's realtime clock rather than the host's.
    pub stable_file_metadata: bool,
}

/// Where [`WasiConfig::deterministic`] starts the realtime clock: 2000-01-01T00:00:00Z.
pub const DETERMINISTIC_START_UNIX_NANOS: u64 = 946_684_800 * 1_000_000_000;

/// How far [`WasiConfig::deterministic`] clocks move on each reading: one microsecond.
pub const DETERMINISTIC_STEP_NANOS: u64 = 1_000;

/// A host directory offered to the guest under a name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreopenDir {
    /// The directory on the host. It must exist when the context is made.
    pub host: PathBuf,
    /// The name the guest sees (`fd_prestat_dir_name`), e.g. `/data` or `.`.
    pub guest: String,
    /// What the guest may do inside it.
    #[serde(default)]
    pub access: DirAccess,
}

/// What a guest may do in a preopened directory.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirAccess {
    /// Read files and list directories; nothing is created, changed, renamed or removed.
    /// Operations that would are refused with `ENOTCAPABLE`.
    ReadOnly,
    /// Everything, within the directory.
    #[default]
    ReadWrite,
}

/// Where a guest's standard input comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StdinConfig {
    /// Nothing: reads return end of file.
    #[default]
    Null,
    /// The host process's standard input.
    Inherit,
    /// These bytes, then end of file.
    Bytes(Vec<u8>),
    /// The contents of this host file.
    File(PathBuf),
}

/// Where a guest's standard output or standard error goes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputConfig {
    /// Nowhere: writes succeed and are discarded.
    #[default]
    Null,
    /// The host process's own stream.
    Inherit,
    /// A fresh in-memory buffer per context, read afterwards with
    /// [`WasiCtx::stdout_captured`](super::WasiCtx::stdout_captured) or through the handle
    /// from [`WasiCtx::stdout_buffer`](super::WasiCtx::stdout_buffer).
    Capture,
    /// This host file, created or truncated.
    File(PathBuf),
    /// A buffer the embedder already holds. Not serializable: a configuration holding one
    /// fails to serialize.
    #[serde(skip)]
    Buffer(CaptureBuffer),
}

/// The clocks a guest reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockConfig {
    /// The host's real-time and monotonic clocks. The monotonic clock counts from the
    /// context's creation.
    #[default]
    System,
    /// Virtual clocks for reproducible runs: real time starts at `start_unix_nanos`, monotonic
    /// time at 0, and both advance by `step_nanos` at every `clock_time_get`. Sleeping
    /// (`poll_oneoff` on a clock) advances them at once, without waiting.
    Deterministic {
        /// Real time at the start, in nanoseconds since the Unix epoch.
        start_unix_nanos: u64,
        /// How far the clocks move on each reading.
        step_nanos: u64,
    },
}

impl WasiConfig {
    /// A configuration that gives the guest nothing.
    pub fn new() -> Self {
        WasiConfig::default()
    }

    /// Appends one argument.
    pub fn arg(&mut self, arg: impl Into<String>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    /// Appends arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Sets an environment variable.
    pub fn env(&mut self, name: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.env.push((name.into(), value.into()));
        self
    }

    /// Sets environment variables.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env.extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// Passes on the host's environment (variables set with [`WasiConfig::env`] win).
    pub fn inherit_env(&mut self, inherit: bool) -> &mut Self {
        self.inherit_env = inherit;
        self
    }

    /// Offers the host directory `host` to the guest as `guest`, read-write.
    pub fn preopen_dir(&mut self, host: impl Into<PathBuf>, guest: impl Into<String>) -> &mut Self {
        self.preopen(host, guest, DirAccess::ReadWrite)
    }

    /// Offers the host directory `host` to the guest as `guest`, read-only.
    pub fn preopen_dir_read_only(
        &mut self,
        host: impl Into<PathBuf>,
        guest: impl Into<String>,
    ) -> &mut Self {
        self.preopen(host, guest, DirAccess::ReadOnly)
    }

    /// Offers the host directory `host` to the guest as `guest` with `access`.
    pub fn preopen(
        &mut self,
        host: impl Into<PathBuf>,
        guest: impl Into<String>,
        access: DirAccess,
    ) -> &mut Self {
        self.preopens.push(PreopenDir { host: host.into(), guest: guest.into(), access });
        self
    }

    /// Sets standard input.
    pub fn stdin(&mut self, stdin: StdinConfig) -> &mut Self {
        self.stdin = stdin;
        self
    }

    /// Standard input reads these bytes, then end of file.
    pub fn stdin_bytes(&mut self, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.stdin(StdinConfig::Bytes(bytes.into()))
    }

    /// Sets standard output.
    pub fn stdout(&mut self, stdout: OutputConfig) -> &mut Self {
        self.stdout = stdout;
        self
    }

    /// Sets standard error.
    pub fn stderr(&mut self, stderr: OutputConfig) -> &mut Self {
        self.stderr = stderr;
        self
    }

    /// Captures standard output in memory.
    pub fn capture_stdout(&mut self) -> &mut Self {
        self.stdout(OutputConfig::Capture)
    }

    /// Captures standard error in memory.
    pub fn capture_stderr(&mut self) -> &mut Self {
        self.stderr(OutputConfig::Capture)
    }

    /// Appends standard output to `buffer`, a handle the embedder keeps.
    pub fn stdout_buffer(&mut self, buffer: CaptureBuffer) -> &mut Self {
        self.stdout(OutputConfig::Buffer(buffer))
    }

    /// Appends standard error to `buffer`, a handle the embedder keeps.
    pub fn stderr_buffer(&mut self, buffer: CaptureBuffer) -> &mut Self {
        self.stderr(OutputConfig::Buffer(buffer))
    }

    /// Connects standard input, output and error to the host process's own.
    pub fn inherit_stdio(&mut self) -> &mut Self {
        self.stdin = StdinConfig::Inherit;
        self.stdout = OutputConfig::Inherit;
        self.stderr = OutputConfig::Inherit;
        self
    }

    /// Sets the clocks.
    pub fn clock(&mut self, clock: ClockConfig) -> &mut Self {
        self.clock = clock;
        self
    }

    /// Virtual clocks starting at `start_unix_nanos` and advancing `step_nanos` per reading;
    /// see [`ClockConfig::Deterministic`].
    pub fn deterministic_clock(&mut self, start_unix_nanos: u64, step_nanos: u64) -> &mut Self {
        self.clock(ClockConfig::Deterministic { start_unix_nanos, step_nanos })
    }

    /// Makes every run of the same program with the same inputs produce the same bytes: the
    /// clocks are virtual (from [`DETERMINISTIC_START_UNIX_NANOS`], advancing
    /// [`DETERMINISTIC_STEP_NANOS`] per reading, sleeping and `poll_oneoff` timeouts taking no
    /// host time), `random_get` is seeded with 0, and file metadata is stable (see
    /// [`WasiConfig::stable_file_metadata`](WasiConfig#structfield.stable_file_metadata)).
    pub fn deterministic(&mut self) -> &mut Self {
        self.deterministic_clock(DETERMINISTIC_START_UNIX_NANOS, DETERMINISTIC_STEP_NANOS)
            .random_seed(0)
            .stable_file_metadata(true)
    }

    /// Replaces the file metadata only the host decides by values the guest's actions alone
    /// determine; see [`WasiConfig::stable_file_metadata`](WasiConfig#structfield.stable_file_metadata).
    pub fn stable_file_metadata(&mut self, on: bool) -> &mut Self {
        self.stable_file_metadata = on;
        self
    }

    /// Makes `random_get` a deterministic stream (ChaCha20) seeded with `seed`. Reproducible,
    /// and no longer secret: use only for tests and replays.
    pub fn random_seed(&mut self, seed: u64) -> &mut Self {
        self.random_seed = Some(seed);
        self
    }
}
