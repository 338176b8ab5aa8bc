import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncJSON
import GalsyncPlan
import GraphSimulator
import SyncStore
import Testing

/// `[[list]]`: each list keeps its own folder in each target mailbox from its own sources, with
/// its own state; lists never touch each other's contacts; an install that adds lists and keeps
/// its folder writes nothing for it.
@Suite struct ContactListTests {
    static func salesRule() throws -> WhereRule { try WhereRule("department eq 'Sales'") }

    /// The top-level tables as the home list (on `sync.folder`) and a "sales" list of the Sales
    /// department in its own folder, both to every mailbox.
    static func twoLists(_ c: inout Configuration) throws {
        var sales = ContactList(name: "sales", folder: "Sales Team", directory: c.directory, mailboxes: c.mailboxes, contact: c.contact)
        sales.directory.where = try salesRule()
        c.lists = [ContactList(name: "directory", folder: c.sync.folder, directory: c.directory, mailboxes: c.mailboxes, contact: c.contact), sales]
    }

    /// The harness's oracle for one list: its folder, its rule; the other lists' folders left alone.
    static func view(_ h: SyncHarness, _ name: String) -> SyncHarness {
        var v = h
        let list = h.config.lists.first { $0.name == name }!
        v.config = h.config.keeping(list)
        v.ignoredFolders = Set(h.config.lists.map(\.folder)).subtracting([list.folder])
        if list.directory.where != nil { v.keepSource = { $0["department"]?.stringValue == "Sales" } }
        return v
    }

    @Test func twoDirectoryListsKeepTheirOwnFoldersExactAndAnIdleCycleIsOneRequest() async throws {
        try await SyncHarness.with(users: 30) { h in
            try Self.twoLists(&h.config)
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.created > 0)
            let targets = await h.expectedTargets().count
            #expect(first.mailboxesOK == targets, "each mailbox counted once, not once per list: \(first.mailboxesOK) of \(targets)")
            await Self.view(h, "directory").expectExact()
            await Self.view(h, "sales").expectExact()
            let salesState = (h.statePath as NSString).deletingLastPathComponent + "/lists/sales.db"
            #expect(FileManager.default.fileExists(atPath: salesState), "a named list keeps its own state")
            #expect(try StateStore(path: salesState).managedContactCount() > 0)

            // Someone moving out of Sales: updated in the directory folder, gone from the Sales one.
            let ids = await h.expectedSources().filter { $0["department"]?.stringValue == "Sales" }.map { $0["id"]!.stringValue! }
            try await h.sim.updateUser(try #require(ids.first), ["department": "Finance"])
            // One of two Sales people leaving is half of that list's contacts: the guard's business
            // (per list), let through here.
            // Refused before any list writes: the directory list's update waits too.
            await h.sim.resetCounters()
            await #expect(throws: SyncError.self) { try await h.sync() }
            #expect(await h.counters()["contactWrites"] == 0)
            let changed = try await h.sync { $0.allowMassDelete = true }
            #expect(changed.exitStatus == .ok && changed.deleted > 0 && changed.updated > 0)
            await Self.view(h, "directory").expectExact()
            await Self.view(h, "sales").expectExact()

            await h.sim.resetCounters()
            let idle = try await h.sync()
            #expect(idle.created + idle.updated + idle.deleted == 0)
            let c = await h.counters()
            #expect(c["totalRequests"] == 1, "one directory read serves both lists: \(c["requests"]!)")
        }
    }

    /// An install synced before lists, then given `[[list]]` with a list on its folder: that
    /// list keeps the state and writes nothing; only the new list writes.
    @Test func addingListsToAnInstallWritesNothingForItsFolder() async throws {
        try await SyncHarness.with(users: 30) { h in
            try await h.sync()
            try Self.twoLists(&h.config)
            await h.sim.resetCounters()
            let s = try await h.sync()
            let salesOnly = try StateStore(path: (h.statePath as NSString).deletingLastPathComponent + "/lists/sales.db").managedContactCount()
            #expect(s.exitStatus == .ok && s.created == salesOnly && s.updated == 0 && s.deleted == 0, "\(s.text)")
            // The home list kept its state: every mailbox of it planned from the changes (none listed).
            #expect(s.plannedFromChanges == (await h.expectedTargets()).count, "\(s.plannedFromChanges) planned from the changes")
            await Self.view(h, "directory").expectExact()
            await Self.view(h, "sales").expectExact()
        }
    }

