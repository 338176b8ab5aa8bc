/// galsync's exit codes (sysexits(3)), as the operator contract fixes them.
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    /// Some mailboxes failed, or some operations are still unconfirmed (`pending`); the others were done.
    case partial = 1
    /// A command line galsync cannot use (EX_USAGE).
    case usage = 64
    /// A file or folder galsync must write cannot be created or written: the state folder, a
    /// read-only state database (EX_CANTCREAT).
    case cantCreate = 73
    /// Graph or the identity platform unreachable or failing transiently, TLS failures included (EX_TEMPFAIL).
    case transient = 75
    /// Authentication or permission refused (EX_NOPERM).
    case permission = 77
    /// Bad configuration (EX_CONFIG): systemd's RestartPreventExitStatus=78 stops a restart loop.
    case config = 78
    /// Stopped by SIGINT (128 + 2), after recording what it had done.
    case interrupted = 130
    /// Stopped by SIGTERM (128 + 15), after recording what it had done.
    case terminated = 143
}
