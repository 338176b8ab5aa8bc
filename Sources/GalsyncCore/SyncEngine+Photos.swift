import Foundation
import GalsyncConfig
import GalsyncPlan
import GalsyncSources
import GalsyncWriter
import GraphClient
import GraphHTTP
import SyncStore

/// Photos (`[contact] photos`): each user's photo is checked when the delta reports the user
/// new or changed, when galsync has never seen it, and at every full reconcile (the delta does
/// not report photo changes); downloaded once per change into `PhotoCache`; then, after a
/// list's contact writes, put on every managed contact that does not carry it yet (level-based,
/// from the state: `StateStore.contactPhotoWork`), through the same batches and pacing as the
/// contacts. A contact carrying galsync's photo of a user who removed theirs is made again
/// without one (Graph cannot delete a contact's photo).
extension SyncEngine {
    /// Users' photos as this cycle knows them: user id → sha256 of the bytes ("" = none).
    struct PhotoRound: Sendable {
        var photos: [String: String] = [:]
        /// Users whose photo this round found new, changed or removed.
        var changedUsers = 0
        var summary = CycleSummary.PhotoSummary()
    }

    var photoCache: PhotoCache { PhotoCache(statePath: config.sync.state) }
    /// Mailboxes whose photos on contacts are checked together at a full reconcile.
    static let photoWave = 20
    /// Photo writes per mailbox read and written together (every mailbox at once).
    static let photoSlice = 250
    /// `meta` keys: how many photo writes the last pass left (failed, or held back by the
    /// valve), and "1" when it reached every mailbox: together the idle shortcut's premise.
    public static let photoWorkLeft = "photo_work_left"
    public static let photoPassWhole = "photo_pass_whole"
    /// `user_photo.etag` of a user whose check failed before galsync ever saw their photo.
    static let uncheckedTag = "?"

    /// The lists that copy photos: directory-sourced lists with `photos = true`.
    static func copiesPhotos(_ work: ListWork) -> Bool {
        work.list.source == .directory && work.engine.config.contact.photos && work.desired != nil
    }

    /// Errors that end the cycle even from the photo steps (no token, a stop, the state
    /// database); what Graph, the network or the photo cache's disk says only skips photos.
    static func photoFaultIsTheCycles(_ error: any Error) -> Bool {
        !(error is GraphError || error is HTTPTransportError || error is SyncError || error is CocoaError || error is POSIXError)
    }
}
