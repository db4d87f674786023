//! Mapping from host (Linux) error numbers to WASI errno values.
//!
//! Every host failure reaches the guest through here, so a guest sees the
//! same error a native program would (ENOENT stays NOENT, EEXIST stays
//! EXIST, ...). Host errors with no WASI counterpart become `Io`.

use super::types::Errno;
use rustix::io::Errno as Host;

/// Host errno -> WASI errno, one row per host code that WASI can express.
const TABLE: &[(Host, Errno)] = &[
    (Host::TOOBIG, Errno::TooBig),
    (Host::ACCESS, Errno::Acces),
    (Host::ADDRINUSE, Errno::AddrInUse),
    (Host::ADDRNOTAVAIL, Errno::AddrNotAvail),
    (Host::AFNOSUPPORT, Errno::AfNoSupport),
    (Host::AGAIN, Errno::Again),
    (Host::ALREADY, Errno::Already),
    (Host::BADF, Errno::Badf),
    (Host::BADMSG, Errno::BadMsg),
    (Host::BUSY, Errno::Busy),
    (Host::CANCELED, Errno::Canceled),
    (Host::CHILD, Errno::Child),
    (Host::CONNABORTED, Errno::ConnAborted),
    (Host::CONNREFUSED, Errno::ConnRefused),
    (Host::CONNRESET, Errno::ConnReset),
    (Host::DEADLK, Errno::Deadlk),
    (Host::DESTADDRREQ, Errno::DestAddrReq),
    (Host::DOM, Errno::Dom),
    (Host::DQUOT, Errno::Dquot),
    (Host::EXIST, Errno::Exist),
    (Host::FAULT, Errno::Fault),
    (Host::FBIG, Errno::Fbig),
    (Host::HOSTUNREACH, Errno::HostUnreach),
    (Host::HOSTDOWN, Errno::HostUnreach),
    (Host::IDRM, Errno::Idrm),
    (Host::ILSEQ, Errno::Ilseq),
    (Host::INPROGRESS, Errno::InProgress),
    (Host::INTR, Errno::Intr),
    (Host::INVAL, Errno::Inval),
    (Host::IO, Errno::Io),
    (Host::ISCONN, Errno::IsConn),
    (Host::ISDIR, Errno::IsDir),
    (Host::LOOP, Errno::Loop),
    (Host::MFILE, Errno::Mfile),
    (Host::MLINK, Errno::Mlink),
    (Host::MSGSIZE, Errno::MsgSize),
    (Host::MULTIHOP, Errno::Multihop),
    (Host::NAMETOOLONG, Errno::NameTooLong),
    (Host::NETDOWN, Errno::NetDown),
    (Host::NETRESET, Errno::NetReset),
    (Host::NETUNREACH, Errno::NetUnreach),
    (Host::NFILE, Errno::Nfile),
    (Host::NOBUFS, Errno::NoBufs),
    (Host::NODEV, Errno::NoDev),
    (Host::NOENT, Errno::NoEnt),
    (Host::NOEXEC, Errno::NoExec),
    (Host::NOLCK, Errno::NoLck),
    (Host::NOLINK, Errno::NoLink),
    (Host::NOMEM, Errno::NoMem),
    (Host::NOMSG, Errno::NoMsg),
    (Host::NOPROTOOPT, Errno::NoProtoOpt),
    (Host::NOSPC, Errno::NoSpc),
    (Host::NOSYS, Errno::NoSys),
    (Host::NOTCONN, Errno::NotConn),
    (Host::NOTDIR, Errno::NotDir),
    (Host::NOTEMPTY, Errno::NotEmpty),
    (Host::NOTRECOVERABLE, Errno::NotRecoverable),
    (Host::NOTSOCK, Errno::NotSock),
    // Linux has one value for ENOTSUP and EOPNOTSUPP.
    (Host::NOTSUP, Errno::NotSup),
    (Host::NOTTY, Errno::NoTty),
    (Host::NXIO, Errno::Nxio),
    (Host::OVERFLOW, Errno::Overflow),
    (Host::OWNERDEAD, Errno::OwnerDead),
    (Host::PERM, Errno::Perm),
    (Host::PIPE, Errno::Pipe),
    (Host::PROTO, Errno::Proto),
    (Host::PROTONOSUPPORT, Errno::ProtoNoSupport),
    (Host::PROTOTYPE, Errno::ProtoType),
    (Host::RANGE, Errno::Range),
    (Host::ROFS, Errno::Rofs),
    (Host::SPIPE, Errno::Spipe),
    (Host::SRCH, Errno::Srch),
    (Host::STALE, Errno::Stale),
    (Host::TIMEDOUT, Errno::TimedOut),
    (Host::TXTBSY, Errno::TxtBsy),
    (Host::XDEV, Errno::Xdev),
];

