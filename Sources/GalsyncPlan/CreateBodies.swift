import GalsyncJSON
import Synchronization

/// The encoded create body of each user's contact, and the canonical JSON text the state keeps
/// for it, made once per cycle and shared by every mailbox that gets that contact (in a first
/// sync, each goes to hundreds of mailboxes). Bounded: past `capacity` users, they are encoded
/// each time instead of kept.
package final class CreateBodies: Sendable {
    private let cache = Mutex<[String: [UInt8]]>([:])
    private let texts = Mutex<[String: String]>([:])
    let capacity: Int

    package init(capacity: Int = 20_000) { self.capacity = capacity }

    package func createBody(_ p: ContactProjection) -> [UInt8] {
        let key = p.userId + "/" + p.hash
        if let hit = cache.withLock({ $0[key] }) { return hit }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        p.createBody().write(into: &bytes)
        cache.withLock { if $0.count < capacity { $0[key] = bytes } }
        return bytes
    }

    /// `p.json` as text (what `StateStore.record` stores under `p.hash`).
    package func text(_ p: ContactProjection) -> String {
        if let hit = texts.withLock({ $0[p.hash] }) { return hit }
        let text = String(decoding: p.json, as: UTF8.self)
        texts.withLock { if $0.count < capacity { $0[p.hash] = text } }
        return text
    }
}
