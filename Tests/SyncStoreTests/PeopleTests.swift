import Foundation
@testable import SyncStore
import Testing

/// Names for messages: written with the snapshot, kept for leavers galsync still has
/// something of, dropped at a full read once nothing refers to them.
@Suite struct PeopleTests {
    static func user(_ id: String, _ upn: String?, _ name: String?) -> (String, String) {
        var o = [#""id":"\#(id)""#]
        if let upn { o.append(#""userPrincipalName":"\#(upn)""#) }
        if let name { o.append(#""displayName":"\#(name)""#) }
        return (id, "{" + o.joined(separator: ",") + "}")
    }

    @Test func leaversKeepTheirNamesWhileGalsyncHasSomethingOfTheirs() throws {
        let store = try StateStore(inMemory: ())
        try store.applyDirectory(upserts: [Self.user("a", "alice@contoso.com", "Alice"), Self.user("r", "ravi@contoso.com", "Ravi Kowalski"),
                                           Self.user("x", "x@contoso.com", "X")],
                                 removals: [], deltaLink: "L1", select: "s", replaceAll: true)
        try store.replaceManagedContacts("a", [.init(userId: "r", contactId: "c1", hash: "h")])
        try store.setMailbox("a", state: "ok")
        // A delta record without the names keeps the known ones.
        try store.applyDirectory(upserts: [Self.user("a", nil, nil)], removals: ["r", "x"], deltaLink: "L2", select: "s", replaceAll: false)
        #expect(try store.people(["a", "r", "x", "nobody"]) == [
            "a": PersonName(id: "a", upn: "alice@contoso.com", displayName: "Alice"),
            "r": PersonName(id: "r", upn: "ravi@contoso.com", displayName: "Ravi Kowalski"),
            "x": PersonName(id: "x", upn: "x@contoso.com", displayName: "X"),
        ])
        #expect(try store.people(["r"])["r"]?.label == "Ravi Kowalski (ravi@contoso.com)")
        #expect(try store.personId(upn: "RAVI@contoso.com") == "r")
        // A full read drops x (nothing of theirs is left), keeps r (a contact in a's mailbox).
        try store.applyDirectory(upserts: [Self.user("a", "alice@contoso.com", "Alice")], removals: [], deltaLink: "L3", select: "s", replaceAll: true)
        #expect(Set(try store.people(["a", "r", "x"]).keys) == ["a", "r"])
    }

    @Test func labelsFallBackToWhatIsKnown() {
        #expect(PersonName(id: "i", upn: "u@c", displayName: "N").handle == "u@c")
        #expect(PersonName(id: "i", upn: nil, displayName: "N").label == "N")
        #expect(PersonName(id: "i", upn: "", displayName: "").label == "i")
    }
}
