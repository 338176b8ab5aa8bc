/// galsync's exit codes (sysexits(3)), as the operator contract fixes them.
public enum ExitStatus: Int32, Sendable {
    case ok = 0
    /// Some mailboxes failed; the others were done.
    case partial = 1
    /// Graph or the identity platform unreachable or failing transiently (EX_TEMPFAIL).
    case transient = 75
    /// Authentication or permission refused (EX_NOPERM).
    case permission = 77
    /// Bad configuration (EX_CONFIG): systemd's RestartPreventExitStatus=78 stops a restart loop.
    case config = 78
}
