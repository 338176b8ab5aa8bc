import GalsyncPlan
import SyncStore

/// The directory snapshot as the engine holds it.
extension StateStore {
    /// Every user of the snapshot, each row unpacked as it is read: the rows' JSON text (as
    /// much again as the users, packed) is never held all at once. A row that is not a JSON
    /// object is left out, as it was before (it stays in the state until Graph reports the user).
    public func directorySnapshot() throws -> [String: DirectoryUser] {
        var users: [String: DirectoryUser] = [:]
        try forEachDirectoryUser { id, json in users[id] = DirectoryUser(id: id, json: json) }
        return users
    }

    /// The stored mail contacts (`include_org_contacts`), user-shaped.
    public func orgContactSnapshot() throws -> [String: DirectoryUser] {
        var contacts: [String: DirectoryUser] = [:]
        try forEachOrgContact { id, json in contacts[id] = DirectoryUser(id: id, json: json) }
        return contacts
    }
}
