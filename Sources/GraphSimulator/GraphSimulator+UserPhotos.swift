import Foundation
import GalsyncCrypto

/// Users' profile photos, as profilephoto-get documents them: `GET /users/{id}/photo` (the
/// largest size's metadata, with `@odata.mediaEtag`), `…/photo/$value` (its bytes),
/// `…/photos` (one entry per available size), `…/photos/{size}` and `…/photos/{size}/$value`.
/// Exchange serves them, so a user without a mailbox gets `ErrorNonExistentMailbox` (Graph's
/// known issues), and they count as requests of that mailbox. No photo, or a size larger than
/// the original: 404 `ImageNotFound` (the code facts.md records; Microsoft documents none).
/// Read-only: uploading a user's photo is the control API's (`setUserPhoto`).
extension GraphSimulator {
    static let photoReadRoles: Set<String> = [
        "ProfilePhoto.Read.All", "ProfilePhoto.ReadWrite.All", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All",
        "Directory.Read.All", "Directory.ReadWrite.All",
    ]

    func userPhoto(_ request: SimRequest, caller: Caller, user: SimUser, rest: [String]) -> SimResponse {
        guard request.method == "GET" else { return methodNotAllowed(request) }
        guard !caller.roles.isDisjoint(with: Self.photoReadRoles) else {
            return .graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", request: request)
        }
        guard user.hasMailbox, !user.deleted else {
            return .graphError(404, "ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.", request: request)
        }
        let notFound = SimResponse.graphError(404, "ImageNotFound", "Exception of type 'Microsoft.Fast.Profile.Core.Exception.ImageNotFoundException' was thrown.", request: request)
        guard let photo = user.photo else { return notFound }
        let lower = rest.map { $0.lowercased() }
        func size(_ text: String) -> Int? {
            let parts = text.split(separator: "x")
            guard parts.count == 2, parts[0] == parts[1], let n = Int(parts[0]), photo.available.contains(n) else { return nil }
            return n
        }
        let largest = photo.available.max() ?? photo.original
        switch lower {
        case ["photo"]:
            return .json(200, photoMetadata(request, user: user, photo: photo, size: largest))
        case ["photo", "$value"]:
            counters.photoDownloads += 1
            return SimResponse(status: 200, headers: ["Content-Type": "image/jpeg"], body: photo.jpeg(user: user.id, size: largest))
        case ["photos"]:
            return .json(200, ["value": .array(photo.available.map { photoMetadata(request, user: user, photo: photo, size: $0) })])
        case _ where lower.count == 2 && lower[0] == "photos":
            guard let n = size(lower[1]) else { return notFound }
            return .json(200, photoMetadata(request, user: user, photo: photo, size: n))
        case _ where lower.count == 3 && lower[0] == "photos" && lower[2] == "$value":
            guard let n = size(lower[1]) else { return notFound }
            counters.photoDownloads += 1
            return SimResponse(status: 200, headers: ["Content-Type": "image/jpeg"], body: photo.jpeg(user: user.id, size: n))
        default:
            return .graphError(400, "BadRequest", "Resource not found for the segment '\(rest.last ?? "")'.", request: request)
        }
    }

    func photoMetadata(_ request: SimRequest, user: SimUser, photo: SimUserPhoto, size: Int) -> JSONValue {
        [
            "@odata.context": .string("\(request.baseURL)/v1.0/$metadata#users('\(user.id)')/photo/$entity"),
            "@odata.mediaContentType": "image/jpeg",
            "@odata.mediaEtag": .string("\"\(photo.etag(user: user.id))\""),
            "id": .string("\(size)X\(size)"), "width": .number(Double(size)), "height": .number(Double(size)),
        ]
    }

    /// `GET …/contacts/{id}/photo`: the contact photo's metadata; 404 `ErrorItemNotFound` without one.
    func contactPhotoMetadata(_ request: SimRequest, _ mailbox: String, contactId: String) -> SimResponse {
        guard request.method == "GET" else { return methodNotAllowed(request) }
        guard let contact = mailboxes[mailbox]?.contacts[contactId] else { return itemNotFound(request) }
        guard let data = contact.photo else { return .graphError(404, "ErrorItemNotFound", "The photo wasn't found.", request: request) }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in data { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return .json(200, [
            "@odata.mediaContentType": "image/jpeg", "@odata.mediaEtag": .string("\"\(String(format: "%016llX", h))\""),
            "id": "default", "width": .null, "height": .null,
        ])
    }

    /// The buffer already held for these bytes, or these bytes, now held.
    func internedPhoto(_ data: Data) -> Data {
        // Keyed by digest: Foundation hashes only a Data's length and first 80 bytes, and every
        // simulated JPEG of one size shares both, so the bytes themselves as keys all collide.
        let key = Digest.sha256(data)
        if let held = photoBuffers[key] { return held }
        photoBuffers[key] = data
        return data
    }

    // MARK: Control

    /// Uploads a new photo for a user (a new version: new bytes, new ETag), `original` pixels square.
    public func setUserPhoto(_ idOrUPN: String, original: Int = 648) throws(AdminError) {
        guard var user = lookupUser(idOrUPN) else { throw AdminError(status: 404, description: "no user '\(idOrUPN)'") }
        guard original >= 1, original <= 4096 else { throw AdminError(status: 400, description: "a photo is 1 to 4096 pixels square") }
        user.photo = SimUserPhoto(original: original, version: (user.photo?.version ?? 0) + 1)
        users[user.id] = user
    }

    /// Removes a user's photo.
    public func removeUserPhoto(_ idOrUPN: String) throws(AdminError) {
        guard var user = lookupUser(idOrUPN) else { throw AdminError(status: 404, description: "no user '\(idOrUPN)'") }
        user.photo = nil
        users[user.id] = user
    }

    /// The owner puts their own photo on a contact (or, with nil, removes it through Outlook).
    public func ownerSetsContactPhoto(mailbox: String, contactId: String, data: Data?) throws(AdminError) {
        guard let owner = lookupUser(mailbox)?.id, mailboxes[owner]?.contacts[contactId] != nil else {
            throw AdminError(status: 404, description: "no contact '\(contactId)' in '\(mailbox)'")
        }
        mailboxes[owner]!.contacts[contactId]!.photo = data
        mailboxes[owner]!.contacts[contactId]!.changeKey = nextChangeKey()
        mailboxes[owner]!.contacts[contactId]!.lastModifiedDateTime = now()
        recordContactWrite(owner, contactId, previousFolder: mailboxes[owner]!.contacts[contactId]!.folderId)
    }

    /// The photo bytes of a contact (for tests).
    public func contactPhoto(mailbox: String, contactId: String) -> Data? {
        lookupUser(mailbox).flatMap { mailboxes[$0.id]?.contacts[contactId]?.photo }
    }
}
