import Foundation

/// A throwaway PostgreSQL for tests: `initdb` in a temporary folder, the server on its own
/// loopback port (trust authentication, no fsync), removed by `stop()`. As root (CI), the
/// server runs as the `postgres` user (setpriv, which execs it: signals reach the server), since PostgreSQL refuses to run as root.
///
/// `available` says whether Debian's `postgresql` package is installed; a test that needs the
/// server and finds none says so loudly (`scripts/setup` installs it).
public final class TestPostgres: @unchecked Sendable {
    public let dir: String
    public let port: Int
    public let user = "galsync"
    public let database = "galsync"
    private var server: SpawnedProcess?

    /// The folder holding `initdb` and `postgres`: Debian's `/usr/lib/postgresql/N/bin`, newest first.
    public static let binaries: String? = {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted(by: >)
        return versions.map { "\(base)/\($0)/bin" }.first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }()

    public static var available: Bool { binaries != nil }

    public static let missingMessage = "PostgreSQL IS NOT INSTALLED: the PostgreSQL tests are SKIPPED. Install Debian's postgresql package (scripts/setup does) to run them."

    /// Whether a test without PostgreSQL must fail rather than skip: under CI (`CI=true`),
    /// where scripts/setup installs it, a missing server is a broken setup, not a skip.
    public static var mustRun: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    /// A started server; without PostgreSQL, nil after a loud message (a test then skips its
    /// body), or under CI the missing server as the test's failure.
    public static func startOrSkip() async throws -> TestPostgres? {
        guard available else {
            print("⚠️ " + missingMessage)
            if mustRun { throw Failure(missingMessage) }
            return nil
        }
        return try await TestPostgres()
    }

    /// Makes the cluster and starts the server; waits until it accepts connections.
    public init() async throws {
        guard let bin = Self.binaries else { throw Failure(Self.missingMessage) }
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-pg-\(UUID().uuidString.prefix(8))").path
        port = Self.freePort()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let asRoot = getuid() == 0
        if asRoot {
            // The folder and the temporary folder above it must be the server's to use.
            _ = try await Self.run("/bin/chown", ["postgres:postgres", dir])
        }
        func command(_ tool: String, _ args: [String]) -> (String, [String]) {
            asRoot ? ("/usr/bin/setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", "\(bin)/\(tool)"] + args) : ("\(bin)/\(tool)", args)
        }
        let (initdb, initArgs) = command("initdb", ["-D", "\(dir)/data", "-A", "trust", "-U", user, "--no-sync", "-E", "UTF8", "--locale=C"])
        let status = try await Self.run(initdb, initArgs)
        guard status == 0 else { throw Failure("initdb failed with status \(status)") }
        let (postgres, args) = command("postgres", ["-D", "\(dir)/data", "-p", "\(port)", "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                                                    "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=60"])
        let process = SpawnedProcess(postgres, args)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.start()
        server = process
        let deadline = Date() + 30
        while !Self.accepts(port) {
            guard Date() < deadline, process.isRunning else { stop(); throw Failure("PostgreSQL did not start on port \(port)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        // The database galsync uses (initdb made only `postgres`).
        let (createdb, cargs) = command("createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, database])
        _ = try await Self.run(createdb, cargs)
    }

    /// `postgresql://galsync@127.0.0.1:PORT/galsync`.
    public var url: String { "postgresql://\(user)@127.0.0.1:\(port)/\(database)" }

    /// Stops the server (fast shutdown) and removes the cluster.
    public func stop() {
        if let server, server.isRunning {
            server.kill(SIGINT)
            let deadline = Date() + 10
            while server.isRunning, Date() < deadline { usleep(50_000) }
            if server.isRunning { server.kill(SIGKILL) }
        }
        server = nil
        try? FileManager.default.removeItem(atPath: dir)
    }

    deinit { stop() }

    static func run(_ executable: String, _ args: [String]) async throws -> Int32 {
        let p = SpawnedProcess(executable, args)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.start()
        return await p.wait()
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } } == 0
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }
}
