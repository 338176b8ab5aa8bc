import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient

/// The ids of the users hidden from the address list, by Entra's flag: the pages of
/// `/users?$filter=showInAddressList eq false`, an advanced query (`ConsistencyLevel:
/// eventual` and `$count=true`; Graph refuses the filter without them, and `/users/delta`
/// never returns the property). Each complete read replaces the whole set: the query has no
/// delta. Graph answers from an eventually consistent index, minutes behind a change.
public struct HiddenUserPages {
    private(set) var users: Set<String> = []

    public static let firstURL = "/users?$filter=showInAddressList%20eq%20false&$count=true&$select=id&$top=999"
    public static let headers = [("ConsistencyLevel", "eventual")]

    /// Takes one page; returns the nextLink to follow, or nil after the last page.
    public mutating func consume(_ body: JSONValue, graph: GraphAPI) throws -> String? {
        guard let value = body["value"]?.arrayValue else { throw SyncError.badData("a page of the users hidden from the address list was not the expected JSON") }
        for user in value { if let id = user["id"]?.stringValue { users.insert(id.lowercased()) } }
        guard let next = body["@odata.nextLink"]?.stringValue else { return nil }
        guard graph.isGraphLink(next) else {
            throw SyncError.badData("the hidden users' nextLink points away from the Graph host (\(URL(string: next)?.host ?? "?")); not followed, the token stays home")
        }
        return next
    }
}
