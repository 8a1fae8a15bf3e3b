//! `poll_oneoff`: waits for clocks and for descriptors to become readable or writable.
//!
//! Regular files are always ready (a read subscription reports the bytes left before the
//! end); in-memory stdio is ready at once; inherited stdio and sockets are asked of the OS
//! with `poll`. Virtual (deterministic) clocks never wait: time jumps to the earliest deadline.

use super::WasiCtx;
use super::clocks::Clocks;
use super::errno::{Errno, WasiResult};
use super::fd_table::{Descriptor, FdTable, Handle};
use super::memory::GuestMemory;
use super::stdio::{OsFd, Output, Readiness};
use super::types::{Event, Rights, Subscription, eventrwflags, eventtype, subclockflags};

/// A subscription, resolved.
#[derive(Clone, Copy, Debug)]
enum Pending {
    Clock { userdata: u64, deadline: u64 },
    Fd { userdata: u64, fd: u32, write: bool },
}

fn fd_event(userdata: u64, write: bool, nbytes: u64, hangup: bool) -> Event {
    Event {
        userdata,
        error: Errno::Success,
        kind: if write { eventtype::FD_WRITE } else { eventtype::FD_READ },
        nbytes,
        flags: if hangup { eventrwflags::HANGUP } else { 0 },
    }
}

/// How ready `desc` is for reading or writing, without waiting.
fn readiness(desc: &Descriptor, write: bool) -> Readiness<'_> {
    match &desc.handle {
        Handle::File(file) => {
            let nbytes = if write {
                0
            } else {
                let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                let pos = system_interface::fs::FileIoExt::stream_position(file).unwrap_or(len);
                len.saturating_sub(pos)
            };
            Readiness::Ready { nbytes, hangup: false }
        }
        Handle::Stdin(input) if !write => input.readiness(),
        #[cfg(unix)]
        Handle::Stdout(Output::Inherit(stream)) if write => Readiness::Os(match stream {
            super::stdio::HostStream::Stdout => rustix::stdio::stdout(),
            super::stdio::HostStream::Stderr => rustix::stdio::stderr(),
        }),
        #[cfg(unix)]
        Handle::Socket(socket) => Readiness::Os(socket.as_fd()),
        _ => Readiness::Ready { nbytes: 0, hangup: false },
    }
}

impl WasiCtx {
    /// `poll_oneoff`: writes the events that occurred to `out`, returns how many.
    pub(crate) fn poll_oneoff(
        &mut self,
        mem: &mut GuestMemory<'_>,
        subs_ptr: u32,
        out_ptr: u32,
        count: u32,
    ) -> WasiResult<u32> {
        if count == 0 {
            return Err(Errno::Inval);
        }
        mem.check(subs_ptr, u64::from(count) * u64::from(Subscription::SIZE))?;
        mem.check(out_ptr, u64::from(count) * u64::from(Event::SIZE))?;

        let mut pending = Vec::with_capacity(count as usize);
        for i in 0..count {
            pending.push(match Subscription::read(mem, subs_ptr + i * Subscription::SIZE)? {
                Subscription::Clock { userdata, id, timeout, flags, .. } => {
                    if flags & !subclockflags::ABSTIME != 0 {
                        return Err(Errno::Inval);
                    }
                    let absolute = flags & subclockflags::ABSTIME != 0;
                    let deadline = self.clocks.deadline(id, timeout, absolute)?;
                    Pending::Clock { userdata, deadline }
                }
                Subscription::FdRead { userdata, fd } => self.fd_pending(userdata, fd, false)?,
                Subscription::FdWrite { userdata, fd } => self.fd_pending(userdata, fd, true)?,
            });
        }

        let events = wait(&self.table, &mut self.clocks, &pending)?;
        let mut written = 0u32;
        for event in events.into_iter().flatten() {
            mem.write(out_ptr + written * Event::SIZE, &event.encode())?;
            written += 1;
        }
        Ok(written)
    }

    /// A descriptor subscription: the descriptor must exist (`EBADF`), not be a directory
    /// (`EBADF`) and have `POLL_FD_READWRITE` (`ENOTCAPABLE`), or the whole call fails.
    fn fd_pending(&self, userdata: u64, fd: u32, write: bool) -> WasiResult<Pending> {
        let desc = self.table.get(fd)?;
        if matches!(desc.handle, Handle::Dir(_)) {
            return Err(Errno::Badf);
        }
        desc.require(Rights::POLL_FD_READWRITE)?;
        Ok(Pending::Fd { userdata, fd, write })
    }
}

