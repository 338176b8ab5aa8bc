import Foundation
import GalsyncConfig
@testable import GalsyncCore
import GalsyncJSON
import GalsyncPlan
@testable import GraphSimulator
import Testing

/// `[contact.fields]` end to end: a mapping added to an install updates each contact once and
/// then nothing; `create_only` is written once; the field catalog is Graph's.
@Suite struct ContactContentTests {
    /// The product's catalog and the simulator's CSDL-generated schema name the same writable properties.
    @Test func theFieldCatalogIsTheContactTypeOfGraphsMetadata() {
        let schema = ContactSchema.entityTypes["contact"] ?? [:]
        let writable = Set(schema.keys).subtracting(ContactSchema.readOnly).subtracting(["parentFolderId"])
        #expect(Set(ContactPropertyCatalog.kinds.keys) == writable)
        for (name, kind) in ContactPropertyCatalog.kinds {
            let type = schema[name]
            let expected: String = switch kind {
            case .text: "Edm.String"
            case .texts: "Collection(Edm.String)"
            case .emails: "Collection(graph.emailAddress)"
            case .address: "graph.physicalAddress"
            case .dateTime: "Edm.DateTimeOffset"
            case .email: "graph.emailAddress"
            }
            #expect(type == expected, "\(name)")
        }
    }

    static func contacts(_ h: SyncHarness) async -> [JSONValue] {
        var all: [JSONValue] = []
        for owner in await h.expectedTargets() {
            all += (await h.sim.mailboxState(owner))["contacts"]?.arrayValue?.filter { $0["extendedProperties"]?[SyncHarness.tag] != nil } ?? []
        }
        return all
    }

