import Foundation
import GalsyncConfig
import GalsyncPlan
import GalsyncSources
import GalsyncWriter
import GraphClient
import GraphHTTP
import SyncStore

/// The photo round of a cycle: which users' photos to check, and the check (see `SyncEngine+Photos.swift`).
extension SyncEngine {
    /// Checks the photos of the users these lists copy (see the type's note) and records what
    /// changed in the directory's state. `plan` reads nothing: it counts who would be checked.
    func readPhotos(_ lists: [ListWork], round: DirectoryReader.Round, options: Options) async throws -> PhotoRound? {
        let copying = lists.filter(Self.copiesPhotos)
        guard !copying.isEmpty else { return nil }
        var ids: Set<String> = []
        for work in copying {
            for id in work.desired!.projections.keys where round.users[id]?.string("userType") != "OrgContact" { ids.insert(id) }
        }
        let known = try directory.userPhotos()
        let cache = photoCache
        let everyone = copying.contains { $0.context?.reconcileDue == true }
        let check = ids.filter { id in
            guard let k = known[id] else { return true }
            return everyone || round.changed[id] != nil || (k.hasPhoto && !cache.contains(k.sha256))
        }
        var result = PhotoRound()
        // A user whose check failed ("?") is not known to have no photo: no work either way.
        for id in ids { if let k = known[id], k.etag != Self.uncheckedTag { result.photos[id] = k.sha256 } }
        if options.planOnly {
            result.summary.toCheck = check.count
            return result
        }
        progress.phase("checking \(check.count) users' photos")
        let size = config.contact.photoSize
        let reading: UserPhotoReader.Reading
        do {
            reading = try await UserPhotoReader(graph: graph, retry: retry, cache: cache, size: size).read(check.sorted(), known: known)
        } catch let error where Self.photoFaultIsTheCycles(error) {
            throw error
        } catch {
            // Photos never stop the contacts: what the state knew stands, the next cycle asks again.
            logger.warning("users' photos could not be checked this cycle: \(error)")
            result.summary.unchecked = check.count
            return result
        }
        var changed: [String: StateStore.UserPhoto] = [:]
        var unknown = 0
        for (id, outcome) in reading.outcomes {
            switch outcome {
            case .known(let photo):
                result.photos[id] = photo.sha256
                if known[id] != photo { changed[id] = photo }
            case .unknown:
                unknown += 1
                // Never seen: recorded as checked (no photo known), so that an idle cycle does not
                // ask again; the next full reconcile, or a change the delta reports, does.
                if known[id] == nil { changed[id] = .init(etag: Self.uncheckedTag, sha256: "") }
            }
        }
        result.changedUsers = changed.count
        // Until each list's pass completes, its idle shortcut is off: a pass cut short (a crash,
        // a stop, a fault) must not leave these changes waiting for a full reconcile.
        if !changed.isEmpty { for work in copying { try work.engine.store.setMeta(Self.photoPassWhole, "0") } }
        let gone = known.keys.filter { !ids.contains($0) }
        try directory.setUserPhotos(changed, forget: gone, at: now())
        result.summary.checked = check.count - unknown
        result.summary.downloaded = reading.downloaded
        result.summary.bytes = reading.bytes
        result.summary.unchecked = unknown
        if reading.denied > 0 {
            logger.warning("\(reading.denied) users' photos could not be read: 403 (grant the app ProfilePhoto.Read.All or User.Read.All)")
        } else if unknown > 0 {
            logger.info("\(unknown) users' photos could not be checked this cycle; a change the directory reports, or the next full reconcile, checks them again")
        }
        // The cache keeps what some user's photo is now (old photos go at a full reconcile).
        if everyone { cache.prune(keeping: Set(result.photos.values.filter { !$0.isEmpty })) }
        if !changed.isEmpty { logger.info("\(changed.count) users' photos new, changed or removed; \(reading.downloaded) downloaded (\(reading.bytes / 1024) KiB)") }
        return result
    }
}
