import Logging

extension Logger {
    /// A logger that drops everything: the default for library code that was given none, so
    /// that an un-bootstrapped process (a test, `galsync sync --json`) prints nothing stray.
    public static let silent = Logger(label: "galsync", factory: { _ in SwiftLogNoOpLogHandler() })
}