/// Waits until at least one subscription has an event; returns them by subscription index.
fn wait(
    table: &FdTable,
    clocks: &mut Clocks,
    pending: &[Pending],
) -> WasiResult<Vec<Option<Event>>> {
    let earliest = pending
        .iter()
        .filter_map(|p| match p {
            Pending::Clock { deadline, .. } => Some(*deadline),
            Pending::Fd { .. } => None,
        })
        .min();
    let mut events: Vec<Option<Event>> = vec![None; pending.len()];
    loop {
        let mut os: Vec<(usize, OsFd<'_>)> = Vec::new();
        for (i, p) in pending.iter().enumerate() {
            let Pending::Fd { userdata, fd, write } = *p else {
                continue;
            };
            match readiness(table.get(fd)?, write) {
                Readiness::Ready { nbytes, hangup } => {
                    events[i] = Some(fd_event(userdata, write, nbytes, hangup));
                }
                Readiness::Os(host) => os.push((i, host)),
            }
        }
        let now = clocks.monotonic_now();
        let expired = earliest.is_some_and(|d| d <= now);
        let ready = events.iter().any(Option::is_some);
        if !os.is_empty() {
            // Wait on the OS unless something is ready already or time is virtual, and
            // never past the earliest deadline.
            let wait = if ready || expired || (clocks.is_virtual() && earliest.is_some()) {
                Some(0)
            } else {
                earliest.map(|d| d - now)
            };
            poll_os(pending, &os, wait, &mut events)?;
        }
        let ready = events.iter().any(Option::is_some);
        if !ready
            && !expired
            && (os.is_empty() || clocks.is_virtual())
            && let Some(deadline) = earliest
        {
            clocks.wait_until(deadline);
        }
        let now = clocks.monotonic_now();
        for (i, p) in pending.iter().enumerate() {
            if let Pending::Clock { userdata, deadline } = *p
                && deadline <= now
            {
                events[i] = Some(Event {
                    userdata,
                    error: Errno::Success,
                    kind: eventtype::CLOCK,
                    nbytes: 0,
                    flags: 0,
                });
            }
        }
        if events.iter().any(Option::is_some) {
            return Ok(events);
        }
    }
}

/// Polls the host descriptors `os` (subscription index, descriptor) for at most `wait_nanos`
/// (forever when `None`), recording the ready ones in `events`.
#[cfg(unix)]
fn poll_os(
    pending: &[Pending],
    os: &[(usize, OsFd<'_>)],
    wait_nanos: Option<u64>,
    events: &mut [Option<Event>],
) -> WasiResult<()> {
    use rustix::event::{PollFd, PollFlags, Timespec};
    let mut fds: Vec<PollFd<'_>> = os
        .iter()
        .map(|&(i, fd)| {
            let write = matches!(pending[i], Pending::Fd { write: true, .. });
            PollFd::from_borrowed_fd(fd, if write { PollFlags::OUT } else { PollFlags::IN })
        })
        .collect();
    let timeout = wait_nanos.map(|n| Timespec {
        tv_sec: i64::try_from(n / 1_000_000_000).unwrap_or(i64::MAX),
        tv_nsec: (n % 1_000_000_000) as _,
    });
    match rustix::event::poll(&mut fds, timeout.as_ref()) {
        Ok(_) | Err(rustix::io::Errno::INTR) => {}
        Err(e) => return Err(e.into()),
    }
    for (&(i, fd), polled) in os.iter().zip(&fds) {
        let revents = polled.revents();
        let Pending::Fd { userdata, write, .. } = pending[i] else {
            continue;
        };
        if revents.is_empty() {
            continue;
        }
        let hangup = revents.contains(PollFlags::HUP);
        let failed = revents.intersects(PollFlags::ERR | PollFlags::NVAL)
            && !revents.intersects(PollFlags::IN | PollFlags::OUT);
        let mut event = fd_event(userdata, write, 0, hangup);
        if failed {
            event.error = Errno::Io;
        } else if !write {
            event.nbytes = rustix::io::ioctl_fionread(fd).unwrap_or(0);
        }
        events[i] = Some(event);
    }
    Ok(())
}

/// Off Unix nothing is left for the OS to poll.
#[cfg(not(unix))]
fn poll_os(
    _pending: &[Pending],
    _os: &[(usize, OsFd<'_>)],
    _wait_nanos: Option<u64>,
    _events: &mut [Option<Event>],
) -> WasiResult<()> {
    Ok(())
}
