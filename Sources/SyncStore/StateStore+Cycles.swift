import Foundation
import GRDB

/// Cycle history, for `status` and the metrics.
extension StateStore {
    public struct CycleRecord: Sendable, Equatable, Codable {
        public var id: Int64
        public var started: Date
        public var finished: Date?
        public var outcome: String?
        public var created = 0, updated = 0, deleted = 0, unchanged = 0
        public var mailboxesOK = 0, mailboxesFailed = 0, mailboxesSkipped = 0
        public var requests = 0, throttled = 0
        /// Operations still unconfirmed when the cycle ended.
        public var pending = 0
        public var message: String?

        public init(id: Int64, started: Date) {
            self.id = id
            self.started = started
        }
    }

    public func startCycle() throws -> Int64 {
        try db.write { db in
            try db.execute(sql: "INSERT INTO cycle (started) VALUES (?)", arguments: [Date().timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    public func finishCycle(_ c: CycleRecord) throws {
        try db.write { db in
            try db.execute(sql: """
                UPDATE cycle SET finished = ?, outcome = ?, created = ?, updated = ?, deleted = ?, unchanged = ?,
                mailboxes_ok = ?, mailboxes_failed = ?, mailboxes_skipped = ?, requests = ?, throttled = ?, pending = ?, message = ? WHERE id = ?
                """, arguments: [Date().timeIntervalSince1970, c.outcome, c.created, c.updated, c.deleted, c.unchanged,
                                 c.mailboxesOK, c.mailboxesFailed, c.mailboxesSkipped, c.requests, c.throttled, c.pending, c.message, c.id])
            // Keep a bounded history.
            try db.execute(sql: "DELETE FROM cycle WHERE id <= ? - 500", arguments: [c.id])
        }
    }

    public func recentCycles(limit: Int = 10) throws -> [CycleRecord] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM cycle ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.cycle)
        }
    }

    /// The newest cycle that ran to its end (`ok`, or `partial`: some mailboxes failed, the
    /// others were done).
    public func lastSuccessfulCycle() throws -> CycleRecord? {
        try db.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM cycle WHERE outcome IN ('ok', 'partial') ORDER BY id DESC LIMIT 1").map(Self.cycle)
        }
    }

    static func cycle(_ r: Row) -> CycleRecord {
        var c = CycleRecord(id: r["id"], started: Date(timeIntervalSince1970: r["started"]))
        c.finished = (r["finished"] as Double?).map { Date(timeIntervalSince1970: $0) }
        c.outcome = r["outcome"]
        c.created = r["created"]; c.updated = r["updated"]; c.deleted = r["deleted"]; c.unchanged = r["unchanged"]
        c.mailboxesOK = r["mailboxes_ok"]; c.mailboxesFailed = r["mailboxes_failed"]; c.mailboxesSkipped = r["mailboxes_skipped"]
        c.requests = r["requests"]; c.throttled = r["throttled"]; c.message = r["message"]
        c.pending = (r["pending"] as Int?) ?? 0  // absent in a read-only v1 file
        return c
    }
}
