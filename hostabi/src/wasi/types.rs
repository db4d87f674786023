//! The preview1 ABI as numbers: errno values, rights, flags, enum tags and
//! the byte layout of every structure the guest and host exchange.
//!
//! Everything here is fixed by `wasi_snapshot_preview1` (witx), and mirrors
//! wasi-libc's `wasi/api.h`. Layouts are little-endian and given as byte
//! offsets so that reading and writing guest memory needs no `repr(C)`
//! transmutes.

/// A WASI error number (`errno`, a `u16` on the wire).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
#[repr(u16)]
pub enum Errno {
    Success = 0,
    TooBig = 1,
    Acces = 2,
    AddrInUse = 3,
    AddrNotAvail = 4,
    AfNoSupport = 5,
    Again = 6,
    Already = 7,
    Badf = 8,
    BadMsg = 9,
    Busy = 10,
    Canceled = 11,
    Child = 12,
    ConnAborted = 13,
    ConnRefused = 14,
    ConnReset = 15,
    Deadlk = 16,
    DestAddrReq = 17,
    Dom = 18,
    Dquot = 19,
    Exist = 20,
    Fault = 21,
    Fbig = 22,
    HostUnreach = 23,
    Idrm = 24,
    Ilseq = 25,
    InProgress = 26,
    Intr = 27,
    Inval = 28,
    Io = 29,
    IsConn = 30,
    IsDir = 31,
    Loop = 32,
    Mfile = 33,
    Mlink = 34,
    MsgSize = 35,
    Multihop = 36,
    NameTooLong = 37,
    NetDown = 38,
    NetReset = 39,
    NetUnreach = 40,
    Nfile = 41,
    NoBufs = 42,
    NoDev = 43,
    NoEnt = 44,
    NoExec = 45,
    NoLck = 46,
    NoLink = 47,
    NoMem = 48,
    NoMsg = 49,
    NoProtoOpt = 50,
    NoSpc = 51,
    NoSys = 52,
    NotConn = 53,
    NotDir = 54,
    NotEmpty = 55,
    NotRecoverable = 56,
    NotSock = 57,
    NotSup = 58,
    NoTty = 59,
    Nxio = 60,
    Overflow = 61,
    OwnerDead = 62,
    Perm = 63,
    Pipe = 64,
    Proto = 65,
    ProtoNoSupport = 66,
    ProtoType = 67,
    Range = 68,
    Rofs = 69,
    Spipe = 70,
    Srch = 71,
    Stale = 72,
    TimedOut = 73,
    TxtBsy = 74,
    Xdev = 75,
    NotCapable = 76,
}

impl Errno {
    /// The wire value.
    pub fn code(self) -> u16 {
        self as u16
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} (wasi errno {})", self, self.code())
    }
}

impl std::error::Error for Errno {}

/// Rights (`rights`, a `u64` bit set).
pub mod rights {
    pub const FD_DATASYNC: u64 = 1 << 0;
    pub const FD_READ: u64 = 1 << 1;
    pub const FD_SEEK: u64 = 1 << 2;
    pub const FD_FDSTAT_SET_FLAGS: u64 = 1 << 3;
    pub const FD_SYNC: u64 = 1 << 4;
    pub const FD_TELL: u64 = 1 << 5;
    pub const FD_WRITE: u64 = 1 << 6;
    pub const FD_ADVISE: u64 = 1 << 7;
    pub const FD_ALLOCATE: u64 = 1 << 8;
    pub const PATH_CREATE_DIRECTORY: u64 = 1 << 9;
    pub const PATH_CREATE_FILE: u64 = 1 << 10;
    pub const PATH_LINK_SOURCE: u64 = 1 << 11;
    pub const PATH_LINK_TARGET: u64 = 1 << 12;
    pub const PATH_OPEN: u64 = 1 << 13;
    pub const FD_READDIR: u64 = 1 << 14;
    pub const PATH_READLINK: u64 = 1 << 15;
    pub const PATH_RENAME_SOURCE: u64 = 1 << 16;
    pub const PATH_RENAME_TARGET: u64 = 1 << 17;
    pub const PATH_FILESTAT_GET: u64 = 1 << 18;
    pub const PATH_FILESTAT_SET_SIZE: u64 = 1 << 19;
    pub const PATH_FILESTAT_SET_TIMES: u64 = 1 << 20;
    pub const FD_FILESTAT_GET: u64 = 1 << 21;
    pub const FD_FILESTAT_SET_SIZE: u64 = 1 << 22;
    pub const FD_FILESTAT_SET_TIMES: u64 = 1 << 23;
    pub const PATH_SYMLINK: u64 = 1 << 24;
    pub const PATH_REMOVE_DIRECTORY: u64 = 1 << 25;
    pub const PATH_UNLINK_FILE: u64 = 1 << 26;
    pub const POLL_FD_READWRITE: u64 = 1 << 27;
    pub const SOCK_SHUTDOWN: u64 = 1 << 28;
    pub const SOCK_ACCEPT: u64 = 1 << 29;

