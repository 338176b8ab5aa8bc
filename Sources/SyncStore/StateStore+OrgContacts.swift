import Foundation
import GRDB

/// The tenant's mail contacts (`include_org_contacts`), kept apart from the users: their own
/// delta round, deltaLink and full enumerations, so a users' resync never drops them.
extension StateStore {
    public func forEachOrgContact(_ body: (String, String) throws -> Void) throws {
        try db.read { db in
            let rows = try Row.fetchCursor(db, sql: "SELECT id, json FROM org_contact")
            while let row = try rows.next() { try body(row["id"], row["json"]) }
        }
    }

    /// One `/contacts/delta` round in one transaction, the link last (as `applyDirectory`);
    /// `replaceAll` (a full round) drops the contacts not in `upserts`. Names go to `person`
    /// too, so plans and status name a partner, not a GUID.
    public func applyOrgContacts(upserts: some Sequence<(String, String)>, removals: Set<String>, deltaLink: String, select: String, replaceAll: Bool) throws {
        try db.write { db in
            try Self.applyRound(db, table: "org_contact", upserts: upserts, removals: removals, replaceAll: replaceAll)
            try Self.setMeta(db, "contacts_delta_link", deltaLink)
            try Self.setMeta(db, "contacts_delta_select", select)
        }
    }
}