    @Test func aMappingAddedToAnInstallUpdatesEachContactOnceThenNothing() async throws {
        try await SyncHarness.with(users: 16) { h in
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.created > 0)
            await h.sim.resetCounters()
            let unchanged = try await h.sync()
            #expect(unchanged.created + unchanged.updated + unchanged.deleted == 0, "without [contact.fields] nothing changes")

            h.config.contact.fields = [
                "nickName": ContactFieldRule(from: ["mailNickname"], fromKind: .text),
                "initials": ContactFieldRule(from: ["employeeId"], fromKind: .text),
            ]
            let mapped = try await h.sync()
            #expect(mapped.exitStatus == .ok && mapped.created == 0 && mapped.deleted == 0 && mapped.updated == first.created, "\(mapped.text)")
            for c in await Self.contacts(h) {
                let user = await h.sim.user(c["extendedProperties"]![SyncHarness.tag]!.stringValue!)?.properties ?? [:]
                #expect(c["nickName"] == user["mailNickname"] && c["initials"] == (user["employeeId"] ?? .null), "\(c)")
            }
            await h.sim.resetCounters()
            let idle = try await h.sync()
            #expect(idle.created + idle.updated + idle.deleted == 0)
            #expect(await h.counters()["contactWrites"] == 0)

            // A reconcile lists the new fields and finds every contact as it should be.
            let reconcile = try await h.sync { $0.forceReconcile = true }
            #expect(reconcile.updated == 0, "\(reconcile.text)")
        }
    }

    @Test func aCreateOnlyFieldIsWrittenOnceAndNeverAfter() async throws {
        try await SyncHarness.with(users: 12) { h in
            h.config.contact.fields = ["nickName": ContactFieldRule(from: ["mailNickname"], fromKind: .text, policy: .createOnly)]
            let first = try await h.sync()
            #expect(first.exitStatus == .ok && first.created > 0)
            let someone = try #require(await Self.contacts(h).first?["extendedProperties"]?[SyncHarness.tag]?.stringValue)
            let nick = try #require(await h.sim.user(someone)?.properties["mailNickname"])
            #expect(await Self.contacts(h).filter { $0["extendedProperties"]?[SyncHarness.tag]?.stringValue == someone }.allSatisfy { $0["nickName"] == nick })

            try await h.sim.updateUser(someone, ["mailNickname": "renamed", "jobTitle": "Chief Renamer"])
            let changed = try await h.sync()
            let copies = await Self.contacts(h).filter { $0["extendedProperties"]?[SyncHarness.tag]?.stringValue == someone }
            #expect(changed.updated == copies.count, "the jobTitle change updates each copy")
            #expect(copies.allSatisfy { $0["nickName"] == nick && $0["jobTitle"] == "Chief Renamer" }, "the nickName stays as created")
            let reconcile = try await h.sync { $0.forceReconcile = true }
            #expect(reconcile.updated == 0, "a reconcile does not see a create_only field as a difference")
        }
    }

    /// `user`'s contact in `owner`'s mailbox.
    static func contact(_ h: SyncHarness, _ owner: String, of user: String) async -> JSONValue? {
        (await h.sim.mailboxState(owner))["contacts"]?.arrayValue?.first { $0["extendedProperties"]?[SyncHarness.tag]?.stringValue == user }
    }

    /// Two mailboxes and a user whose contact both hold.
    static func pick(_ h: SyncHarness) async throws -> (edited: String, other: String, user: String) {
        let targets = await h.expectedTargets()
        let edited = try #require(targets.first), other = try #require(targets.dropFirst().first)
        let users = Set((await h.sim.mailboxState(edited))["contacts"]?.arrayValue?.compactMap { $0["extendedProperties"]?[SyncHarness.tag]?.stringValue } ?? [])
        let user = try #require(await Self.contact(h, other, of: users.sorted().first { $0 != other } ?? "")?["extendedProperties"]?[SyncHarness.tag]?.stringValue)
        return (edited, other, user)
    }

    static func getItems(_ h: SyncHarness) async -> Int {
        let items = (await h.counters())["batchItems"]?["GET /users/{id}/contacts/{id}"]?.objectValue ?? [:]
        return items.values.reduce(0) { $0 + Int($1.numberValue ?? 0) }
    }

    @Test func anOwnersEditOfAKeepEditsFieldSurvivesTheDirectoryAndReconciles() async throws {
        try await SyncHarness.with(users: 16) { h in
            h.config.contact.fields = ["mobilePhone": ContactFieldRule(policy: .keepEdits)]
            #expect(try await h.sync().exitStatus == .ok)
            let (edited, other, user) = try await Self.pick(h)
            let mine = try #require(await Self.contact(h, edited, of: user)?["id"]?.stringValue)
            try await h.sim.ownerEditsContact(mailbox: edited, contactId: mine, properties: ["mobilePhone": "+1 555 0100 (home)", "jobTitle": "Owner's title"])

            // An overwrite field's change costs what it costs today: no read.
            await h.sim.resetCounters()
            try await h.sim.updateUser(user, ["department": "Finance"])
            let overwrite = try await h.sync()
            let overwriteReads = await Self.getItems(h)
            #expect(overwrite.updated > 0 && overwriteReads == 0, "\(overwrite.text)")

            // The directory changes the keep_edits field: every mailbox gets it but the owner's.
            await h.sim.resetCounters()
            try await h.sim.updateUser(user, ["mobilePhone": "+44 7700 900777"])
            let changed = try await h.sync()
            #expect(changed.exitStatus == .ok && changed.updated > 1, "\(changed.text)")
            let reads = await Self.getItems(h)
            #expect(reads == changed.updated + 1, "one read per update of the field, no more; the owner's mailbox is read and not written")
            #expect(await Self.contact(h, edited, of: user)?["mobilePhone"] == "+1 555 0100 (home)")
            #expect(await Self.contact(h, other, of: user)?["mobilePhone"] == "+44 7700 900777")

            // A reconcile restores the owner's overwrite-field edit and leaves the keep_edits one.
            let reconcile = try await h.sync { $0.forceReconcile = true }
            #expect(reconcile.updated == 1, "\(reconcile.text)")
            let after = await Self.contact(h, edited, of: user)
            #expect(after?["mobilePhone"] == "+1 555 0100 (home)" && after?["jobTitle"] != "Owner's title")
            let again = try await h.sync { $0.forceReconcile = true }
            #expect(again.updated == 0, "nothing left to do: \(again.text)")

            // The owner clears it: that is the owner's too.
            try await h.sim.ownerEditsContact(mailbox: edited, contactId: mine, properties: ["mobilePhone": .null])
            try await h.sim.updateUser(user, ["mobilePhone": "+44 7700 900888"])
            _ = try await h.sync()
            #expect(await Self.contact(h, edited, of: user)?["mobilePhone"] == .null)
            #expect(await Self.contact(h, other, of: user)?["mobilePhone"] == "+44 7700 900888")

            // Once the owner's value is the directory's, the field is galsync's again.
            try await h.sim.ownerEditsContact(mailbox: edited, contactId: mine, properties: ["mobilePhone": "+44 7700 900888"])
            _ = try await h.sync { $0.forceReconcile = true }
            try await h.sim.updateUser(user, ["mobilePhone": "+44 7700 900999"])
            _ = try await h.sync()
            #expect(await Self.contact(h, edited, of: user)?["mobilePhone"] == "+44 7700 900999")
        }
    }

    @Test func galsyncsNotesKeepTheOwnersTextAndCategoriesTheOwnersOwn() async throws {
        try await SyncHarness.with(users: 12) { h in
            h.config.contact.notes = try NotesTemplate("Employee ID: {employeeId}")
            h.config.contact.categories = ["Company Directory"]
            #expect(try await h.sync().exitStatus == .ok)
            let (edited, other, user) = try await Self.pick(h)
            let employeeId = try #require(await h.sim.user(user)?.properties["employeeId"]?.stringValue)
            let first = await Self.contact(h, other, of: user)
            #expect(first?["personalNotes"] == .string(PersonalNotes.wrapped("Employee ID: \(employeeId)")) && first?["categories"] == ["Company Directory"])

            // The owner writes above and below galsync's part and adds a category.
            let mine = try #require(await Self.contact(h, edited, of: user)?["id"]?.stringValue)
            let owned = "Met at the fair\n" + PersonalNotes.wrapped("Employee ID: \(employeeId)") + "\nCall after 3"
            try await h.sim.ownerEditsContact(mailbox: edited, contactId: mine, properties: ["personalNotes": .string(owned), "categories": ["Company Directory", "Family"]])
            let reconcile = try await h.sync { $0.forceReconcile = true }
            #expect(reconcile.updated == 0, "the owner's text and category are no difference: \(reconcile.text)")

            try await h.sim.updateUser(user, ["employeeId": "E99999"])
            _ = try await h.sync()
            let now = await Self.contact(h, edited, of: user)
            #expect(now?["personalNotes"] == .string("Met at the fair\n" + PersonalNotes.wrapped("Employee ID: E99999") + "\nCall after 3"))
            #expect(now?["categories"] == ["Company Directory", "Family"])

            // The owner deletes the markers: galsync's part comes back after the owner's text.
            try await h.sim.ownerEditsContact(mailbox: edited, contactId: mine, properties: ["personalNotes": "Only mine", "categories": ["Family"]])
            let repaired = try await h.sync { $0.forceReconcile = true }
            #expect(repaired.updated == 1, "\(repaired.text)")
            let back = await Self.contact(h, edited, of: user)
            #expect(back?["personalNotes"] == .string("Only mine\n\n" + PersonalNotes.wrapped("Employee ID: E99999")))
            #expect(back?["categories"] == ["Family", "Company Directory"])
        }
    }

    /// The drift check (every cycle here) sees the owner's edits: an overwrite field's is
    /// repaired at once, a keep_edits field's is no difference.
    @Test func theDriftCheckRepairsOverwriteFieldsAndLeavesKeepEditsOnes() async throws {
        try await SyncHarness.with(users: 12, { $0.sync.driftCheck = 0 }) { h in
            h.config.contact.fields = ["mobilePhone": ContactFieldRule(policy: .keepEdits)]
            #expect(try await h.sync().exitStatus == .ok)
            _ = try await h.sync()  // the drift check's first round
            let (edited, _, user) = try await Self.pick(h)
            let mine = try #require(await Self.contact(h, edited, of: user)?["id"]?.stringValue)
            try await h.sim.ownerEditsContact(mailbox: edited, contactId: mine, properties: ["mobilePhone": "+1 555 0100 (home)"])
            let kept = try await h.sync()
            #expect(kept.updated == 0, "\(kept.text)")
            try await h.sim.ownerEditsContact(mailbox: edited, contactId: mine, properties: ["jobTitle": "Owner's title"])
            let repaired = try await h.sync()
            #expect(repaired.updated == 1, "\(repaired.text)")
            let now = await Self.contact(h, edited, of: user)
            #expect(now?["mobilePhone"] == "+1 555 0100 (home)" && now?["jobTitle"] != "Owner's title")
        }
    }

    /// A contact whose current fields could not be read is not written blind: its update waits
    /// for the next cycle, which reads and writes it.
    @Test func anUpdateWhoseCurrentFieldsCannotBeReadWaits() async throws {
        try await SyncHarness.with(users: 8) { h in
            h.config.contact.fields = ["mobilePhone": ContactFieldRule(policy: .keepEdits)]
            #expect(try await h.sync().exitStatus == .ok)
            let (edited, other, user) = try await Self.pick(h)
            let mine = try #require(await Self.contact(h, edited, of: user)?["id"]?.stringValue)
            try await h.sim.ownerEditsContact(mailbox: edited, contactId: mine, properties: ["mobilePhone": "+1 555 0100 (home)"])
            try await h.sim.updateUser(user, ["mobilePhone": "+44 7700 900777"])
            for _ in 0..<100 {
                await h.sim.queueResponse(route: "GET /users/{id}/contacts/{id}", status: 503,
                                          body: Data(#"{"error":{"code":"ServiceUnavailable","message":"Try again."}}"#.utf8))
            }
            let failed = try await h.sync()
            #expect(failed.updated == 0 && failed.exitStatus != .ok, "\(failed.text)")
            #expect(await Self.contact(h, edited, of: user)?["mobilePhone"] == "+1 555 0100 (home)")
            await h.sim.clearCannedResponses()
            let next = try await h.sync()
            #expect(next.exitStatus == .ok && next.updated > 0, "\(next.text)")
            #expect(await Self.contact(h, edited, of: user)?["mobilePhone"] == "+1 555 0100 (home)")
            #expect(await Self.contact(h, other, of: user)?["mobilePhone"] == "+44 7700 900777")
        }
    }

    /// `phone_format` turned on: each contact is updated once, to numbers a phone's caller ID
    /// matches; a number that does not parse is written as it is; then nothing.
    @Test func turningPhoneFormatOnUpdatesEachContactOnce() async throws {
        try await SyncHarness.with(users: 16) { h in
            let first = try await h.sync()
            let someone = try #require(await Self.contacts(h).first { $0["businessPhones"]?.arrayValue?.isEmpty == false }?["extendedProperties"]?[SyncHarness.tag]?.stringValue)
            try await h.sim.updateUser(someone, ["businessPhones": ["(425) 555-0199 x12"], "mobilePhone": "reception", "usageLocation": "US"])
            _ = try await h.sync()
            h.config.contact.phoneFormat = .e164
            let formatted = try await h.sync()
            #expect(formatted.exitStatus == .ok && formatted.updated > first.created / 2 && formatted.created == 0, "\(formatted.text)")
            var numbers: [String] = []
            for c in await Self.contacts(h) {
                numbers += (c["businessPhones"]?.arrayValue ?? []).compactMap(\.stringValue)
                if let m = c["mobilePhone"]?.stringValue { numbers.append(m) }
            }
            let loose = numbers.filter { n in n != "reception" && !n.hasSuffix(" ext. 12") && (!n.hasPrefix("+") || n.contains(" ")) }
            #expect(!numbers.isEmpty && loose.isEmpty, "\(loose)")
            let mine = await Self.contacts(h).filter { $0["extendedProperties"]?[SyncHarness.tag]?.stringValue == someone }
            let phones = mine.map { $0["businessPhones"] ?? .null }, mobiles = mine.map { $0["mobilePhone"] ?? .null }
            #expect(!mine.isEmpty && phones.allSatisfy { $0 == ["+14255550199 ext. 12"] } && mobiles.allSatisfy { $0 == "reception" }, "\(phones) \(mobiles)")
            await h.sim.resetCounters()
            let idle = try await h.sync { $0.forceReconcile = true }
            #expect(idle.updated + idle.created + idle.deleted == 0, "formatted once, then no difference: \(idle.text)")
        }
    }

    /// `check` prints each list's mapping, and warns about a mapped field phones never show.
    @Test func checkPrintsTheMappingAndWarnsAboutFieldsPhonesDoNotShow() {
        var c = Configuration(tenant: .init(id: "contoso.onmicrosoft.com", clientId: "c", certificate: "/dev/null"))
        c.mailboxes.all = true
        c.sync.state = "/nonexistent/state.db"
        c.contact.fields = ["initials": ContactFieldRule(from: ["employeeId"], fromKind: .text), "nickName": ContactFieldRule(from: ["mailNickname"], fromKind: .text)]
        let vendors = ContactList(name: "vendors", folder: "Vendors", source: .mailbox(mailbox: "contacts@contoso.com", folder: "Vendors"), mailboxes: c.mailboxes)
        var withList = c
        withList.lists = [ContactList(name: "directory", folder: c.sync.folder, directory: c.directory, mailboxes: c.mailboxes, contact: c.contact), vendors]
        let steps = Preflight.fieldSteps(withList)
        #expect(steps.map(\.name) == ["list directory fields", "list vendors fields"])
        #expect(steps[0].outcome == .warn && steps[0].detail.contains("initials ← employeeId") && steps[0].detail.contains("nickName ← mailNickname"))
        #expect(steps[0].fix?.contains("MS-ASCNTC") == true)
        #expect(steps[1].outcome == .pass && steps[1].detail == "a copy of each source contact: 33 contact properties", "a copy's own initials are no warning")
        c.contact.fields = [:]
        #expect(Preflight.fieldSteps(c).map(\.outcome) == [.pass])
        // A copy list that inherits [contact] with notes and a mapping: what does not apply is named.
        var inherited = withList
        inherited.contact.notes = try? NotesTemplate("ID: {employeeId}")
        inherited.lists[1].contact = inherited.contact
        inherited.lists[1].contact.fields = ["nickName": ContactFieldRule(from: ["mailNickname"], fromKind: .text)]
        let copy = Preflight.fieldSteps(inherited)[1]
        #expect(copy.outcome == .warn && copy.fix == "notes, nickName's from from [contact] do not apply to a copy (it carries its source contact's own): give this list its own [list.contact]", "\(copy.fix ?? "")")
    }

    /// With phone_format, `check` counts the snapshot's numbers that do not parse.
    @Test func checkCountsTheNumbersThatDoNotParse() async throws {
        try await SyncHarness.with(users: 8) { h in
            h.config.contact.phoneFormat = .e164
            #expect(Preflight.phoneSteps(h.config).first?.detail.contains("after the first sync") == true)
            _ = try await h.sync()
            let ok = try #require(Preflight.phoneSteps(h.config).first)
            #expect(ok.outcome == .pass && ok.detail.hasPrefix("all "), "\(ok.detail)")
            let someone = try #require(await h.sim.allUserIds.first)
            try await h.sim.updateUser(someone, ["mobilePhone": "ask reception", "usageLocation": .null, "country": .null, "businessPhones": []])
            _ = try await h.sync()
            let warned = try #require(Preflight.phoneSteps(h.config).first)
            #expect(warned.outcome == .warn && warned.detail.hasPrefix("1 of ") && warned.detail.hasSuffix("first: 'ask reception'"), "\(warned.detail)")
        }
    }

    /// A changed table whose values are all the same (a field mapped from a property no one
    /// has) plans updates by hash, and sends none: the mailbox already holds every contact.
    @Test func aTableChangeThatChangesNoValueWritesNothing() async throws {
        try await SyncHarness.with(users: 12) { h in
            #expect(try await h.sync().exitStatus == .ok)
            h.config.contact.fields = ["nickName": ContactFieldRule(from: ["preferredLanguage"], fromKind: .text)]
            await h.sim.resetCounters()
            let s = try await h.sync()
            #expect(s.exitStatus == .ok && s.updated == 0 && s.created == 0, "\(s.text)")
            #expect(await h.counters()["contactWrites"] == 0)
            let again = try await h.sync { $0.forceReconcile = true }
            let writes = await h.counters()["contactWrites"]
            #expect(again.updated == 0 && writes == 0, "\(again.text)")
        }
    }

    /// Categories changed in the configuration: a full reconcile takes galsync's old one off
    /// every contact and keeps the owner's.
    @Test func aCategoryNoLongerConfiguredIsTakenOffAtAReconcile() async throws {
        try await SyncHarness.with(users: 8) { h in
            h.config.contact.categories = ["Company Directory"]
            #expect(try await h.sync().exitStatus == .ok)
            let (edited, other, user) = try await Self.pick(h)
            let mine = try #require(await Self.contact(h, edited, of: user)?["id"]?.stringValue)
            try await h.sim.ownerEditsContact(mailbox: edited, contactId: mine, properties: ["categories": ["Company Directory", "Family"]])
            h.config.contact.categories = ["Staff"]
            let changed = try await h.sync { $0.forceReconcile = true }
            #expect(changed.exitStatus == .ok && changed.updated > 0, "\(changed.text)")
            let editedNow = await Self.contact(h, edited, of: user)?["categories"]
            #expect(editedNow == ["Family", "Staff"], "\(String(describing: editedNow))")
            #expect(await Self.contact(h, other, of: user)?["categories"] == ["Staff"])
        }
    }

    /// A contact the owner deleted, whose keep_edits field the directory changes: the read finds
    /// it gone, and the update re-creates it (it is not taken for one with nothing to write).
    @Test func aDeletedContactWhoseKeepEditsFieldChangesComesBack() async throws {
        try await SyncHarness.with(users: 8) { h in
            h.config.contact.fields = ["mobilePhone": ContactFieldRule(policy: .keepEdits)]
            #expect(try await h.sync().exitStatus == .ok)
            let (edited, _, user) = try await Self.pick(h)
            try await h.sim.updateUser(user, ["mobilePhone": "+44 7700 900111"])
            _ = try await h.sync()
            let mine = try #require(await Self.contact(h, edited, of: user)?["id"]?.stringValue)
            try await h.sim.ownerDeletesContact(mailbox: edited, contactId: mine)
            try await h.sim.updateUser(user, ["mobilePhone": "+44 7700 900321"])
            let s = try await h.sync()
            #expect(s.exitStatus == .ok, "\(s.text)")
            #expect(await Self.contact(h, edited, of: user)?["mobilePhone"] == "+44 7700 900321", "made again, with the directory's value")
        }
    }

    /// A read of current fields throttled (429 with Retry-After) is retried after the wait, and
    /// the cycle writes the update.
    @Test func aThrottledReadOfCurrentFieldsIsRetriedAfterTheWait() async throws {
        try await SyncHarness.with(users: 8) { h in
            h.config.contact.fields = ["mobilePhone": ContactFieldRule(policy: .keepEdits)]
            #expect(try await h.sync().exitStatus == .ok)
            let (_, other, user) = try await Self.pick(h)
            try await h.sim.updateUser(user, ["mobilePhone": "+44 7700 900654"])
            for _ in 0..<4 {
                await h.sim.queueResponse(route: "GET /users/{id}/contacts/{id}", status: 429,
                                          body: Data(#"{"error":{"code":"ApplicationThrottled","message":"Application is over its MailboxConcurrency limit."}}"#.utf8),
                                          headers: ["Content-Type": "application/json", "Retry-After": "1"])
            }
            let s = try await h.sync()
            #expect(s.exitStatus == .ok && s.throttled >= 4, "\(s.text)")
            #expect(await Self.contact(h, other, of: user)?["mobilePhone"] == "+44 7700 900654")
        }
    }
}