    /// Every defined right.
    pub const ALL: u64 = (1 << 30) - 1;

    /// Rights that make sense on a regular file (or a stream such as stdio).
    pub const FILE: u64 = FD_DATASYNC
        | FD_READ
        | FD_SEEK
        | FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_TELL
        | FD_WRITE
        | FD_ADVISE
        | FD_ALLOCATE
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_SIZE
        | FD_FILESTAT_SET_TIMES
        | POLL_FD_READWRITE;

    /// Rights that make sense on a directory.
    pub const DIRECTORY: u64 = FD_FDSTAT_SET_FLAGS
        | FD_SYNC
        | FD_ADVISE
        | PATH_CREATE_DIRECTORY
        | PATH_CREATE_FILE
        | PATH_LINK_SOURCE
        | PATH_LINK_TARGET
        | PATH_OPEN
        | FD_READDIR
        | PATH_READLINK
        | PATH_RENAME_SOURCE
        | PATH_RENAME_TARGET
        | PATH_FILESTAT_GET
        | PATH_FILESTAT_SET_SIZE
        | PATH_FILESTAT_SET_TIMES
        | FD_FILESTAT_GET
        | FD_FILESTAT_SET_TIMES
        | PATH_SYMLINK
        | PATH_REMOVE_DIRECTORY
        | PATH_UNLINK_FILE;

    /// Rights a socket may carry.
    pub const SOCKET: u64 =
        FD_READ | FD_WRITE | FD_FDSTAT_SET_FLAGS | FD_FILESTAT_GET | POLL_FD_READWRITE | SOCK_SHUTDOWN | SOCK_ACCEPT;
}

/// `filetype` (u8).
pub mod filetype {
    pub const UNKNOWN: u8 = 0;
    pub const BLOCK_DEVICE: u8 = 1;
    pub const CHARACTER_DEVICE: u8 = 2;
    pub const DIRECTORY: u8 = 3;
    pub const REGULAR_FILE: u8 = 4;
    pub const SOCKET_DGRAM: u8 = 5;
    pub const SOCKET_STREAM: u8 = 6;
    pub const SYMBOLIC_LINK: u8 = 7;
}

/// `fdflags` (u16).
pub mod fdflags {
    pub const APPEND: u16 = 1 << 0;
    pub const DSYNC: u16 = 1 << 1;
    pub const NONBLOCK: u16 = 1 << 2;
    pub const RSYNC: u16 = 1 << 3;
    pub const SYNC: u16 = 1 << 4;
    pub const ALL: u16 = APPEND | DSYNC | NONBLOCK | RSYNC | SYNC;
}

/// `oflags` (u16), for `path_open`.
pub mod oflags {
    pub const CREAT: u16 = 1 << 0;
    pub const DIRECTORY: u16 = 1 << 1;
    pub const EXCL: u16 = 1 << 2;
    pub const TRUNC: u16 = 1 << 3;
    pub const ALL: u16 = CREAT | DIRECTORY | EXCL | TRUNC;
}

/// `lookupflags` (u32).
pub mod lookupflags {
    pub const SYMLINK_FOLLOW: u32 = 1 << 0;
}

/// `fstflags` (u16), for the `*_set_times` calls.
pub mod fstflags {
    pub const ATIM: u16 = 1 << 0;
    pub const ATIM_NOW: u16 = 1 << 1;
    pub const MTIM: u16 = 1 << 2;
    pub const MTIM_NOW: u16 = 1 << 3;
    pub const ALL: u16 = ATIM | ATIM_NOW | MTIM | MTIM_NOW;
}

/// `clockid` (u32).
pub mod clockid {
    pub const REALTIME: u32 = 0;
    pub const MONOTONIC: u32 = 1;
    pub const PROCESS_CPUTIME_ID: u32 = 2;
    pub const THREAD_CPUTIME_ID: u32 = 3;
}

/// `whence` (u8).
pub mod whence {
    pub const SET: u32 = 0;
    pub const CUR: u32 = 1;
    pub const END: u32 = 2;
}

