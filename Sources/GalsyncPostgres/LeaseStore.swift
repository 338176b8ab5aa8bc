import Foundation
import GalsyncConfig
import Logging
import NIOCore
import PostgresNIO
import ServiceLifecycle

/// Tenants' leases and state snapshots in PostgreSQL, shared by every `galsync run` node.
///
/// A lease row per tenant names the node working it, a fencing token (incremented at every
/// acquisition) and when it expires, by the database's clock: one `UPDATE` acquires it only
/// when nobody holds it or it expired, so two nodes never both win. Renewing, releasing and
/// saving state all name the token: a node whose lease expired (paused, cut off, slow) finds
/// its token no longer current and its write refused, whatever it believes.
public struct LeaseStore: Service {
    let client: PostgresClient
    let logger: Logger
    /// The lease's length, in seconds.
    public let lease: TimeInterval

    /// A client for `url` (not yet running: `run()` it in a task that lives as long as the store).
    public init(url: PostgresURL, password: String?, lease: TimeInterval, logger: Logger) {
        var config = PostgresClient.Configuration(host: url.host, port: url.port, username: url.user, password: password, database: url.database, tls: Self.tls(url))
        config.options.minimumConnections = 0
        config.options.maximumConnections = 8
        // The pool's own background messages at error only: it warns when a query is queued
        // before `run()` has started, which a one-shot command's first query may be.
        var background = logger
        background.logLevel = .error
        client = PostgresClient(configuration: config, backgroundLogger: background)
        self.logger = logger
        self.lease = lease
    }

