//! WASI preview1 error numbers, and how host errors map onto them.

use std::fmt;
use std::io;

/// The result of a WASI operation: a value, or the errno the guest sees.
pub(crate) type WasiResult<T> = Result<T, Errno>;

macro_rules! errnos {
    ($($(#[$doc:meta])* $name:ident = $value:literal, $text:literal;)*) => {
        /// A `wasi_snapshot_preview1` error number (`errno`), as the guest receives it.
        ///
        /// The numeric values are those of the witx specification, not of the host.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u16)]
        pub enum Errno {
            $($(#[$doc])* $name = $value,)*
        }

        impl Errno {
            /// Every errno, in numeric order.
            pub const ALL: &'static [Errno] = &[$(Errno::$name,)*];

            /// The errno's number, as returned to the guest.
            pub fn raw(self) -> u16 {
                self as u16
            }

            /// The errno with this number, if there is one.
            pub fn from_raw(raw: u16) -> Option<Errno> {
                Errno::ALL.get(usize::from(raw)).copied()
            }

            /// A short description, as `strerror` would give.
            pub fn description(self) -> &'static str {
                match self {
                    $(Errno::$name => $text,)*
                }
            }
        }
    };
}

errnos! {
    /// No error occurred.
    Success = 0, "success";
    /// Argument list too long.
    TooBig = 1, "argument list too long";
    /// Permission denied.
    Acces = 2, "permission denied";
    /// Address in use.
    Addrinuse = 3, "address in use";
    /// Address not available.
    Addrnotavail = 4, "address not available";
    /// Address family not supported.
    Afnosupport = 5, "address family not supported";
    /// Resource unavailable, or operation would block.
    Again = 6, "resource unavailable, try again";
    /// Connection already in progress.
    Already = 7, "connection already in progress";
    /// Bad file descriptor.
    Badf = 8, "bad file descriptor";
    /// Bad message.
    Badmsg = 9, "bad message";
    /// Device or resource busy.
    Busy = 10, "device or resource busy";
    /// Operation canceled.
    Canceled = 11, "operation canceled";
    /// No child processes.
    Child = 12, "no child processes";
    /// Connection aborted.
    Connaborted = 13, "connection aborted";
    /// Connection refused.
    Connrefused = 14, "connection refused";
    /// Connection reset.
    Connreset = 15, "connection reset";
    /// Resource deadlock would occur.
    Deadlk = 16, "resource deadlock would occur";
    /// Destination address required.
    Destaddrreq = 17, "destination address required";
    /// Mathematics argument out of domain of function.
    Dom = 18, "argument out of domain";
    /// Reserved.
    Dquot = 19, "disk quota exceeded";
    /// File exists.
    Exist = 20, "file exists";
    /// Bad address: a guest pointer outside linear memory.
    Fault = 21, "bad address";
    /// File too large.
    Fbig = 22, "file too large";
    /// Host is unreachable.
    Hostunreach = 23, "host is unreachable";
    /// Identifier removed.
    Idrm = 24, "identifier removed";
    /// Illegal byte sequence.
    Ilseq = 25, "illegal byte sequence";
    /// Operation in progress.
    Inprogress = 26, "operation in progress";
    /// Interrupted function.
    Intr = 27, "interrupted function";
    /// Invalid argument.
    Inval = 28, "invalid argument";
    /// I/O error.
    Io = 29, "I/O error";
    /// Socket is connected.
    Isconn = 30, "socket is connected";
    /// Is a directory.
    Isdir = 31, "is a directory";
    /// Too many levels of symbolic links.
    Loop = 32, "too many levels of symbolic links";
    /// File descriptor value too large.
    Mfile = 33, "file descriptor value too large";
    /// Too many links.
    Mlink = 34, "too many links";
    /// Message too large.
    Msgsize = 35, "message too large";
    /// Reserved.
    Multihop = 36, "multihop attempted";
    /// Filename too long.
    Nametoolong = 37, "filename too long";
    /// Network is down.
    Netdown = 38, "network is down";
    /// Connection aborted by network.
    Netreset = 39, "connection aborted by network";
    /// Network unreachable.
    Netunreach = 40, "network unreachable";
    /// Too many files open in system.
    Nfile = 41, "too many files open in system";
    /// No buffer space available.
    Nobufs = 42, "no buffer space available";
    /// No such device.
    Nodev = 43, "no such device";
    /// No such file or directory.
    Noent = 44, "no such file or directory";
    /// Executable file format error.
    Noexec = 45, "executable file format error";
    /// No locks available.
    Nolck = 46, "no locks available";
    /// Reserved.
    Nolink = 47, "link has been severed";
    /// Not enough space.
    Nomem = 48, "not enough space";
    /// No message of the desired type.
    Nomsg = 49, "no message of the desired type";
    /// Protocol not available.
    Noprotoopt = 50, "protocol not available";
    /// No space left on device.
    Nospc = 51, "no space left on device";
    /// Function not supported.
    Nosys = 52, "function not supported";
    /// The socket is not connected.
    Notconn = 53, "the socket is not connected";
    /// Not a directory or a symbolic link to a directory.
    Notdir = 54, "not a directory";
    /// Directory not empty.
    Notempty = 55, "directory not empty";
    /// State not recoverable.
    Notrecoverable = 56, "state not recoverable";
    /// Not a socket.
    Notsock = 57, "not a socket";
    /// Not supported, or operation not supported on socket.
    Notsup = 58, "not supported";
    /// Inappropriate I/O control operation.
    Notty = 59, "inappropriate I/O control operation";
    /// No such device or address.
    Nxio = 60, "no such device or address";
    /// Value too large to be stored in data type.
    Overflow = 61, "value too large for data type";
    /// Previous owner died.
    Ownerdead = 62, "previous owner died";
    /// Operation not permitted.
    Perm = 63, "operation not permitted";
    /// Broken pipe.
    Pipe = 64, "broken pipe";
    /// Protocol error.
    Proto = 65, "protocol error";
    /// Protocol not supported.
    Protonosupport = 66, "protocol not supported";
    /// Protocol wrong type for socket.
    Prototype = 67, "protocol wrong type for socket";
    /// Result too large.
    Range = 68, "result too large";
    /// Read-only file system.
    Rofs = 69, "read-only file system";
    /// Invalid seek.
    Spipe = 70, "invalid seek";
    /// No such process.
    Srch = 71, "no such process";
    /// Reserved.
    Stale = 72, "stale file handle";
    /// Connection timed out.
    Timedout = 73, "connection timed out";
    /// Text file busy.
    Txtbsy = 74, "text file busy";
    /// Cross-device link.
    Xdev = 75, "cross-device link";
    /// Capabilities insufficient: the descriptor lacks a right the operation needs.
    Notcapable = 76, "capabilities insufficient";
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (errno {})", self.description(), self.raw())
    }
}

impl std::error::Error for Errno {}

impl From<io::Error> for Errno {
    fn from(err: io::Error) -> Errno {
        Errno::from(&err)
    }
}

impl From<&io::Error> for Errno {
    /// Maps a host error: the OS error number when there is one, otherwise its kind.
    ///
    /// cap-std reports a path that would leave its directory (`..` past the root, an absolute
    /// path, a symlink pointing outside) as `PermissionDenied` without an OS error number; that
    /// becomes [`Errno::Perm`], as in wasmtime's preview1.
    fn from(err: &io::Error) -> Errno {
        #[cfg(unix)]
        if let Some(errno) = rustix::io::Errno::from_io_error(err) {
            return from_host_errno(errno);
        }
        from_kind(err.kind())
    }
}

#[cfg(unix)]
impl From<rustix::io::Errno> for Errno {
    fn from(errno: rustix::io::Errno) -> Errno {
        from_host_errno(errno)
    }
}

#[cfg(unix)]
fn from_host_errno(errno: rustix::io::Errno) -> Errno {
    use rustix::io::Errno as E;
    match errno {
        E::TOOBIG => Errno::TooBig,
        E::ACCESS => Errno::Acces,
        E::ADDRINUSE => Errno::Addrinuse,
        E::ADDRNOTAVAIL => Errno::Addrnotavail,
        E::AFNOSUPPORT => Errno::Afnosupport,
        E::AGAIN => Errno::Again,
        E::ALREADY => Errno::Already,
        E::BADF => Errno::Badf,
        E::BADMSG => Errno::Badmsg,
        E::BUSY => Errno::Busy,
        E::CANCELED => Errno::Canceled,
        E::CHILD => Errno::Child,
        E::CONNABORTED => Errno::Connaborted,
        E::CONNREFUSED => Errno::Connrefused,
        E::CONNRESET => Errno::Connreset,
        E::DEADLK => Errno::Deadlk,
        E::DESTADDRREQ => Errno::Destaddrreq,
        E::DOM => Errno::Dom,
        E::DQUOT => Errno::Dquot,
        E::EXIST => Errno::Exist,
        E::FAULT => Errno::Fault,
        E::FBIG => Errno::Fbig,
        E::HOSTUNREACH => Errno::Hostunreach,
        E::IDRM => Errno::Idrm,
        E::ILSEQ => Errno::Ilseq,
        E::INPROGRESS => Errno::Inprogress,
        E::INTR => Errno::Intr,
        E::INVAL => Errno::Inval,
        E::IO => Errno::Io,
        E::ISCONN => Errno::Isconn,
        E::ISDIR => Errno::Isdir,
        E::LOOP => Errno::Loop,
        E::MFILE => Errno::Mfile,
        E::MLINK => Errno::Mlink,
        E::MSGSIZE => Errno::Msgsize,
        E::MULTIHOP => Errno::Multihop,
        E::NAMETOOLONG => Errno::Nametoolong,
        E::NETDOWN => Errno::Netdown,
        E::NETRESET => Errno::Netreset,
        E::NETUNREACH => Errno::Netunreach,
        E::NFILE => Errno::Nfile,
        E::NOBUFS => Errno::Nobufs,
        E::NODEV => Errno::Nodev,
        E::NOENT => Errno::Noent,
        E::NOEXEC => Errno::Noexec,
        E::NOLCK => Errno::Nolck,
        E::NOLINK => Errno::Nolink,
        E::NOMEM => Errno::Nomem,
        E::NOMSG => Errno::Nomsg,
        E::NOPROTOOPT => Errno::Noprotoopt,
        E::NOSPC => Errno::Nospc,
        E::NOSYS => Errno::Nosys,
        E::NOTCONN => Errno::Notconn,
        E::NOTDIR => Errno::Notdir,
        E::NOTEMPTY => Errno::Notempty,
        E::NOTRECOVERABLE => Errno::Notrecoverable,
        E::NOTSOCK => Errno::Notsock,
        E::NOTSUP => Errno::Notsup,
        E::NOTTY => Errno::Notty,
        E::NXIO => Errno::Nxio,
        E::OVERFLOW => Errno::Overflow,
        E::OWNERDEAD => Errno::Ownerdead,
        E::PERM => Errno::Perm,
        E::PIPE => Errno::Pipe,
        E::PROTO => Errno::Proto,
        E::PROTONOSUPPORT => Errno::Protonosupport,
        E::PROTOTYPE => Errno::Prototype,
        E::RANGE => Errno::Range,
        E::ROFS => Errno::Rofs,
        E::SPIPE => Errno::Spipe,
        E::SRCH => Errno::Srch,
        E::STALE => Errno::Stale,
        E::TIMEDOUT => Errno::Timedout,
        E::TXTBSY => Errno::Txtbsy,
        E::XDEV => Errno::Xdev,
        _ => Errno::Io,
    }
}

fn from_kind(kind: io::ErrorKind) -> Errno {
    use io::ErrorKind as K;
    match kind {
        K::NotFound => Errno::Noent,
        K::PermissionDenied => Errno::Perm,
        K::ConnectionRefused => Errno::Connrefused,
        K::ConnectionReset => Errno::Connreset,
        K::ConnectionAborted => Errno::Connaborted,
        K::NotConnected => Errno::Notconn,
        K::AddrInUse => Errno::Addrinuse,
        K::AddrNotAvailable => Errno::Addrnotavail,
        K::BrokenPipe => Errno::Pipe,
        K::AlreadyExists => Errno::Exist,
        K::WouldBlock => Errno::Again,
        K::InvalidInput => Errno::Inval,
        K::InvalidData => Errno::Ilseq,
        K::TimedOut => Errno::Timedout,
        K::Interrupted => Errno::Intr,
        K::Unsupported => Errno::Notsup,
        K::OutOfMemory => Errno::Nomem,
        K::NotADirectory => Errno::Notdir,
        K::IsADirectory => Errno::Isdir,
        K::DirectoryNotEmpty => Errno::Notempty,
        K::ReadOnlyFilesystem => Errno::Rofs,
        K::StorageFull => Errno::Nospc,
        K::FileTooLarge => Errno::Fbig,
        K::ResourceBusy => Errno::Busy,
        K::Deadlock => Errno::Deadlk,
        K::CrossesDevices => Errno::Xdev,
        K::TooManyLinks => Errno::Mlink,
        K::InvalidFilename => Errno::Nametoolong,
        K::ArgumentListTooLong => Errno::TooBig,
        K::NotSeekable => Errno::Spipe,
        K::HostUnreachable => Errno::Hostunreach,
        K::NetworkUnreachable => Errno::Netunreach,
        K::NetworkDown => Errno::Netdown,
        K::StaleNetworkFileHandle => Errno::Stale,
        K::ExecutableFileBusy => Errno::Txtbsy,
        _ => Errno::Io,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_witx_order() {
        assert_eq!(Errno::ALL.len(), 77);
        for (i, errno) in Errno::ALL.iter().enumerate() {
            assert_eq!(usize::from(errno.raw()), i);
            assert_eq!(Errno::from_raw(errno.raw()), Some(*errno));
        }
        assert_eq!(Errno::Fault.raw(), 21);
        assert_eq!(Errno::Notcapable.raw(), 76);
        assert_eq!(Errno::from_raw(77), None);
    }

    #[test]
    fn io_errors_map_to_errnos() {
        assert_eq!(Errno::from(io::Error::from(io::ErrorKind::NotFound)), Errno::Noent);
        assert_eq!(
            Errno::from(io::Error::new(io::ErrorKind::PermissionDenied, "escape")),
            Errno::Perm
        );
        #[cfg(unix)]
        {
            assert_eq!(Errno::from(io::Error::from(rustix::io::Errno::ACCESS)), Errno::Acces);
            assert_eq!(Errno::from(io::Error::from(rustix::io::Errno::NOTEMPTY)), Errno::Notempty);
            assert_eq!(Errno::from(io::Error::from(rustix::io::Errno::LOOP)), Errno::Loop);
        }
    }
}
