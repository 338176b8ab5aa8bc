import Foundation
import GalsyncConfig
import GalsyncPlan
import GalsyncSources
import GalsyncWriter
import GraphClient
import GraphHTTP
import SyncStore

/// The full reconcile's check of the photos galsync put on contacts (see `SyncEngine+Photos.swift`).
extension SyncEngine {
    /// At a full reconcile: reads the metadata of every photo galsync put on a contact it still
    /// manages (one `$batch` item each, the mailboxes interleaved so that no mailbox has more
    /// than a few in flight) and compares its ETag with the one the last reconcile saw. A photo
    /// the owner removed (404) or replaced (another ETag) is put back under `overwrite` (the
    /// upload pass that follows writes it) and left to the owner under `keep_edits`. The first
    /// ETag seen after an upload is taken as galsync's.
    func checkPlacedPhotos(policy: ContactFieldRule.Policy, skipping failed: Set<String>, summary: inout CycleSummary.PhotoSummary) async throws {
        let owners = try store.mailboxes().keys.filter { !failed.contains($0) }.sorted()
        for wave in stride(from: 0, to: owners.count, by: Self.photoWave) {
            try await checkPlacedPhotos(owners: Array(owners[wave..<min(wave + Self.photoWave, owners.count)]), policy: policy, summary: &summary)
        }
    }

    /// One wave of mailboxes of `checkPlacedPhotos`.
    func checkPlacedPhotos(owners: [String], policy: ContactFieldRule.Policy, summary: inout CycleSummary.PhotoSummary) async throws {
        let byOwner = Dictionary(grouping: try store.placedPhotos(owners: owners), by: \.owner)
        guard !byOwner.isEmpty else { return }
        // Round-robin over the mailboxes: the n-th photo of each, then the (n+1)-th…
        var placed: [StateStore.PlacedPhoto] = []
        let holders = byOwner.keys.sorted()
        for n in 0..<(byOwner.values.map(\.count).max() ?? 0) {
            for owner in holders where n < byOwner[owner]!.count { placed.append(byOwner[owner]![n]) }
        }
        progress.phase("checking \(placed.count) photos on contacts")
        var seen: [StateStore.PlacedPhoto] = [], putBack: [StateStore.PlacedPhoto] = [], owners2: [StateStore.PlacedPhoto] = []
        var changed: [StateStore.PlacedPhoto] = []
        // Each answer is looked at as its batch comes back (not answered: the next reconcile).
        try await BatchedGets(graph: graph, retry: retry).fetch(placed.enumerated().map { i, p in
            (String(i), "/users/\(GraphPath.segment(p.owner))/contacts/\(GraphPath.segment(p.contactId))/photo")
        }, perBatch: 20) { key, a in
            guard let i = Int(key) else { return }
            let p = placed[i]
            var now = p
            switch a.status {
            case 200:
                now.etag = a.body?["@odata.mediaEtag"]?.stringValue
                if p.etag == nil { seen.append(now); return }
                if now.etag == p.etag { return }
            case 404 where UserPhotoReader.noPhoto(code: a.body?["error"]?["code"]?.stringValue ?? "", message: a.body?["error"]?["message"]?.stringValue ?? ""):
                now.etag = nil
            default:
                return
            }
            changed.append(now)
        }
        // Another ETag need not be another photo (Exchange may give a new one when galsync writes
        // other fields): the bytes decide. A removed photo (no ETag) is what it says.
        // Only bytes read and found different make it the owner's: one not answered waits for the
        // next reconcile.
        let replaced = changed.filter { $0.etag != nil }
        var same: Set<Int> = [], different: Set<Int> = []
        try await BatchedGets(graph: graph, retry: retry).fetch(replaced.enumerated().map { i, p in
            (String(i), "/users/\(GraphPath.segment(p.owner))/contacts/\(GraphPath.segment(p.contactId))/photo/$value")
        }, perBatch: config.contact.photoSize == nil ? 4 : 20) { key, answer in
            guard let i = Int(key), answer.status == 200, let data = UserPhotoReader.bytes(answer.body) else { return }
            if PhotoCache.sha256(data) == replaced[i].sha256 { same.insert(i) } else { different.insert(i) }
        }
        for (i, p) in replaced.enumerated() where same.contains(i) { seen.append(p) }
        let undecided = Set(replaced.indices.filter { !same.contains($0) && !different.contains($0) }.map { "\(replaced[$0].owner)/\(replaced[$0].userId)" })
        let sameKeys = Set(same.map { "\(replaced[$0].owner)/\(replaced[$0].userId)" }).union(undecided)
        for p in changed where !sameKeys.contains("\(p.owner)/\(p.userId)") {
            if policy == .keepEdits { owners2.append(p) } else { putBack.append(p) }
        }
        try store.settlePlacedPhotos(seen: seen, putBack: putBack, ownersNow: owners2)
        summary.checkedOnContacts += placed.count
        summary.putBack += putBack.count
        summary.leftToOwners += owners2.count
        if !putBack.isEmpty { logger.info("\(putBack.count) photos on contacts removed or replaced by their owners: put back") }
        if !owners2.isEmpty { logger.info("\(owners2.count) photos on contacts removed or replaced by their owners: left to them (photo policy keep_edits)") }
    }
}
