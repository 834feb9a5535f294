//! The platform-free names of what the operating system reports: the causes of a failed
//! call ([`Kind`]) and what a signal asks of a run ([`Meaning`]).
//!
//! They live in a file of their own, below `err`, `signal` and the platform modules in
//! `sys/`, because each platform maps its own numbers to them: `sys::unix` names them,
//! and `err` and `signal` use `sys`, so defining them in `err` or `signal` would make a
//! circle. Their behaviour (`Kind::code`, `Signal::watch`) stays in `err` and `signal`.

/// The causes of a failed system call that netlab's commands tell apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A RST, or an ICMP port unreachable: nothing listens.
    ConnectionRefused,
    /// No answer before the kernel gave up.
    TimedOut,
    HostUnreachable,
    NetworkUnreachable,
    HostDown,
    /// The machine is not on the network (Linux's `ENONET`).
    NotOnNetwork,
    /// An ICMP "protocol unreachable" as the kernel reports it.
    ProtocolOption,
    /// An ICMP message the kernel folds into a generic protocol error.
    ProtocolError,
    NotSupported,
    AccessDenied,
    NotPermitted,
    /// This process is out of file descriptors.
    ProcessFileLimit,
    /// The whole system is out of file descriptors.
    SystemFileLimit,
    NoBufferSpace,
    OutOfMemory,
    AddressNotAvailable,
    WouldBlock,
    /// No IPv6 (or IPv4) stack for this address family.
    FamilyNotSupported,
    InvalidArgument,
    /// A datagram larger than the path (or the interface) allows.
    MessageTooLong,
}

impl Kind {
    /// Every kind, for tests and tables.
    pub const ALL: [Kind; 20] = [
        Kind::ConnectionRefused,
        Kind::TimedOut,
        Kind::HostUnreachable,
        Kind::NetworkUnreachable,
        Kind::HostDown,
        Kind::NotOnNetwork,
        Kind::ProtocolOption,
        Kind::ProtocolError,
        Kind::NotSupported,
        Kind::AccessDenied,
        Kind::NotPermitted,
        Kind::ProcessFileLimit,
        Kind::SystemFileLimit,
        Kind::NoBufferSpace,
        Kind::OutOfMemory,
        Kind::AddressNotAvailable,
        Kind::WouldBlock,
        Kind::FamilyNotSupported,
        Kind::InvalidArgument,
        Kind::MessageTooLong,
    ];
}

/// What a signal asks of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// Ctrl-C (SIGINT): stop, show what you have.
    Interrupt,
    /// SIGTERM: stop as cleanly.
    Terminate,
    /// SIGQUIT (Ctrl-\): print the statistics so far, go on (ping's way).
    Report,
    /// SIGHUP: re-read the configuration (a daemon's way; the exporter's reload).
    Reload,
}