impl From<Host> for Errno {
    fn from(e: Host) -> Errno {
        TABLE.iter().find(|(h, _)| *h == e).map(|&(_, w)| w).unwrap_or(Errno::Io)
    }
}

impl From<std::io::Error> for Errno {
    fn from(e: std::io::Error) -> Errno {
        match e.raw_os_error() {
            Some(code) => Errno::from(Host::from_raw_os_error(code)),
            None => match e.kind() {
                std::io::ErrorKind::NotFound => Errno::NoEnt,
                std::io::ErrorKind::PermissionDenied => Errno::Acces,
                std::io::ErrorKind::AlreadyExists => Errno::Exist,
                std::io::ErrorKind::InvalidInput => Errno::Inval,
                std::io::ErrorKind::OutOfMemory => Errno::NoMem,
                std::io::ErrorKind::Unsupported => Errno::NotSup,
                _ => Errno::Io,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_host_errors_map_to_their_wasi_names() {
        assert_eq!(Errno::from(Host::NOENT), Errno::NoEnt);
        assert_eq!(Errno::from(Host::EXIST), Errno::Exist);
        assert_eq!(Errno::from(Host::NOTDIR), Errno::NotDir);
        assert_eq!(Errno::from(Host::ISDIR), Errno::IsDir);
        assert_eq!(Errno::from(Host::NOTEMPTY), Errno::NotEmpty);
        assert_eq!(Errno::from(Host::ACCESS), Errno::Acces);
        assert_eq!(Errno::from(Host::LOOP), Errno::Loop);
        assert_eq!(Errno::from(Host::SPIPE), Errno::Spipe);
        assert_eq!(Errno::from(Host::WOULDBLOCK), Errno::Again);
        assert_eq!(Errno::from(Host::OPNOTSUPP), Errno::NotSup);
    }

    #[test]
    fn host_errors_without_a_wasi_value_become_io() {
        assert_eq!(Errno::from(Host::NOMEDIUM), Errno::Io);
        assert_eq!(Errno::from(Host::from_raw_os_error(4000)), Errno::Io);
    }

    #[test]
    fn std_io_errors_use_the_os_code_when_there_is_one() {
        let e = std::io::Error::from_raw_os_error(Host::NOTEMPTY.raw_os_error());
        assert_eq!(Errno::from(e), Errno::NotEmpty);
        let e = std::io::Error::new(std::io::ErrorKind::NotFound, "x");
        assert_eq!(Errno::from(e), Errno::NoEnt);
    }

    #[test]
    fn wire_values_match_the_witx_numbering() {
        assert_eq!(Errno::Success.code(), 0);
        assert_eq!(Errno::Badf.code(), 8);
        assert_eq!(Errno::Fault.code(), 21);
        assert_eq!(Errno::Inval.code(), 28);
        assert_eq!(Errno::NoEnt.code(), 44);
        assert_eq!(Errno::NotSup.code(), 58);
        assert_eq!(Errno::Perm.code(), 63);
        assert_eq!(Errno::NotCapable.code(), 76);
    }
}
