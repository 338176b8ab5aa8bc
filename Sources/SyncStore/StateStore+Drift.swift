import Foundation
import GRDB

/// Each managed folder's contacts deltaLink (`SyncEngine.checkDrift`).
extension StateStore {
    /// Owner → the folder's last contacts deltaLink.
    public func contactDeltaLinks() throws -> [String: String] {
        try db.read { db in
            var out: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT owner_id, link FROM contact_delta") { out[row["owner_id"]] = row["link"] }
            return out
        }
    }

    /// Sets (or, with nil, forgets) `owner`'s contacts deltaLink.
    public func setContactDeltaLink(_ owner: String, _ link: String?) throws {
        try db.write { db in
            if let link {
                try db.execute(sql: "INSERT INTO contact_delta(owner_id, link) VALUES (?, ?) ON CONFLICT(owner_id) DO UPDATE SET link = excluded.link", arguments: [owner, link])
            } else {
                try db.execute(sql: "DELETE FROM contact_delta WHERE owner_id = ?", arguments: [owner])
            }
        }
    }

    /// Forgets every folder's contacts deltaLink and records the `$select` new rounds use, in
    /// one transaction (links made with another `$select` would not report the new fields).
    public func restartContactDelta(select: String) throws {
        try db.write { db in
            try db.execute(sql: "DELETE FROM contact_delta")
            try Self.setMeta(db, "drift_select", select)
        }
    }
}
