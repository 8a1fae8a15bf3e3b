//! The guest's clocks: the host's, or virtual ones that advance deterministically.

use std::time::{Duration, Instant, SystemTime};

use cap_std::ambient_authority;
use cap_std::time::{MonotonicClock, SystemClock};
use cap_time_ext::{MonotonicClockExt, SystemClockExt};

use super::config::ClockConfig;
use super::errno::{Errno, WasiResult};
use super::types::clockid;

/// The real-time and monotonic clocks of one context.
#[derive(Debug)]
pub(crate) enum Clocks {
    System { created: Instant },
    Deterministic { start_unix_nanos: u64, step_nanos: u64, elapsed: u64 },
}

/// Nanoseconds as a `u64`, saturating.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Clocks {
    pub fn new(config: &ClockConfig) -> Clocks {
        match *config {
            ClockConfig::System => Clocks::System { created: Instant::now() },
            ClockConfig::Deterministic { start_unix_nanos, step_nanos } => {
                Clocks::Deterministic { start_unix_nanos, step_nanos, elapsed: 0 }
            }
        }
    }

    /// `clock_res_get`.
    pub fn resolution(&self, id: u32) -> WasiResult<u64> {
        check_id(id)?;
        match self {
            Clocks::System { .. } => {
                let res = if id == clockid::REALTIME {
                    SystemClock::new(ambient_authority()).resolution()
                } else {
                    MonotonicClock::new(ambient_authority()).resolution()
                };
                Ok(nanos(res).max(1))
            }
            Clocks::Deterministic { step_nanos, .. } => Ok((*step_nanos).max(1)),
        }
    }

    /// `clock_time_get`: the time now. Virtual clocks advance by one step after the reading.
    pub fn time(&mut self, id: u32) -> WasiResult<u64> {
        check_id(id)?;
        let now = self.peek(id)?;
        if let Clocks::Deterministic { step_nanos, elapsed, .. } = self {
            *elapsed = elapsed.saturating_add(*step_nanos);
        }
        Ok(now)
    }

    /// The time on clock `id` without advancing a virtual clock.
    fn peek(&self, id: u32) -> WasiResult<u64> {
        match (self, id) {
            (Clocks::System { .. }, clockid::REALTIME) => {
                let since = SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_err(|_| Errno::Overflow)?;
                Ok(nanos(since))
            }
            (Clocks::System { created }, clockid::MONOTONIC) => Ok(nanos(created.elapsed())),
            (Clocks::Deterministic { start_unix_nanos, elapsed, .. }, clockid::REALTIME) => {
                Ok(start_unix_nanos.saturating_add(*elapsed))
            }
            (Clocks::Deterministic { elapsed, .. }, clockid::MONOTONIC) => Ok(*elapsed),
            _ => Err(Errno::Inval),
        }
    }

    /// Realtime nanoseconds since the Unix epoch now, without advancing a virtual clock.
    pub fn realtime_now(&self) -> u64 {
        self.peek(clockid::REALTIME).unwrap_or(0)
    }

    /// Monotonic nanoseconds now: the time base of [`Clocks::deadline`].
    pub fn monotonic_now(&self) -> u64 {
        self.peek(clockid::MONOTONIC).unwrap_or(0)
    }

    /// The monotonic instant at which a clock subscription fires.
    pub fn deadline(&self, id: u32, timeout: u64, absolute: bool) -> WasiResult<u64> {
        check_id(id)?;
        let now = self.monotonic_now();
        if !absolute {
            return Ok(now.saturating_add(timeout));
        }
        match id {
            clockid::MONOTONIC => Ok(timeout),
            clockid::REALTIME => {
                let remaining = timeout.saturating_sub(self.peek(clockid::REALTIME)?);
                Ok(now.saturating_add(remaining))
            }
            _ => Err(Errno::Inval),
        }
    }

    /// Waits until monotonic time `until`: sleeps on the host, jumps on virtual clocks.
    pub fn wait_until(&mut self, until: u64) {
        match self {
            Clocks::System { created } => {
                let now = nanos(created.elapsed());
                if until > now {
                    std::thread::sleep(Duration::from_nanos(until - now));
                }
            }
            Clocks::Deterministic { elapsed, .. } => *elapsed = (*elapsed).max(until),
        }
    }

    /// Whether time passes by itself (a host clock) rather than only when the guest looks.
    pub fn is_virtual(&self) -> bool {
        matches!(self, Clocks::Deterministic { .. })
    }
}

/// Process and thread CPU-time clocks are not offered (`EBADF`, as in wasmtime); an unknown
/// clock id is `EINVAL`.
fn check_id(id: u32) -> WasiResult<()> {
    match id {
        clockid::REALTIME | clockid::MONOTONIC => Ok(()),
        clockid::PROCESS_CPUTIME_ID | clockid::THREAD_CPUTIME_ID => Err(Errno::Badf),
        _ => Err(Errno::Inval),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clocks_step_on_every_reading() {
        let mut clocks = Clocks::new(&ClockConfig::Deterministic {
            start_unix_nanos: 1_000_000,
            step_nanos: 10,
        });
        assert_eq!(clocks.time(clockid::REALTIME), Ok(1_000_000));
        assert_eq!(clocks.time(clockid::MONOTONIC), Ok(10));
        assert_eq!(clocks.time(clockid::REALTIME), Ok(1_000_020));
        assert_eq!(clocks.resolution(clockid::MONOTONIC), Ok(10));
        let deadline = clocks.deadline(clockid::MONOTONIC, 100, false).expect("valid clock");
        clocks.wait_until(deadline);
        assert_eq!(clocks.time(clockid::MONOTONIC), Ok(130));
        assert_eq!(clocks.time(clockid::PROCESS_CPUTIME_ID), Err(Errno::Badf));
        assert_eq!(clocks.time(9), Err(Errno::Inval));
    }

    #[test]
    fn system_clocks_move_forward() {
        let mut clocks = Clocks::new(&ClockConfig::System);
        let a = clocks.time(clockid::MONOTONIC).expect("monotonic");
        let b = clocks.time(clockid::MONOTONIC).expect("monotonic");
        assert!(b >= a);
        assert!(clocks.time(clockid::REALTIME).expect("realtime") > 1_600_000_000_000_000_000);
        assert!(clocks.resolution(clockid::REALTIME).expect("resolution") >= 1);
    }
}
