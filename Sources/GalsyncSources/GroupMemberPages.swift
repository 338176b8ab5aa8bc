import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient

/// The pages of one group's `/transitiveMembers`, folded into the ids of its member users and
/// mail contacts (nested groups' included by Graph; the groups themselves and devices left out).
public struct GroupMemberPages {
    public let group: String
    private(set) var users: Set<String> = []

    public init(group: String) { self.group = group }

    public var firstURL: String { "/groups/\(GraphPath.segment(group))/transitiveMembers?$select=id&$top=999" }

    /// Takes one page; returns the nextLink to follow, or nil after the last page.
    public mutating func consume(_ body: JSONValue, graph: GraphAPI) throws -> String? {
        guard let value = body["value"]?.arrayValue else { throw SyncError.badData("a page of group \(group)'s members was not the expected JSON") }
        for member in value {
            // An entry without a type is taken for a user, as `$select=id` may leave it out. Mail
            // contacts are kept too (`include_org_contacts` with `exclude_groups`); the scope
            // never makes them targets.
            let type = member["@odata.type"]?.stringValue
            if let id = member["id"]?.stringValue, type.map({ $0 == "#microsoft.graph.user" || $0 == "#microsoft.graph.orgContact" }) ?? true { users.insert(id) }
        }
        guard let next = body["@odata.nextLink"]?.stringValue else { return nil }
        guard graph.isGraphLink(next) else {
            throw SyncError.badData("group \(group)'s nextLink points away from the Graph host (\(URL(string: next)?.host ?? "?")); not followed, the token stays home")
        }
        return next
    }
}
