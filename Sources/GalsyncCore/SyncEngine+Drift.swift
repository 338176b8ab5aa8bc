import Foundation
import GalsyncJSON
import GalsyncPlan
import GraphClient
import Logging
import SyncStore

/// Step 2½ of a cycle, every `sync.drift_check`: each managed folder's contacts delta, and the
/// state corrected to what its owner did, so that planning repairs exactly that.
extension SyncEngine {
    /// True when a drift check is due this cycle: never in `plan` (which changes nothing), nor
    /// when a full reconcile lists every mailbox anyway.
    func driftCheckDue(_ options: Options) throws -> Bool {
        guard !options.planOnly, !options.forceReconcile else { return false }
        let reconciled = try store.meta("last_full_reconcile").flatMap(Double.init)
        guard let reconciled, now().timeIntervalSince1970 - reconciled < config.sync.fullReconcile else { return false }
        guard let last = try store.meta("last_drift_check").flatMap(Double.init) else { return true }
        return now().timeIntervalSince1970 - last >= config.sync.driftCheck
    }

    /// Asks the folders of `targets` in state `ok` what changed since their deltaLinks, and
    /// corrects the state: a managed contact gone is forgotten (the plan makes it again), one
    /// whose fields differ gets what the mailbox holds as its last written value (the plan
    /// writes it again), a contact the state does not know in galsync's own folder, an expired
    /// link or a missing folder makes the mailbox be listed. A mailbox with any of these is
    /// planned in full from the corrected state (the store forgets `mailbox.applied` with each
    /// of these changes).
    func checkDrift(_ targets: Set<String>) async throws -> CycleSummary.DriftSummary {
        let records = try store.mailboxes()
        // A link made with another `$select` (the fields' table changed) would not report edits
        // of the new fields: every folder starts a fresh round.
        let select = fieldTable.selectedKeys.joined(separator: ",")
        if (try store.meta("drift_select") ?? ContactFieldTable.standard.selectedKeys.joined(separator: ",")) != select {
            try store.restartContactDelta(select: select)
        }
        let links = try store.contactDeltaLinks()
        let folders: [DriftCheck.Folder] = targets.sorted().compactMap { owner in
            guard let r = records[owner], r.state == "ok", let folderId = r.folderId else { return nil }
            return .init(owner: owner, contactsPath: mailboxSync(owner).contactsPath(folderId), link: links[owner])
        }
        var summary = CycleSummary.DriftSummary()
        summary.checked = folders.count
        // Folders with a link answer with their changes (an idle one: an empty page), all in one
        // run; a first round returns every contact of the folder, held until the round ends, so
        // those go `firstRounds` folders at a time, each group applied before the next.
        let check = DriftCheck(graph: graph, width: max(1, min(16, config.sync.concurrency / 4)), fields: fieldTable.selectedKeys)
        let linked = folders.filter { $0.link != nil }, fresh = folders.filter { $0.link == nil }
        var groups = linked.isEmpty ? [] : [linked]
        groups += stride(from: 0, to: fresh.count, by: Self.firstRounds).map { Array(fresh[$0..<min($0 + Self.firstRounds, fresh.count)]) }
        for group in groups { try apply(try await check.run(group), to: &summary) }
        try store.setMeta("last_drift_check", String(now().timeIntervalSince1970))
        logger.info("drift check: \(summary.checked) mailboxes, \(summary.edited) contacts edited and \(summary.gone) removed by their owners, \(summary.listed) mailboxes to list")
        return summary
    }

    /// Folders asked for their first round at once (each returns all its contacts).
    static let firstRounds = 40

    /// Corrects the state from one group's findings.
    func apply(_ findings: [String: DriftCheck.Finding], to summary: inout CycleSummary.DriftSummary) throws {
        for owner in findings.keys.sorted() {
            let f = findings[owner]!
            if f.folderMissing {
                try store.setContactDeltaLink(owner, nil)
                try store.setMailbox(owner, folderId: .some(nil), state: "new", reason: "the drift check found the folder gone")
                summary.listed += 1
                continue
            }
            if f.expired {
                try store.setContactDeltaLink(owner, nil)
                try store.setMailbox(owner, state: "verify", reason: "its contacts delta expired: listed instead")
                summary.listed += 1
                continue
            }
            if let failure = f.failure {
                let name = try directory.people([owner])[owner]
                var fields: Logger.Metadata = ["mailbox": "\(owner)"]
                if let upn = name?.upn { fields["mailbox_upn"] = "\(upn)" }
                logger.warning("drift check of \(name?.handle ?? owner) did not finish: \(failure); the next check tries again", metadata: fields)
                continue
            }
            guard let link = f.link else { continue }
            guard f.complete || !f.changed.isEmpty || !f.removed.isEmpty else {
                try store.setContactDeltaLink(owner, link)
                continue
            }
            let known = try store.managedContacts(owner)
            let byContact = Dictionary(known.values.map { ($0.contactId, $0) }, uniquingKeysWith: { a, _ in a })
            var result = StateStore.BatchResult()
            var unknown = 0
            for (id, contact) in f.changed {
                guard let managed = byContact[id] else { unknown += 1; continue }
                let recorded = fieldTable.comparesWithRecord ? try recordedFields.values(hash: managed.hash, table: fieldTable, store: store) : nil
                let now = ContactProjection.fromListed(userId: managed.userId, contact: contact, table: fieldTable, recorded: recorded)
                guard now.hash != managed.hash else { continue }  // galsync's own write, or no managed field changed
                result.written.append((.init(userId: managed.userId, contactId: id, hash: now.hash), String(decoding: now.json, as: UTF8.self), nil))
            }
            var gone = f.removed
            if f.complete { gone.formUnion(byContact.keys.filter { f.changed[$0] == nil }) }  // a first round holds every contact
            for id in gone { if let managed = byContact[id] { result.deleted.append((managed.userId, id)) } }
            try store.record(owner: owner, result)
            try store.setContactDeltaLink(owner, link)
            summary.edited += result.written.count
            summary.gone += result.deleted.count
            // In the default Contacts folder the owner's own contacts are expected; in galsync's
            // folder a contact it does not know may be a create whose answer was lost.
            let relist = unknown > 0 && !config.sync.folder.isEmpty
            if relist {
                try store.setMailbox(owner, state: "verify", reason: "the drift check found \(unknown) contacts galsync does not know in its folder")
                summary.listed += 1
            }
        }
    }
}
