@testable import GalsyncCore
import GalsyncJSON
import Testing

@Suite struct ProjectionCacheTests {
    func user(_ id: String, title: String) -> DirectoryUser {
        DirectoryUser(id: id, properties: ["displayName": .string("User \(id)"), "mail": .string("\(id)@contoso.com"), "jobTitle": .string(title)])
    }

    @Test func unchangedUsersAreReusedChangedOnesProjectedAgainGoneOnesForgotten() {
        let cache = ProjectionCache()
        let first = cache.projections(of: ["a": user("a", title: "One"), "b": user("b", title: "One"), "c": user("c", title: "One")], excluding: [])
        #expect(first["a"]?.fields["jobTitle"] == "One")
        let second = cache.projections(of: ["a": user("a", title: "One"), "b": user("b", title: "Two")], excluding: [])
        #expect(second["a"] == first["a"])
        #expect(second["b"]?.fields["jobTitle"] == "Two", "a changed record is projected again")
        #expect(second["b"] == ContactProjection(user: user("b", title: "Two")))
        #expect(second["c"] == nil && cache.count == 2, "a user out of scope is forgotten")
    }

    @Test func anotherExcludedFieldSetStartsAfresh() {
        let cache = ProjectionCache()
        _ = cache.projections(of: ["a": user("a", title: "One")], excluding: [])
        let excluded = cache.projections(of: ["a": user("a", title: "One")], excluding: ["jobTitle"])
        #expect(excluded["a"]?.fields["jobTitle"] == .null, "the cached projection with the title was not reused")
    }
}
