import Foundation

/// The process holding a state lock, as the kernel reports it (`/proc/locks`), with its
/// command (`galsync run`, `galsync sync`). Reading it takes no lock, so `status` can ask
/// without ever getting in the way of the service.
public struct StateLockHolder: Sendable, Equatable {
    public var pid: Int32
    /// `galsync run`, `galsync sync`...: the program's name and its subcommand.
    public var command: String

    public init(pid: Int32, command: String) {
        self.pid = pid
        self.command = command
    }

    /// The service (`galsync run`), rather than a one-shot command.
    public var isService: Bool { command.split(separator: " ").dropFirst().first == "run" }

    /// Who holds the lock file at `lockPath`; nil when nobody does (or it does not exist).
    public static func find(lockPath: String, locks: String? = nil) -> StateLockHolder? {
        var st = stat()
        guard stat(lockPath, &st) == 0 else { return nil }
        let text = locks ?? ((try? String(contentsOfFile: "/proc/locks", encoding: .utf8)) ?? "")
        // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF": pid, then major:minor:inode (hex, hex, decimal).
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: true)
            guard f.count >= 6, f[1] == "FLOCK", let pid = Int32(f[4]) else { continue }
            let dev = f[5].split(separator: ":")
            guard dev.count == 3, UInt64(dev[2]) == UInt64(st.st_ino),
                  let major = UInt64(dev[0], radix: 16), let minor = UInt64(dev[1], radix: 16),
                  major == Self.major(UInt64(st.st_dev)), minor == Self.minor(UInt64(st.st_dev)) else { continue }
            return StateLockHolder(pid: pid, command: command(of: pid))
        }
        return nil
    }

    /// `galsync sync` for pid's command line, or `pid N` when it cannot be read.
    static func command(of pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return "process \(pid)" }
        return describe(data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
    }

    /// `galsync sync` from an argument vector: the program's base name and the subcommand.
    static func describe(_ argv: [String]) -> String {
        let program = argv.first.map { ($0 as NSString).lastPathComponent } ?? "galsync"
        guard let sub = argv.dropFirst().first, !sub.hasPrefix("-") else { return program }
        return "\(program) \(sub)"
    }

    // glibc's gnu_dev_major / gnu_dev_minor.
    static func major(_ dev: UInt64) -> UInt64 { ((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff) }
    static func minor(_ dev: UInt64) -> UInt64 { (dev & 0xff) | ((dev >> 12) & ~0xff) }
}