/// `advice` (u8).
pub mod advice {
    pub const NORMAL: u32 = 0;
    pub const SEQUENTIAL: u32 = 1;
    pub const RANDOM: u32 = 2;
    pub const WILLNEED: u32 = 3;
    pub const DONTNEED: u32 = 4;
    pub const NOREUSE: u32 = 5;
}

/// `eventtype` (u8), the tag of a subscription and of an event.
pub mod eventtype {
    pub const CLOCK: u8 = 0;
    pub const FD_READ: u8 = 1;
    pub const FD_WRITE: u8 = 2;
}

/// `subclockflags` (u16).
pub mod subclockflags {
    pub const ABSTIME: u16 = 1 << 0;
}

/// `eventrwflags` (u16).
pub mod eventrwflags {
    pub const HANGUP: u16 = 1 << 0;
}

/// `riflags`, `roflags`, `sdflags` for the socket calls.
pub mod sockflags {
    pub const RECV_PEEK: u32 = 1 << 0;
    pub const RECV_WAITALL: u32 = 1 << 1;
    pub const RECV_DATA_TRUNCATED: u16 = 1 << 0;
    pub const SHUT_RD: u32 = 1 << 0;
    pub const SHUT_WR: u32 = 1 << 1;
}

/// `preopentype` (u8).
pub const PREOPENTYPE_DIR: u8 = 0;

/// Byte layouts (size and field offsets) of the structures in guest memory.
pub mod layout {
    /// `iovec` / `ciovec`: `{ buf: u32, buf_len: u32 }`.
    pub const IOVEC_SIZE: u32 = 8;

    /// `fdstat`.
    pub const FDSTAT_SIZE: u32 = 24;
    pub const FDSTAT_FILETYPE: u32 = 0;
    pub const FDSTAT_FLAGS: u32 = 2;
    pub const FDSTAT_RIGHTS_BASE: u32 = 8;
    pub const FDSTAT_RIGHTS_INHERITING: u32 = 16;

    /// `filestat`.
    pub const FILESTAT_SIZE: u32 = 64;
    pub const FILESTAT_DEV: u32 = 0;
    pub const FILESTAT_INO: u32 = 8;
    pub const FILESTAT_FILETYPE: u32 = 16;
    pub const FILESTAT_NLINK: u32 = 24;
    pub const FILESTAT_FILESIZE: u32 = 32;
    pub const FILESTAT_ATIM: u32 = 40;
    pub const FILESTAT_MTIM: u32 = 48;
    pub const FILESTAT_CTIM: u32 = 56;

    /// `dirent` (followed by `d_namlen` bytes of name, no NUL).
    pub const DIRENT_SIZE: u32 = 24;
    pub const DIRENT_NEXT: usize = 0;
    pub const DIRENT_INO: usize = 8;
    pub const DIRENT_NAMLEN: usize = 16;
    pub const DIRENT_TYPE: usize = 20;

    /// `prestat`: `{ tag: u8, pr_name_len: u32 at 4 }`.
    pub const PRESTAT_SIZE: u32 = 8;
    pub const PRESTAT_TAG: u32 = 0;
    pub const PRESTAT_NAME_LEN: u32 = 4;

    /// `subscription`: `{ userdata: u64, u: { tag: u8 at 8, payload at 16 } }`.
    pub const SUBSCRIPTION_SIZE: u32 = 48;
    pub const SUBSCRIPTION_USERDATA: u32 = 0;
    pub const SUBSCRIPTION_TAG: u32 = 8;
    /// `subscription_clock` at 16: `{ id: u32, timeout: u64 at 8, precision: u64 at 16, flags: u16 at 24 }`.
    pub const SUBSCRIPTION_CLOCK_ID: u32 = 16;
    pub const SUBSCRIPTION_CLOCK_TIMEOUT: u32 = 24;
    pub const SUBSCRIPTION_CLOCK_PRECISION: u32 = 32;
    pub const SUBSCRIPTION_CLOCK_FLAGS: u32 = 40;
    /// `subscription_fd_readwrite` at 16: `{ file_descriptor: u32 }`.
    pub const SUBSCRIPTION_FD: u32 = 16;

    /// `event`: `{ userdata: u64, error: u16 at 8, type: u8 at 10,
    /// fd_readwrite: { nbytes: u64 at 16, flags: u16 at 24 } }`.
    pub const EVENT_SIZE: u32 = 32;
    pub const EVENT_USERDATA: u32 = 0;
    pub const EVENT_ERROR: u32 = 8;
    pub const EVENT_TYPE: u32 = 10;
    pub const EVENT_NBYTES: u32 = 16;
    pub const EVENT_FLAGS: u32 = 24;
}
