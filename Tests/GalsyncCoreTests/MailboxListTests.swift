import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncJSON
import GalsyncPlan
import GraphSimulator
import SyncStore
import Testing

/// `source = "mailbox"`: a folder of one mailbox (a front office's "Vendors") copied into every
/// target's own folder, following the owner's edits, and never into its own mailbox.
@Suite struct MailboxListTests {
    static func vendors(_ c: inout Configuration) {
        let home = ContactList(name: "directory", folder: c.sync.folder, directory: c.directory, mailboxes: c.mailboxes, contact: c.contact)
        let vendors = ContactList(name: "vendors", folder: "Vendors", source: .mailbox(mailbox: "contacts@contoso.com", folder: "Vendors"),
                                  directory: c.directory, mailboxes: c.mailboxes, contact: c.contact)
        c.lists = [home, vendors]
    }

    /// A contact's user-visible properties as compared: every writable property of Graph's
    /// contact type (the single e-mail ones aside: a copy carries its addresses in
    /// emailAddresses), empty values left out, e-mail addresses with their own names.
    static func fields(_ c: JSONValue) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for key in ContactPropertyCatalog.kinds.keys where ContactPropertyCatalog.kinds[key] != .email {
            switch c[key] {
            case nil, .null?, .string("")?: continue
            case .array(let items)? where items.isEmpty: continue
            case .object(let o)?:
                let parts = o.filter { !$0.value.isNull && $0.value != "" }
                if !parts.isEmpty { out[key] = .object(parts) }
            case .array(let items)? where key == "emailAddresses":
                out[key] = .array(items.map { ["address": $0["address"] ?? .null, "name": ($0["name"]?.stringValue).flatMap { $0.isEmpty ? nil : JSONValue.string($0) } ?? .null] })
            case let v?: out[key] = v
            }
        }
        return out
    }

    /// How every target's "Vendors" folder differs from the source folder (empty: exact).
    static func differences(_ h: SyncHarness, source: (owner: String, folderId: String)) async -> [String] {
        let box = await h.sim.mailboxState(source.owner)
        let originals = (box["contacts"]?.arrayValue ?? []).filter { $0["parentFolderId"]?.stringValue == source.folderId }
        let want = Dictionary(uniqueKeysWithValues: originals.map { ($0["id"]!.stringValue!, Self.fields($0)) })
        var out: [String] = []
        for owner in await h.expectedTargets() {
            #expect(owner != source.owner)
            let target = await h.sim.mailboxState(owner)
            let folder = target["folders"]?.arrayValue?.first { $0["displayName"]?.stringValue == "Vendors" }?["id"]?.stringValue
            let copies = (target["contacts"]?.arrayValue ?? []).filter { $0["parentFolderId"]?.stringValue == folder && folder != nil }
            var seen: [String: [String: JSONValue]] = [:]
            for c in copies {
                guard let tag = c["extendedProperties"]?[SyncHarness.tag]?.stringValue else { out.append("\(owner): an untagged contact in Vendors"); continue }
                if seen[tag] != nil { out.append("\(owner): \(tag) twice") }
                seen[tag] = Self.fields(c)
            }
            if Set(seen.keys) != Set(want.keys) { out.append("\(owner): \(seen.count) copies of \(want.count) vendors") }
            for (id, fields) in seen where want[id] != nil && want[id] != fields { out.append("\(owner): \(id) is \(fields), not \(want[id]!)") }
        }
        return out
    }

    @Test func aMailboxFolderIsCopiedToEveryTargetAndFollowsItsOwnersEdits() async throws {
        try await SyncHarness.with(users: 20) { h in
            let source = try await h.sim.seedSharedFolder(contacts: 12)
            Self.vendors(&h.config)
            let first = try await h.sync()
            #expect(first.exitStatus == .ok, "\(first.text)")
            let diff0 = await Self.differences(h, source: source)
            #expect(diff0.isEmpty, "\(diff0)")
            // The comparison covers more than the directory's fields: the seed's notes, categories and fileAs.
            let copy = try #require(await h.expectedTargets().first)
            let held = (await h.sim.mailboxState(copy))["contacts"]?.arrayValue?.map(Self.fields) ?? []
            #expect(held.contains { $0["personalNotes"] != nil } && held.contains { $0["categories"] != nil } && held.contains { $0["fileAs"] != nil })
            var home = h
            home.ignoredFolders = ["Vendors"]
            await home.expectExact()

            // The front office edits one vendor, removes one and adds one.
            let box = await h.sim.mailboxState(source.owner)
            let ids = (box["contacts"]?.arrayValue ?? []).filter { $0["parentFolderId"]?.stringValue == source.folderId }.map { $0["id"]!.stringValue! }
            try await h.sim.ownerEditsContact(mailbox: source.owner, contactId: ids[0], properties: [
                "jobTitle": "Head of Sales", "mobilePhone": "+1 206 555 0999", "personalNotes": "Call before noon", "categories": ["Preferred supplier", "Net 30"],
                "nickName": "Ana", "homeAddress": ["city": "Tacoma"],
            ])
            try await h.sim.ownerDeletesContact(mailbox: source.owner, contactId: ids[1])
            try await h.sim.ownerCreatesContact(mailbox: source.owner, folderId: source.folderId, properties: [
                "displayName": "Quinn Novak (Contoso Pharma)", "givenName": "Quinn", "surname": "Novak", "companyName": "Contoso Pharma",
                "emailAddresses": [["address": "quinn@pharma.example", "name": "Quinn Novak"]],
            ])
            let changed = try await h.sync()
            let targets = await h.expectedTargets().count
            #expect(changed.exitStatus == .ok && changed.created == targets && changed.updated == targets && changed.deleted == targets, "\(changed.text)")
            let diff = await Self.differences(h, source: source)
            #expect(diff.isEmpty, "\(diff)")

            await h.sim.resetCounters()
            let idle = try await h.sync()
            #expect(idle.created + idle.updated + idle.deleted == 0)
            let c = await h.counters()
            #expect(c["totalRequests"] == 1 && c["batchItems"]?["GET /users/{id}/contactFolders/{id}/contacts/delta"]?["200"] == 1,
                    "the folder's delta goes in the directory's batch: \(c["requests"]!), items \(c["batchItems"] ?? .null)")

            // A full reconcile lists every copy and finds them all in place (Outlook ids keep their case).
            let full = try await h.sync { $0.forceReconcile = true }
            #expect(full.exitStatus == .ok && full.created + full.updated + full.deleted == 0, "\(full.text)")
        }
    }

    /// A source folder that disappears fails the cycle, naming the list; no copy is deleted.
    @Test func aMissingSourceFolderFailsTheCycleAndDeletesNothing() async throws {
        try await SyncHarness.with(users: 20) { h in
            let source = try await h.sim.seedSharedFolder(contacts: 12)
            Self.vendors(&h.config)
            h.config.sync.maxDeletesPercent = 100  // not the guard: the 404 itself must delete nothing
            try await h.sync()
            try await h.sim.ownerDeletesFolder(mailbox: source.owner, folderId: source.folderId)
            await h.sim.resetCounters()
            await #expect(throws: SyncError.self) { try await h.sync() }
            #expect(await h.counters()["contactWrites"] == 0)
        }
    }

    /// The source mailbox is never a target of its own list, even when every mailbox is: its
    /// folder would otherwise receive copies of itself.
    @Test func theSourceMailboxIsNeverATargetOfItsOwnList() async throws {
        try await SyncHarness.with(users: 20) { h in
            let owner = try #require(await h.expectedTargets().first)
            let users = await h.sim.fullState()["users"]?.arrayValue ?? []
            let upn = try #require(users.first { $0["id"]?.stringValue == owner }?["userPrincipalName"]?.stringValue)
            let source = try await h.sim.seedSharedFolder(upn: upn, contacts: 5)
            Self.vendors(&h.config)
            h.config.lists[1].source = .mailbox(mailbox: upn, folder: "Vendors")
            let s = try await h.sync()
            #expect(s.exitStatus == .ok)
            let box = await h.sim.mailboxState(source.owner)
            let inFolder = (box["contacts"]?.arrayValue ?? []).filter { $0["parentFolderId"]?.stringValue == source.folderId }
            #expect(inFolder.count == 5 && inFolder.allSatisfy { $0["extendedProperties"]?[SyncHarness.tag] == nil }, "\(inFolder.count) contacts in the source folder")
        }
    }

    @Test func anUnknownSourceMailboxIsACycleErrorNamingIt() async throws {
        try await SyncHarness.with(users: 20) { h in
            Self.vendors(&h.config)
            let error = await #expect(throws: SyncError.self) { try await h.sync() }
            #expect("\(error!)".contains("contacts@contoso.com") && "\(error!)".contains("vendors"))
        }
    }

    /// The front office deletes the folder and makes a new one of the same name: the new one is
    /// the source, read in full; every copy changing at once is the shrink valve's to allow.
    @Test func aSourceFolderMadeAgainIsTheSourceAfterTheValve() async throws {
        try await SyncHarness.with(users: 20) { h in
            let old = try await h.sim.seedSharedFolder(contacts: 12)
            Self.vendors(&h.config)
            try await h.sync()
            try await h.sim.ownerDeletesFolder(mailbox: old.owner, folderId: old.folderId)
            let again = try await h.sim.seedSharedFolder(contacts: 3)
            #expect(again.folderId != old.folderId)
            await #expect(throws: SyncError.self) { try await h.sync() }
            let s = try await h.sync { $0.allowMassDelete = true }
            #expect(s.exitStatus == .ok, "\(s.text)")
            let diff = await Self.differences(h, source: again)
            #expect(diff.isEmpty, "\(diff)")
        }
    }

    /// A folder galsync writes (another list's, in the source mailbox) is never a source.
    @Test func aFolderAnotherListWritesIsNotASource() async throws {
        try await SyncHarness.with(users: 20) { h in
            let owner = try #require(await h.expectedTargets().first)
            let users = await h.sim.fullState()["users"]?.arrayValue ?? []
            let upn = try #require(users.first { $0["id"]?.stringValue == owner }?["userPrincipalName"]?.stringValue)
            try await h.sync()  // "Company Directory" is made in every mailbox
            Self.vendors(&h.config)
            // The home list writes "Company Directory" into that mailbox; the vendors list would copy it.
            h.config.lists[1].source = .mailbox(mailbox: upn, folder: h.config.sync.folder)
            let error = await #expect(throws: SyncError.self) { try await h.sync() }
            #expect("\(error!)".contains("which list 'directory' writes"), "\(error!)")
        }
    }

    /// The saved link of the source folder expired: the batched read fails, the list reads its
    /// folder again on its own, in full, and the copies stay exact.
    @Test func anExpiredSourceLinkIsReadAgainInFull() async throws {
        try await SyncHarness.with(users: 20) { h in
            let source = try await h.sim.seedSharedFolder(contacts: 12)
            Self.vendors(&h.config)
            try await h.sync()
            try await h.sim.expireContactDeltaTokens(mailbox: source.owner, mode: "gone")
            let box = await h.sim.mailboxState(source.owner)
            let id = try #require((box["contacts"]?.arrayValue ?? []).first { $0["parentFolderId"]?.stringValue == source.folderId }?["id"]?.stringValue)
            try await h.sim.ownerEditsContact(mailbox: source.owner, contactId: id, properties: ["jobTitle": "Regional Director"])
            let s = try await h.sync()
            let targets = await h.expectedTargets().count
            #expect(s.exitStatus == .ok && s.updated == targets, "\(s.text)")
            let diff = await Self.differences(h, source: source)
            #expect(diff.isEmpty, "\(diff)")
        }
    }
}
