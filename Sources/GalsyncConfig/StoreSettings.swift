import Foundation

/// `[store]`: where every tenant's state lives. SQLite (each tenant's `sync.state`) unless a
/// PostgreSQL URL is given; then any number of `galsync run` nodes share the tenants, each
/// worked by one node at a time under a lease.
public struct StoreSettings: Sendable, Equatable {
    /// `postgresql://user@host:port/database`; nil = SQLite. Never holds a password.
    public var url: PostgresURL?
    /// How long a node holds a tenant without renewing it; a node that dies loses its
    /// tenants to the others within this.
    public var lease: TimeInterval = 60
    /// File holding the database password; the systemd credential `galsync.dbpassword` wins.
    public var passwordFile: String?

    public init() {}

    /// The PostgreSQL password: `$CREDENTIALS_DIRECTORY/galsync.dbpassword`, else `password_file`,
    /// else none (trust or peer authentication). Trailing newlines are not part of it.
    public func password(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let dir = environment["CREDENTIALS_DIRECTORY"], let data = FileManager.default.contents(atPath: dir + "/galsync.dbpassword") {
            return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
        guard let passwordFile else { return nil }
        guard let data = FileManager.default.contents(atPath: passwordFile) else {
            throw ConfigurationError(file: passwordFile, problems: [.init(key: "store.password_file", message: "cannot read the database password: \(String(cString: strerror(errno))); make it a file readable by root only (0600)")])
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }
}

/// A `postgresql://` URL taken apart (libpq's URI form, without a password).
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    /// `?sslmode=`: disable | prefer (the default: TLS when the server offers it) | require;
    /// with TLS the server's certificate is always verified (system roots, or `sslrootcert`).
    public var sslMode: SSLMode = .prefer
    /// `?sslrootcert=FILE`: the CA bundle that signed the server's certificate.
    public var sslRootCert: String?

    public enum SSLMode: String, Sendable, CaseIterable { case disable, prefer, require }

    public init(user: String, host: String, port: Int, database: String, sslMode: SSLMode = .prefer, sslRootCert: String? = nil) {
        self.user = user
        self.host = host
        self.port = port
        self.database = database
        self.sslMode = sslMode
        self.sslRootCert = sslRootCert
    }

    /// Why a URL is not usable.
    public struct Problem: Error, Sendable { public var message: String }

    /// The URL, or why `text` is not a usable one.
    public static func parse(_ text: String) -> Result<PostgresURL, Problem> {
        guard let c = URLComponents(string: text), let scheme = c.scheme, ["postgresql", "postgres"].contains(scheme) else {
            return .failure(Problem(message: "is not a postgresql:// URL; write postgresql://USER@HOST:PORT/DATABASE"))
        }
        if c.password != nil {
            return .failure(Problem(message: "holds a password; put it in store.password_file (mode 0600) or the systemd credential galsync.dbpassword, never in the configuration"))
        }
        guard let host = c.host, !host.isEmpty else { return .failure(Problem(message: "names no host; write postgresql://USER@HOST:PORT/DATABASE")) }
        let database = String(c.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { return .failure(Problem(message: "names no database; write postgresql://USER@HOST:PORT/DATABASE")) }
        var url = PostgresURL(user: c.user ?? "galsync", host: host, port: c.port ?? 5432, database: database)
        for item in c.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value.flatMap(SSLMode.init(rawValue:)) else {
                    return .failure(Problem(message: "sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", ")) (the certificate is always verified with TLS)"))
                }
                url.sslMode = mode
            case "sslrootcert":
                guard let file = item.value, !file.isEmpty else { return .failure(Problem(message: "sslrootcert needs a file")) }
                url.sslRootCert = file
            default:
                return .failure(Problem(message: "'\(item.name)' is not a parameter galsync knows; use sslmode and sslrootcert"))
            }
        }
        return .success(url)
    }

    public var description: String { "postgresql://\(user)@\(host):\(port)/\(database)" + (sslMode == .prefer ? "" : "?sslmode=\(sslMode.rawValue)") }
}
