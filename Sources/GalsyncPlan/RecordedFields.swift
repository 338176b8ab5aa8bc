import Foundation
import GalsyncJSON
import SyncStore
import Synchronization

/// What the state records for the fields a listing compares with the record (`keep_edits`
/// fields, the categories), by projection hash, read once per cycle: a contact's hash is the
/// same in every mailbox that holds the same contact, so a full reconcile of 1,000 mailboxes
/// reads and decodes each user's record once, not 1,000 times, and keeps only those fields.
package final class RecordedFields: Sendable {
    private let cache = Mutex<[String: [String: JSONValue]]>([:])

    package init() {}

    /// The record's values of `table`'s compared fields; nil when the state has no record.
    package func values(hash: String, table: ContactFieldTable, store: StateStore) throws -> [String: JSONValue]? {
        if let hit = cache.withLock({ $0[hash] }) { return hit }
        guard let json = try store.projection(hash), let object = JSONValue.parse(Data(json.utf8))?.objectValue else { return nil }
        var out: [String: JSONValue] = [:]
        for f in table.fields where f.comparedWithRecord { out[f.key] = ContactProjection.canonical(object[f.key] ?? .null, f.kind) }
        cache.withLock { $0[hash] = out }
        return out
    }
}
