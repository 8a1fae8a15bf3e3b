//! Deadlines and interrupt handles, on wasmer's `experimental-host-interrupt`.
//!
//! wasmer 7 stops running guest code by sending `SIGUSR1` to the thread running the store
//! (`Store::interrupter`); the signal handler unwinds the guest with a `HostInterrupt` trap when
//! the thread is executing guest code on wasmer's guest stack. Host functions and wasmer's own
//! runtime calls (memory growth, table operations) run on the host stack and are never unwound:
//! an interrupt arriving there is recorded and raised when control returns to the guest. This is
//! what makes the mechanism sound, and why no per-operator check is compiled into the code.
//!
//! The delivery is best effort (wasmer's documentation): a signal sent just before the thread
//! enters guest code is lost. Hence one watchdog thread per engine, started on first use, that
//! sends the interrupt when a call's deadline passes or when an [`InterruptHandle`] fires, and
//! sends it again (after 50 ms, doubling up to 400 ms; see `FIRST_RETRY`) for as long as the
//! same call still runs.
//!
//! Granularity: a guest executing code stops within microseconds of the signal; a guest inside
//! a host function stops when that function returns. Deadlines are measured from the start of
//! each call and kept to the watchdog's timer accuracy (well under a millisecond when idle).
//! wasmer's signal handler is installed without `SA_RESTART`, so a blocking system call in a
//! host function may return `EINTR` while its call is being interrupted.

use std::sync::Arc;

use wasmux_core::InterruptHandle;

pub(crate) use imp::{Target, Watchdog};

/// A call in progress: ends it on drop.
#[must_use]
pub(crate) struct CallGuard<'a> {
    target: &'a Target,
    watchdog: &'a Watchdog,
    id: u64,
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        self.target.end(self.watchdog, self.id);
    }
}

impl Target {
    /// Marks the start of a call; with `deadline`, the watchdog interrupts it then.
    pub(crate) fn begin<'a>(
        self: &'a Arc<Self>,
        watchdog: &'a Watchdog,
        deadline: Option<std::time::Instant>,
    ) -> CallGuard<'a> {
        let id = self.start(watchdog, deadline);
        CallGuard { target: self, watchdog, id }
    }
}

/// A handle for an instance that cannot be interrupted while running: the request is honoured
/// when the next call starts.
pub(crate) fn inert_handle() -> InterruptHandle {
    InterruptHandle::new(|| {})
}

