//! Sockets the embedder hands to the guest (`WasiCtx::push_socket`), and `sock_*` on them.
//! Preview1 cannot create sockets: without the embedder's, a guest has none.

#[cfg(not(unix))]
use std::io::Write;
use std::io::{self, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
#[cfg(unix)]
use std::os::unix::net::{UnixListener, UnixStream};

use super::errno::{Errno, WasiResult};
use super::stdio::retry;

/// A socket given to the guest: a listener it may `sock_accept` on, or a connected stream it
/// reads and writes.
#[derive(Debug)]
#[non_exhaustive]
pub enum Socket {
    /// A listening TCP socket.
    TcpListener(TcpListener),
    /// A connected TCP stream.
    TcpStream(TcpStream),
    /// A listening Unix-domain socket.
    #[cfg(unix)]
    UnixListener(UnixListener),
    /// A connected Unix-domain stream.
    #[cfg(unix)]
    UnixStream(UnixStream),
}

impl From<TcpListener> for Socket {
    fn from(s: TcpListener) -> Socket {
        Socket::TcpListener(s)
    }
}

impl From<TcpStream> for Socket {
    fn from(s: TcpStream) -> Socket {
        Socket::TcpStream(s)
    }
}

#[cfg(unix)]
impl From<UnixListener> for Socket {
    fn from(s: UnixListener) -> Socket {
        Socket::UnixListener(s)
    }
}

#[cfg(unix)]
impl From<UnixStream> for Socket {
    fn from(s: UnixStream) -> Socket {
        Socket::UnixStream(s)
    }
}

impl Socket {
    /// Whether this is a listener (accepts) rather than a stream (reads and writes).
    pub fn is_listener(&self) -> bool {
        match self {
            Socket::TcpListener(_) => true,
            #[cfg(unix)]
            Socket::UnixListener(_) => true,
            _ => false,
        }
    }

    pub(crate) fn set_nonblocking(&self, nonblocking: bool) -> WasiResult<()> {
        let result = match self {
            Socket::TcpListener(s) => s.set_nonblocking(nonblocking),
            Socket::TcpStream(s) => s.set_nonblocking(nonblocking),
            #[cfg(unix)]
            Socket::UnixListener(s) => s.set_nonblocking(nonblocking),
            #[cfg(unix)]
            Socket::UnixStream(s) => s.set_nonblocking(nonblocking),
        };
        Ok(result?)
    }

    /// Accepts a connection; the new stream is non-blocking when asked.
    pub(crate) fn accept(&self, nonblocking: bool) -> WasiResult<Socket> {
        let socket = match self {
            Socket::TcpListener(s) => Socket::TcpStream(retry(|| s.accept())?.0),
            #[cfg(unix)]
            Socket::UnixListener(s) => Socket::UnixStream(retry(|| s.accept())?.0),
            _ => return Err(Errno::Inval),
        };
        socket.set_nonblocking(nonblocking)?;
        Ok(socket)
    }

    /// Receives into `buf`; `peek` leaves the data queued, `waitall` waits for a full buffer.
    pub(crate) fn recv(&self, buf: &mut [u8], peek: bool, waitall: bool) -> WasiResult<usize> {
        #[cfg(unix)]
        {
            use rustix::net::RecvFlags;
            let mut flags = RecvFlags::empty();
            if peek {
                flags |= RecvFlags::PEEK;
            }
            if waitall {
                flags |= RecvFlags::WAITALL;
            }
            let fd = self.stream_fd()?;
            loop {
                match rustix::net::recv(fd, &mut *buf, flags) {
                    Err(rustix::io::Errno::INTR) => continue,
                    other => return Ok(other?.0),
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = waitall;
            match self {
                Socket::TcpStream(s) if peek => retry(|| s.peek(buf)),
                _ => self.read(buf),
            }
        }
    }

    /// Sends `buf`. A peer that hung up is `EPIPE`, never a `SIGPIPE`.
    pub(crate) fn send(&self, buf: &[u8]) -> WasiResult<usize> {
        #[cfg(unix)]
        {
            let fd = self.stream_fd()?;
            loop {
                match rustix::net::send(fd, buf, rustix::net::SendFlags::NOSIGNAL) {
                    Err(rustix::io::Errno::INTR) => continue,
                    other => return Ok(other?),
                }
            }
        }
        #[cfg(not(unix))]
        self.write(buf)
    }

    pub(crate) fn read(&self, buf: &mut [u8]) -> WasiResult<usize> {
        match self {
            Socket::TcpStream(s) => retry(|| (&*s).read(buf)),
            #[cfg(unix)]
            Socket::UnixStream(s) => retry(|| (&*s).read(buf)),
            _ => Err(Errno::Notconn),
        }
    }

    pub(crate) fn write(&self, buf: &[u8]) -> WasiResult<usize> {
        #[cfg(unix)]
        {
            self.send(buf)
        }
        #[cfg(not(unix))]
        match self {
            Socket::TcpStream(s) => retry(|| (&*s).write(buf)),
            _ => Err(Errno::Notconn),
        }
    }

    pub(crate) fn shutdown(&self, how: Shutdown) -> WasiResult<()> {
        let result = match self {
            Socket::TcpStream(s) => s.shutdown(how),
            #[cfg(unix)]
            Socket::UnixStream(s) => s.shutdown(how),
            _ => Err(io::Error::from(io::ErrorKind::NotConnected)),
        };
        Ok(result?)
    }

    #[cfg(unix)]
    fn stream_fd(&self) -> WasiResult<rustix::fd::BorrowedFd<'_>> {
        use rustix::fd::AsFd;
        match self {
            Socket::TcpStream(s) => Ok(s.as_fd()),
            Socket::UnixStream(s) => Ok(s.as_fd()),
            _ => Err(Errno::Notconn),
        }
    }

    /// The descriptor to poll.
    #[cfg(unix)]
    pub(crate) fn as_fd(&self) -> rustix::fd::BorrowedFd<'_> {
        use rustix::fd::AsFd;
        match self {
            Socket::TcpListener(s) => s.as_fd(),
            Socket::TcpStream(s) => s.as_fd(),
            Socket::UnixListener(s) => s.as_fd(),
            Socket::UnixStream(s) => s.as_fd(),
        }
    }
}

use super::WasiCtx;
use super::fd_table::{Descriptor, Handle};
use super::memory::GuestMemory;
use super::types::{Rights, fdflags, sockflags};

impl WasiCtx {
    fn socket(&self, fd: u32) -> WasiResult<(&Socket, Rights)> {
        let desc = self.table.get(fd)?;
        match &desc.handle {
            Handle::Socket(socket) => Ok((socket, desc.base)),
            _ => Err(Errno::Notsock),
        }
    }

    /// `sock_accept`: returns the descriptor of the accepted connection.
    pub(crate) fn sock_accept(&mut self, fd: u32, flags: u16) -> WasiResult<u32> {
        if flags & !fdflags::NONBLOCK != 0 {
            return Err(Errno::Inval);
        }
        let (listener, base) = self.socket(fd)?;
        if !base.contains(Rights::SOCK_ACCEPT) {
            return Err(Errno::Notcapable);
        }
        let stream = listener.accept(flags & fdflags::NONBLOCK != 0)?;
        let mut desc = Descriptor::new(Handle::Socket(stream), Rights::SOCKET_STREAM, Rights::NONE);
        desc.flags = flags;
        self.table.push(desc)
    }

    /// `sock_recv`: returns the bytes received; `roflags` are always 0 on stream sockets.
    pub(crate) fn sock_recv(
        &mut self,
        mem: &mut GuestMemory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
        flags: u16,
    ) -> WasiResult<u32> {
        if flags & !(sockflags::RECV_PEEK | sockflags::RECV_WAITALL) != 0 {
            return Err(Errno::Inval);
        }
        let (socket, base) = self.socket(fd)?;
        if !base.contains(Rights::FD_READ) {
            return Err(Errno::Notcapable);
        }
        let peek = flags & sockflags::RECV_PEEK != 0;
        let waitall = flags & sockflags::RECV_WAITALL != 0;
        mem.read_iovecs(iovs, count, true, |buf| socket.recv(buf, peek, waitall))
    }

    /// `sock_send`: returns the bytes sent. No `siflags` are defined; any is `EINVAL`.
    pub(crate) fn sock_send(
        &mut self,
        mem: &GuestMemory<'_>,
        fd: u32,
        iovs: u32,
        count: u32,
        flags: u16,
    ) -> WasiResult<u32> {
        if flags != 0 {
            return Err(Errno::Inval);
        }
        let (socket, base) = self.socket(fd)?;
        if !base.contains(Rights::FD_WRITE) {
            return Err(Errno::Notcapable);
        }
        mem.write_iovecs(iovs, count, true, |buf| socket.send(buf))
    }

    /// `sock_shutdown`.
    pub(crate) fn sock_shutdown(&mut self, fd: u32, how: u8) -> WasiResult<()> {
        let how = match how {
            sockflags::SHUT_RD => Shutdown::Read,
            sockflags::SHUT_WR => Shutdown::Write,
            h if h == sockflags::SHUT_RD | sockflags::SHUT_WR => Shutdown::Both,
            _ => return Err(Errno::Inval),
        };
        let (socket, base) = self.socket(fd)?;
        if !base.contains(Rights::SOCK_SHUTDOWN) {
            return Err(Errno::Notcapable);
        }
        socket.shutdown(how)
    }
}
