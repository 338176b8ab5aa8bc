import CSystemd
import Foundation
import GalsyncText

/// Talks to systemd about the service's state with `sd_notify` (libsystemd): READY, STATUS,
/// WATCHDOG, RELOADING, STOPPING. Without `NOTIFY_SOCKET` (not under systemd) it does nothing.
public struct ServiceNotifier: Sendable {
    public init() {}

    public var isActive: Bool { ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil }

    /// The watchdog interval systemd expects pings within (`WATCHDOG_USEC`), if enabled for us.
    public var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    public func ready(status: String) { send("READY=1\n" + Self.statusAssignment(status)) }
    public func status(_ text: String) { send(Self.statusAssignment(text)) }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping() { send("STOPPING=1\nSTATUS=stopping") }

    /// RELOADING=1 with the monotonic time, as systemd's Type=notify-reload protocol wants.
    public func reloading() {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let usec = UInt64(ts.tv_sec) * 1_000_000 + UInt64(ts.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(usec)")
    }

    /// `STATUS=` with `text` as one line without control characters: sd_notify's message is
    /// newline-separated assignments, so a line break in a server's error text (which STATUS
    /// often quotes) would otherwise add an assignment of its own, e.g. `WATCHDOG_USEC=1`.
    static func statusAssignment(_ text: String) -> String { "STATUS=" + SafeText.line(text) }

    func send(_ state: String) {
        guard isActive else { return }
        _ = sd_notify(0, state)
    }
}
