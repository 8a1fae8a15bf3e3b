//! The epoch ticker: one thread per engine that advances wasmtime's epoch at a fixed period,
//! so that running calls reach their epoch check points and look at their deadline.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often the ticker advances the epoch: the granularity of deadlines.
pub(crate) const TICK: Duration = Duration::from_millis(1);

/// A running ticker thread. It stops (and is joined) when the last holder drops it: the engine
/// that started it and every live instance with a deadline hold one.
pub(crate) struct Ticker {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Starts a thread that calls `engine.increment_epoch()` every [`TICK`].
    pub(crate) fn start(engine: wasmtime::Engine) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread =
            std::thread::Builder::new().name("wasmux-wasmtime-epoch".into()).spawn(move || {
                // Sending is never done: the ticker stops when the sender is dropped.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(TICK) {
                    engine.increment_epoch();
                }
            })?;
        Ok(Ticker { stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            // The thread only sleeps and bumps an atomic; it cannot panic in a way worth
            // reporting from a destructor.
            let _ = thread.join();
        }
    }
}

impl std::fmt::Debug for Ticker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ticker").field("period", &TICK).finish()
    }
}
