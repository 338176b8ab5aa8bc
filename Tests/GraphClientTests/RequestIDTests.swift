@testable import GraphClient
import Foundation
import Testing

@Suite struct RequestIDTests {
    /// Each id is a lower-case version-4 UUID, and they differ.
    @Test func requestIDsAreFreshVersion4UUIDs() {
        let ids = (0..<1000).map { _ in RequestID.make() }
        #expect(Set(ids).count == 1000)
        for id in ids.prefix(50) {
            #expect(UUID(uuidString: id) != nil, "\(id)")
            #expect(id == id.lowercased() && id.count == 36)
            let chars = Array(id)
            #expect(chars[14] == "4", "version 4: \(id)")
            #expect("89ab".contains(chars[19]), "RFC 4122 variant: \(id)")
        }
    }
}