    /// TLS as `sslmode` says; the server's certificate is verified (system roots, or
    /// `sslrootcert`) whenever TLS is used.
    static func tls(_ url: PostgresURL) -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let file = url.sslRootCert { tls.trustRoots = .file(file) }
        switch url.sslMode {
        case .disable: return .disable
        case .prefer: return .prefer(tls)
        case .require: return .require(tls)
        }
    }

    /// Runs the connection pool until graceful shutdown: a `Service` placed in the group before
    /// the one using it, so that it stops after that one (tenants save their state and release
    /// their leases on the way out).
    public func run() async { await client.run() }

    /// The schema, created or brought up to date under an advisory lock (two nodes starting at
    /// once migrate it once). Versions only go forward; a newer schema is refused.
    public func migrate() async throws {
        try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(7305126)", logger: logger)
            try await c.query("CREATE TABLE IF NOT EXISTS galsync_migration (version INT PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())", logger: logger)
            var current = 0
            for try await v in try await c.query("SELECT COALESCE(MAX(version), 0) FROM galsync_migration", logger: logger).decode(Int.self) { current = v }
            guard current <= Self.migrations.count else { throw LeaseStoreError.newerSchema(current, Self.migrations.count) }
            for (i, statements) in Self.migrations.enumerated() where i + 1 > current {
                for sql in statements { try await c.query(PostgresQuery(unsafeSQL: sql), logger: logger) }
                try await c.query("INSERT INTO galsync_migration (version) VALUES (\(i + 1))", logger: logger)
            }
        }
    }

    static let migrations: [[String]] = [
        // v1: nodes (heartbeats), leases (holder, fencing token, expiry) and state snapshots.
        [
            "CREATE TABLE galsync_node (node TEXT PRIMARY KEY, started TIMESTAMPTZ NOT NULL, seen TIMESTAMPTZ NOT NULL)",
            "CREATE TABLE galsync_lease (tenant TEXT PRIMARY KEY, node TEXT, token BIGINT NOT NULL DEFAULT 0, expires TIMESTAMPTZ NOT NULL DEFAULT 'epoch', acquired TIMESTAMPTZ, clean BOOLEAN NOT NULL DEFAULT false)",
            "CREATE TABLE galsync_state (tenant TEXT PRIMARY KEY, token BIGINT NOT NULL, saved TIMESTAMPTZ NOT NULL, node TEXT NOT NULL, bytes BYTEA NOT NULL)",
        ],
    ]

    /// Says this node is alive; returns the nodes that are (seen within one lease), this one
    /// included.
    public func heartbeat(node: String) async throws -> [String] {
        try await client.query("INSERT INTO galsync_node (node, started, seen) VALUES (\(node), now(), now()) ON CONFLICT (node) DO UPDATE SET seen = now()", logger: logger)
        var live: [String] = []
        for try await n in try await client.query("SELECT node FROM galsync_node WHERE seen > now() - make_interval(secs => \(lease)) ORDER BY node", logger: logger).decode(String.self) {
            live.append(n)
        }
        return live.contains(node) ? live : live + [node]
    }

    /// How many unexpired leases each node holds.
    public func holdings() async throws -> [String: Int] {
        var out: [String: Int] = [:]
        let rows = try await client.query("SELECT node, count(*)::BIGINT FROM galsync_lease WHERE node IS NOT NULL AND expires > now() GROUP BY node", logger: logger)
        for try await (node, n) in rows.decode((String, Int64).self) { out[node] = Int(n) }
        return out
    }

    /// Takes `tenant` for `node` when nobody holds it or its lease expired: the new fencing
    /// token, and whether the node before released it cleanly (its saved state is then all it
    /// did); nil when another node holds it.
    public func acquire(_ tenant: String, node: String) async throws -> Acquired? {
        try await client.query("INSERT INTO galsync_lease (tenant) VALUES (\(tenant)) ON CONFLICT (tenant) DO NOTHING", logger: logger)
        let rows = try await client.query("""
            UPDATE galsync_lease l SET node = \(node), token = l.token + 1, expires = now() + make_interval(secs => \(lease)), acquired = now(), clean = false
            FROM (SELECT clean FROM galsync_lease WHERE tenant = \(tenant)) before
            WHERE l.tenant = \(tenant) AND (l.node IS NULL OR l.expires < now()) RETURNING l.token, before.clean
            """, logger: logger)
        for try await (token, clean) in rows.decode((Int64, Bool).self) { return Acquired(token: token, clean: clean) }
        return nil
    }

    /// A lease just taken.
    public struct Acquired: Sendable, Equatable {
        public var token: Int64
        /// The node before saved the state and released the lease: nothing it did is missing.
        public var clean: Bool
    }

    /// Extends a lease this node still holds under `token`; false when it expired or another
    /// node took it (the node must stop working the tenant).
    public func renew(_ tenant: String, node: String, token: Int64) async throws -> Bool {
        let rows = try await client.query("""
            UPDATE galsync_lease SET expires = now() + make_interval(secs => \(lease))
            WHERE tenant = \(tenant) AND node = \(node) AND token = \(token) AND expires > now() RETURNING token
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    /// Gives the tenant up, so another node may take it at once; `clean` when the state was
    /// saved just before (the next node need not list every mailbox).
    public func release(_ tenant: String, node: String, token: Int64, clean: Bool = false) async throws {
        try await client.query("UPDATE galsync_lease SET node = NULL, expires = 'epoch', clean = \(clean) WHERE tenant = \(tenant) AND node = \(node) AND token = \(token)", logger: logger)
    }

    /// Saves the tenant's state, fenced: in one transaction that first checks (and locks) the
    /// lease row for this node, token and an unexpired lease. Throws `LeaseStoreError.leaseLost`
    /// otherwise, writing nothing.
    public func save(_ tenant: String, node: String, token: Int64, bytes: Data) async throws {
        do {
            try await fencedSave(tenant, node: node, token: token, bytes: bytes)
        } catch let error as PostgresTransactionError {
            // The refusal comes back wrapped in the transaction's error: the caller needs it as it is.
            if let lost = error.closureError as? LeaseStoreError { throw lost }
            throw error
        }
    }

    func fencedSave(_ tenant: String, node: String, token: Int64, bytes: Data) async throws {
        try await client.withTransaction(logger: logger) { c in
            var held = false
            for try await _ in try await c.query("""
                SELECT token FROM galsync_lease WHERE tenant = \(tenant) AND node = \(node) AND token = \(token) AND expires > now() FOR UPDATE
                """, logger: logger).decode(Int64.self) { held = true }
            guard held else { throw LeaseStoreError.leaseLost(tenant: tenant, token: token) }
            try await c.query("""
                INSERT INTO galsync_state (tenant, token, saved, node, bytes) VALUES (\(tenant), \(token), now(), \(node), \(ByteBuffer(bytes: bytes)))
                ON CONFLICT (tenant) DO UPDATE SET token = EXCLUDED.token, saved = EXCLUDED.saved, node = EXCLUDED.node, bytes = EXCLUDED.bytes
                """, logger: logger)
        }
    }

    /// The tenant's last saved state, with the token it was saved under; nil before any.
    public func load(_ tenant: String) async throws -> (bytes: Data, token: Int64)? {
        let rows = try await client.query("SELECT bytes, token FROM galsync_state WHERE tenant = \(tenant)", logger: logger)
        for try await (buffer, token) in rows.decode((ByteBuffer, Int64).self) { return (Data(buffer.readableBytesView), token) }
        return nil
    }

    /// Who holds each tenant, for `status`.
    public func holders() async throws -> [LeaseHolder] {
        var out: [LeaseHolder] = []
        let rows = try await client.query("""
            SELECT l.tenant, COALESCE(l.node, ''), l.token, EXTRACT(EPOCH FROM l.expires - now())::FLOAT8, COALESCE(EXTRACT(EPOCH FROM now() - s.saved)::FLOAT8, -1)
            FROM galsync_lease l LEFT JOIN galsync_state s ON s.tenant = l.tenant ORDER BY l.tenant
            """, logger: logger)
        for try await (tenant, node, token, left, saved) in rows.decode((String, String, Int64, Double, Double).self) {
            out.append(LeaseHolder(tenant: tenant, node: node.isEmpty || left <= 0 ? nil : node, token: token, secondsLeft: left, stateAge: saved < 0 ? nil : saved))
        }
        return out
    }
}

/// One tenant's lease as the database has it.
public struct LeaseHolder: Sendable, Equatable {
    public var tenant: String
    /// nil when nobody holds it (released, or expired).
    public var node: String?
    public var token: Int64
    public var secondsLeft: Double
    /// How old the saved state is, in seconds; nil before any.
    public var stateAge: Double?
}

public enum LeaseStoreError: Error, Sendable, CustomStringConvertible {
    case leaseLost(tenant: String, token: Int64)
    case newerSchema(Int, Int)

    public var description: String {
        switch self {
        case .leaseLost(let tenant, let token):
            "tenant \(tenant): this node's lease (token \(token)) expired or another node took it; its state write was refused and this node stops working the tenant"
        case .newerSchema(let found, let known):
            "the PostgreSQL schema is version \(found), newer than this galsync knows (\(known)); upgrade galsync on this node"
        }
    }
}

extension LeaseStore {
    /// An error for the journal: PostgreSQL's own message and SQLSTATE (postgres-nio's
    /// description hides them), never the query's bound values.
    public static func describe(_ error: any Error) -> String {
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] {
                return "PostgreSQL refused: \(message) (SQLSTATE \(e.serverInfo?[.sqlState] ?? "?"))"
            }
            return "PostgreSQL: \(e.code)\(e.underlying.map { ": \($0)" } ?? "")"
        }
        if let e = error as? PostgresTransactionError {
            return describe(e.closureError ?? e.beginError ?? e.commitError ?? e.rollbackError ?? error)
        }
        return "\(error)"
    }
}