#[cfg(unix)]
mod imp {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::SeqCst};
    use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, Weak};
    use std::thread::JoinHandle;
    use std::time::{Duration, Instant};

    use wasmer::{Interrupter, Store};
    use wasmux_core::InterruptHandle;

    // A signal that lands while the thread runs host code is ignored, so the watchdog signals
    // again until the call ends. But a second signal that lands while wasmer is still unwinding
    // the first trap on the guest stack traps again inside that unwinding: wasmer 7.4.2 then
    // captures a backtrace in the signal handler, and the thread can deadlock on the backtrace
    // lock (seen in CI with LLVM debug builds, whose unwinding takes over 1 ms). So retries
    // start well after any unwinding: a call that returns from a host function into an
    // endless loop stops up to MAX_RETRY later.
    const FIRST_RETRY: Duration = Duration::from_millis(50);
    const MAX_RETRY: Duration = Duration::from_millis(400);

    /// One instance's store, as the watchdog sees it.
    pub(crate) struct Target {
        interrupter: Interrupter,
        handle: InterruptHandle,
        /// `call id << 1 | running`; written only by the thread that owns the instance.
        state: AtomicU64,
        /// Whether the watchdog holds an entry for this target (set and cleared under its lock).
        watched: AtomicBool,
    }

    impl Target {
        /// A target for `store`, whose interrupt handle asks `watchdog` to stop the running call.
        pub(crate) fn new(store: &Store, watchdog: &Arc<Watchdog>) -> Arc<Target> {
            Arc::new_cyclic(|me: &Weak<Target>| {
                let me = me.clone();
                let watchdog = Arc::downgrade(watchdog);
                let handle = InterruptHandle::new(move || {
                    if let (Some(target), Some(watchdog)) = (me.upgrade(), watchdog.upgrade()) {
                        target.request(&watchdog);
                    }
                });
                Target {
                    interrupter: store.interrupter(),
                    handle,
                    state: AtomicU64::new(0),
                    watched: AtomicBool::new(false),
                }
            })
        }

        /// The instance's interrupt handle.
        pub(crate) fn handle(&self) -> &InterruptHandle {
            &self.handle
        }

        pub(super) fn start(
            self: &Arc<Self>,
            watchdog: &Watchdog,
            deadline: Option<Instant>,
        ) -> u64 {
            let id = (self.state.load(SeqCst) >> 1) + 1;
            self.state.store(id << 1 | 1, SeqCst);
            if let Some(deadline) = deadline {
                watchdog.watch(self, id, Some(deadline), false);
            }
            id
        }

        pub(super) fn end(&self, watchdog: &Watchdog, id: u64) {
            self.state.store(id << 1, SeqCst);
            // If the watchdog is looking at this call, wait for it to let go: it may be
            // signalling this store right now, and the next call must not receive that signal.
            if self.watched.load(SeqCst) {
                watchdog.forget(self);
            }
        }

        /// The interrupt handle fired: stop the running call, if any.
        fn request(self: &Arc<Self>, watchdog: &Watchdog) {
            let state = self.state.load(SeqCst);
            if state & 1 == 1 {
                watchdog.watch(self, state >> 1, None, true);
            }
        }

        fn is_running(&self, id: u64) -> bool {
            self.state.load(SeqCst) == (id << 1 | 1)
        }
    }

    struct Entry {
        target: Arc<Target>,
        call: u64,
        deadline: Option<Instant>,
        interrupt: bool,
        /// When to signal next, once due.
        next: Option<Instant>,
        retry: Duration,
    }

    impl Entry {
        fn due(&self, now: Instant) -> bool {
            (self.interrupt && self.target.handle.is_interrupted())
                || self.deadline.is_some_and(|d| now >= d)
        }
    }

    #[derive(Default)]
    struct State {
        entries: Vec<Entry>,
        shutdown: bool,
        /// When the thread wakes up by itself next; `None` while it waits for a notification.
        sleeps_until: Option<Instant>,
    }

    #[derive(Default)]
    struct Shared {
        state: Mutex<State>,
        wake: Condvar,
    }

    impl Shared {
        fn lock(&self) -> MutexGuard<'_, State> {
            self.state.lock().unwrap_or_else(PoisonError::into_inner)
        }
    }

    /// The engine's watchdog thread, started on first use and stopped with the engine.
    #[derive(Default)]
    pub(crate) struct Watchdog {
        shared: Arc<Shared>,
        thread: Mutex<Option<JoinHandle<()>>>,
        started: AtomicBool,
    }

    impl Watchdog {
        fn watch(
            &self,
            target: &Arc<Target>,
            call: u64,
            deadline: Option<Instant>,
            interrupt: bool,
        ) {
            {
                let mut state = self.shared.lock();
                match state
                    .entries
                    .iter_mut()
                    .find(|e| Arc::ptr_eq(&e.target, target) && e.call == call)
                {
                    Some(entry) => {
                        entry.interrupt |= interrupt;
                        entry.deadline = entry.deadline.or(deadline);
                    }
                    None => state.entries.push(Entry {
                        target: target.clone(),
                        call,
                        deadline,
                        interrupt,
                        next: None,
                        retry: FIRST_RETRY,
                    }),
                }
                target.watched.store(true, SeqCst);
                // Wake the thread only if it would otherwise sleep past this entry's time:
                // repeated calls with the same deadline cost no wake-up (nor context switch).
                let due = if interrupt { Some(Instant::now()) } else { deadline };
                let sooner = match (due, state.sleeps_until) {
                    (Some(due), Some(until)) => due < until,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                if sooner {
                    self.shared.wake.notify_one();
                }
            }
            self.ensure_thread();
        }

        fn forget(&self, target: &Target) {
            let mut state = self.shared.lock();
            state.entries.retain(|e| !std::ptr::eq(Arc::as_ptr(&e.target), target));
            target.watched.store(false, SeqCst);
        }

        fn ensure_thread(&self) {
            if self.started.load(SeqCst) {
                return;
            }
            let mut thread = self.thread.lock().unwrap_or_else(PoisonError::into_inner);
            if thread.is_some() {
                return;
            }
            let shared = self.shared.clone();
            match std::thread::Builder::new()
                .name("wasmux-wasmer-watchdog".to_string())
                .spawn(move || run(&shared))
            {
                Ok(handle) => {
                    *thread = Some(handle);
                    self.started.store(true, SeqCst);
                }
                Err(error) => tracing::error!(%error, "wasmer: cannot start the watchdog thread"),
            }
        }
    }

    impl Drop for Watchdog {
        fn drop(&mut self) {
            self.shared.lock().shutdown = true;
            self.shared.wake.notify_one();
            let thread = self.thread.get_mut().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(thread) = thread {
                let _ = thread.join();
            }
        }
    }

    fn run(shared: &Shared) {
        let mut state = shared.lock();
        while !state.shutdown {
            let now = Instant::now();
            let mut wake_at: Option<Instant> = None;
            state.entries.retain_mut(|entry| {
                if !entry.target.is_running(entry.call) {
                    entry.target.watched.store(false, SeqCst);
                    return false;
                }
                if entry.next.is_none() && entry.due(now) {
                    entry.next = Some(now);
                }
                if let Some(next) = entry.next.filter(|next| *next <= now) {
                    // Sent with the watchdog's lock held: the call cannot end and let the next
                    // call begin before this signal is on its way (see `Target::end`).
                    entry.target.interrupter.interrupt();
                    entry.next = Some(next.max(now) + entry.retry);
                    entry.retry = (entry.retry * 2).min(MAX_RETRY);
                }
                let candidate = entry.next.or(entry.deadline);
                if let Some(at) = candidate {
                    wake_at = Some(wake_at.map_or(at, |w| w.min(at)));
                }
                true
            });
            // A target may have had a stale entry removed above next to a live one.
            for entry in &state.entries {
                entry.target.watched.store(true, SeqCst);
            }
            state.sleeps_until = wake_at;
            state = match wake_at {
                Some(at) => {
                    let timeout = at.saturating_duration_since(Instant::now());
                    shared
                        .wake
                        .wait_timeout(state, timeout)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => shared.wake.wait(state).unwrap_or_else(PoisonError::into_inner),
            };
        }
    }
}

#[cfg(not(unix))]
mod imp {
    //! wasmer interrupts by a unix signal only; `Settings` refuses interruptible engines
    //! elsewhere, so these stand-ins never see a running call to stop.

    use std::sync::Arc;
    use std::time::Instant;

    use wasmer::Store;
    use wasmux_core::InterruptHandle;

    pub(crate) struct Target {
        handle: InterruptHandle,
    }

    impl Target {
        pub(crate) fn new(_: &Store, _: &Arc<Watchdog>) -> Arc<Target> {
            Arc::new(Target { handle: super::inert_handle() })
        }

        pub(crate) fn handle(&self) -> &InterruptHandle {
            &self.handle
        }

        pub(super) fn start(self: &Arc<Self>, _: &Watchdog, _: Option<Instant>) -> u64 {
            0
        }

        pub(super) fn end(&self, _: &Watchdog, _: u64) {}
    }

    #[derive(Default)]
    pub(crate) struct Watchdog;
}
