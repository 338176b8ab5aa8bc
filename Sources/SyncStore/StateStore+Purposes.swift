import Foundation
import GRDB

/// Each user's mailbox type as last read (`mailboxSettings.userPurpose`), for
/// `exclude_mailbox_types`: Graph answers it only one user at a time, so it is read once and
/// refreshed at full reconcile, not every cycle.
extension StateStore {
    public struct MailboxPurpose: Sendable, Equatable {
        /// user, shared, room, equipment, linked, or none (no Exchange Online mailbox).
        public var purpose: String
        public var readAt: Date
        public init(purpose: String, readAt: Date) {
            self.purpose = purpose
            self.readAt = readAt
        }
    }

    public func mailboxPurposes() throws -> [String: MailboxPurpose] {
        try db.read { db in
            var out: [String: MailboxPurpose] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT user_id, purpose, read_at FROM mailbox_purpose")
            while let row = try rows.next() {
                out[row[0]] = MailboxPurpose(purpose: row[1], readAt: Date(timeIntervalSince1970: row[2]))
            }
            return out
        }
    }

    /// Records `purposes` read at `at`, and forgets users no longer in `keeping` (nil: none).
    public func setMailboxPurposes(_ purposes: [String: String], at: Date, keeping: Set<String>? = nil) throws {
        try db.write { db in
            for (id, purpose) in purposes {
                try db.execute(sql: "INSERT OR REPLACE INTO mailbox_purpose (user_id, purpose, read_at) VALUES (?, ?, ?)",
                               arguments: [id, purpose, at.timeIntervalSince1970])
            }
            guard let keeping else { return }
            let stale = try String.fetchAll(db, sql: "SELECT user_id FROM mailbox_purpose").filter { !keeping.contains($0) }
            for id in stale { try db.execute(sql: "DELETE FROM mailbox_purpose WHERE user_id = ?", arguments: [id]) }
        }
    }
}