    /// Lists left `sync.folder` to none of them: the earlier contacts there are removed, under
    /// the mass-delete guard (never silently abandoned).
    @Test func aFolderNoListKeepsIsEmptiedUnderTheGuard() async throws {
        try await SyncHarness.with(users: 30) { h in
            let first = try await h.sync()
            var sales = ContactList(name: "sales", folder: "Sales Team", directory: h.config.directory, mailboxes: h.config.mailboxes)
            sales.directory.where = try Self.salesRule()
            h.config.lists = [sales]
            await #expect(throws: SyncError.self) { try await h.sync() }
            let s = try await h.sync { $0.allowMassDelete = true }
            #expect(s.exitStatus == .ok && s.deleted == first.created)
            for owner in await h.expectedTargets() {
                let box = await h.sim.mailboxState(owner)
                #expect(!(box["folders"]?.arrayValue ?? []).contains { $0["displayName"]?.stringValue == "Company Directory" }, "the old folder is removed once empty")
            }
            await Self.view(h, "sales").expectExact()
        }
    }
}

extension ContactListTests {
    /// `purge --list sales`: that list's contacts and folder go; the other list is untouched.
    @Test func purgingOneListLeavesTheOthersContacts() async throws {
        try await SyncHarness.with(users: 30) { h in
            try Self.twoLists(&h.config)
            try await h.sync()
            let rt = try GalsyncRuntime.make(h.config, environment: [:])
            let home = try StateStore(path: h.statePath)
            let lists = try KeptLists.named("sales", in: KeptLists.all(h.config, home: home))
            #expect(lists.map(\.name) == ["sales"])
            let store = try #require(try KeptLists.state(of: lists[0], h.config, home: home, readOnly: false))
            let held = try store.managedContactCount()
            let s = try await Purge(config: h.config.keeping(lists[0]), graph: rt.graph, store: store, directory: home).run(mailboxes: nil)
            #expect(s.exitStatus == .ok && s.deleted == held && held > 0)
            #expect(try store.managedContactCount() == 0)
            for owner in await h.expectedTargets() {
                let box = await h.sim.mailboxState(owner)
                #expect(!(box["folders"]?.arrayValue ?? []).contains { $0["displayName"]?.stringValue == "Sales Team" })
            }
            await Self.view(h, "directory").expectExact()
            #expect(throws: ConfigurationError.self) { try KeptLists.named("vendors", in: KeptLists.all(h.config, home: home)) }
        }
    }
}

extension ContactListTests {
    /// The tenant's mail contacts are read when one list wants them, and reach only that list.
    @Test func mailContactsReachOnlyTheListThatIncludesThem() async throws {
        try await SyncHarness.with(users: 24) { h in
            try await h.sim.setRoles(clientId: SimulatedInstall.clientId, OrgContactTests.roles)
            _ = await OrgContactTests.seed(h)
            var partners = h.config.directory
            partners.includeOrgContacts = true
            h.config.lists = [ContactList(name: "directory", folder: h.config.sync.folder, directory: partners, mailboxes: h.config.mailboxes),
                              ContactList(name: "staff", folder: "Staff Only", directory: h.config.directory, mailboxes: h.config.mailboxes)]
            let s = try await h.sync()
            #expect(s.exitStatus == .ok)
            await Self.view(h, "directory").expectExact()
            await Self.view(h, "staff").expectExact()
        }
    }
}

extension ContactListTests {
    /// A list taken out of the configuration: its contacts go (under the guard), then its
    /// state holds nothing and it is no longer dealt with.
    @Test func aListTakenOutOfTheConfigurationIsEmptiedUnderTheGuard() async throws {
        try await SyncHarness.with(users: 30) { h in
            try Self.twoLists(&h.config)
            try await h.sync()
            let salesState = try StateStore(path: (h.statePath as NSString).deletingLastPathComponent + "/lists/sales.db")
            let held = try salesState.managedContactCount()
            h.config.lists.removeLast()
            await #expect(throws: SyncError.self) { try await h.sync() }
            let s = try await h.sync { $0.allowMassDelete = true }
            #expect(s.exitStatus == .ok && s.deleted == held && held > 10, "\(s.text)")
            #expect(try salesState.mailboxes().isEmpty)
            #expect(try KeptLists.all(h.config, home: StateStore(path: h.statePath)).map(\.name) == ["directory"])
            await Self.view(h, "directory").expectExact()
        }
    }

    /// A list on the folder an earlier configuration's contacts are still in (not as the list
    /// that keeps that state) would delete what it adopts: refused, with what to do.
    @Test func aListOnARetiredFolderIsRefused() async throws {
        try await SyncHarness.with(users: 20) { h in
            try await h.sync()
            h.config.lists = [ContactList(name: "vendors", folder: "company directory", source: .mailbox(mailbox: "contacts@contoso.com", folder: "Vendors"),
                                          directory: h.config.directory, mailboxes: h.config.mailboxes)]
            await h.sim.resetCounters()
            let error = await #expect(throws: SyncError.self) { try await h.sync() }
            #expect("\(error!)".contains("list 'vendors' uses the folder 'company directory'"), "\(error!)")
            #expect(await h.counters()["contactWrites"] == 0)
        }
    }
}
