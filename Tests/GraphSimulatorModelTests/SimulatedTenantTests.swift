import Foundation
import GraphSimulatorModel
import Testing

/// The simulated tenant's data on its own: a seed makes the same tenant every time, and users'
/// photos have Graph's sizes, a new ETag and new bytes per upload, and real JPEG framing.
@Suite struct SimulatedTenantTests {
    @Test func aSeedMakesTheSameTenantAndAnotherSeedAnother() {
        let a = TenantSeed(users: 40, seed: 7).make(), b = TenantSeed(users: 40, seed: 7).make(), c = TenantSeed(users: 40, seed: 8).make()
        #expect(a.users.map(\.id) == b.users.map(\.id))
        #expect(a.users.map(\.properties) == b.users.map(\.properties))
        #expect(a.users.map(\.id) != c.users.map(\.id))
        #expect(a.users.contains { $0.photo != nil } && a.users.contains { $0.hasMailbox && $0.photo == nil })
    }

    @Test func aPhotoHasGraphsSizesUpToItsOriginalAndNewBytesPerUpload() {
        let small = SimUserPhoto(original: 96), large = SimUserPhoto(original: 648)
        #expect(small.available == [48, 64, 96])
        #expect(large.available == SimUserPhoto.sizes)
        #expect(SimUserPhoto(original: 100).available == [48, 64, 96, 100], "an original between the named sizes is a size of its own")
        let next = SimUserPhoto(original: 648, version: 2)
        #expect(large.etag(user: "u") != next.etag(user: "u") && large.etag(user: "u") != large.etag(user: "v"))
        let bytes = large.jpeg(user: "u", size: 240)
        #expect(bytes.prefix(2) == Data([0xFF, 0xD8]) && bytes.suffix(2) == Data([0xFF, 0xD9]), "SOI … EOI")
        #expect(bytes.count > 240 * 240 / 4 && large.jpeg(user: "u", size: 48).count < bytes.count)
        #expect(bytes != next.jpeg(user: "u", size: 240) && bytes == large.jpeg(user: "u", size: 240))
    }
}
