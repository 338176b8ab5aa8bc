import Foundation
import SyncStore
import Testing

/// The recorded desired set and `mailbox.applied`: written as differences, and `applied`
/// forgotten by every change to a mailbox's state or rows that does not say it holds the set.
@Suite struct DesiredRecordTests {
    @Test func theSetIsRecordedAsItsDifferenceWithItsBasis() throws {
        let store = try StateStore(inMemory: ())
        #expect(try store.desiredBasis() == nil)
        let first = StateStore.DesiredBasis(link: "L1", settings: "s", generation: 1)
        try store.recordDesired(first, upserts: ["a": "h1", "b": "h1", "c": "h1"], removals: [], continues: false)
        #expect(try store.desiredBasis() == first)
        let second = StateStore.DesiredBasis(link: "L2", settings: "s", generation: 2)
        try store.recordDesired(second, upserts: ["b": "h2", "d": "h1"], removals: ["c"], continues: true)
        #expect(try store.desiredBasis() == second)
        #expect(try store.desiredHashes() == ["a": "h1", "b": "h2", "d": "h1"])
    }

    @Test func appliedIsKeptOnlyWhereTheCallerSaysTheMailboxHoldsTheSet() throws {
        let store = try StateStore(inMemory: ())
        try store.setMailbox("m", folderId: .some("f"), state: "ok", applied: 4)
        try store.setMailbox("n", folderId: .some("f"), state: "ok", applied: 4)
        #expect(try store.mailboxes().mapValues(\.applied) == ["m": 4, "n": 4])
        for state in ["failed", "pending", "verify", "new", "ok"] {
            try store.setMailbox("m", state: state, applied: 4)
            try store.setMailbox("m", state: state)
            #expect(try store.mailboxes()["m"]?.applied == nil, "\(state) without applied forgets it")
        }
        #expect(try store.mailboxes()["n"]?.applied == 4)
        var written = StateStore.BatchResult()
        written.written = [(.init(userId: "u", contactId: "c", hash: "h"), "{}", nil)]
        try store.record(owner: "n", written)
        #expect(try store.mailboxes()["n"]?.applied == nil, "a batch answer changed its rows: it holds no recorded set until told again")
        try store.setMailbox("n", state: "ok", applied: 5)
        try store.replaceManagedContacts("n", [])
        #expect(try store.mailboxes()["n"]?.applied == nil, "a listing replaced its rows")
        try store.setMailbox("n", state: "ok", applied: 5)
        try store.forgetMailbox("n")
        try store.setMailbox("n", state: "ok")
        #expect(try store.mailboxes()["n"]?.applied == nil, "a forgotten mailbox starts unknown")
    }

    @Test func aSetThatDoesNotContinueTheRecordedOneForgetsEveryMailboxsApplied() throws {
        let store = try StateStore(inMemory: ())
        try store.recordDesired(.init(link: "L1", settings: "s", generation: 1), upserts: ["a": "h"], removals: [], continues: false)
        try store.setMailbox("m", state: "ok", applied: 1)
        try store.recordDesired(.init(link: "L2", settings: "s", generation: 2), upserts: [:], removals: [], continues: true)
        #expect(try store.mailboxes()["m"]?.applied == 1, "a continuing set leaves it (the generation tells)")
        try store.recordDesired(.init(link: "L9", settings: "t", generation: 3), upserts: [:], removals: [], continues: false)
        #expect(try store.mailboxes()["m"]?.applied == nil)
    }
}
