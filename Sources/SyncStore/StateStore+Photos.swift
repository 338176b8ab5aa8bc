import Foundation
import GRDB

/// Photos in the state: each user's profile photo as galsync last saw it (`user_photo`, kept in
/// the directory's state), and the photo galsync last put on each managed contact
/// (`contact_photo`, in the list's state beside `managed_contact`).
extension StateStore {
    /// What galsync knows of a user's photo: its ETag and the sha256 of the bytes it copies
    /// ("" = the user has no photo).
    public struct UserPhoto: Sendable, Equatable {
        public var etag: String
        public var sha256: String
        public init(etag: String, sha256: String) {
            self.etag = etag
            self.sha256 = sha256
        }
        public var hasPhoto: Bool { !sha256.isEmpty }
    }

    /// One contact's photo to write, or (for a removal) the contact to make again without one.
    public struct ContactPhotoWork: Sendable, Equatable {
        public var owner: String
        public var userId: String
        public var contactId: String
        /// The photo to upload; "" for a contact carrying galsync's photo of a user who has none now.
        public var sha256: String
        public init(owner: String, userId: String, contactId: String, sha256: String) {
            self.owner = owner
            self.userId = userId
            self.contactId = contactId
            self.sha256 = sha256
        }
    }

    public func userPhotos() throws -> [String: UserPhoto] {
        try db.read { db in
            var out: [String: UserPhoto] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT user_id, etag, sha256 FROM user_photo")
            while let row = try rows.next() { out[row[0]] = UserPhoto(etag: row[1], sha256: row[2]) }
            return out
        }
    }

    /// Records users' photos as checked now; `forget` drops users no longer copied.
    public func setUserPhotos(_ photos: [String: UserPhoto], forget: some Collection<String> = [String](), at time: Date = Date()) throws {
        guard !photos.isEmpty || !forget.isEmpty else { return }
        try db.write { db in
            let upsert = try db.makeStatement(sql: "INSERT OR REPLACE INTO user_photo (user_id, etag, sha256, checked) VALUES (?, ?, ?, ?)")
            for (id, p) in photos { try upsert.execute(arguments: [id, p.etag, p.sha256, time.timeIntervalSince1970]) }
            let delete = try db.makeStatement(sql: "DELETE FROM user_photo WHERE user_id = ?")
            for id in forget { try delete.execute(arguments: [id]) }
        }
    }

    /// The photo work of this list's state, level-based: every managed contact whose user has a
    /// photo it does not carry (`sha256` set), and every contact carrying galsync's photo of a
    /// user who has none now (`sha256` ""). `photos`: each user's photo sha256 ("" = none);
    /// users not in it are not known yet and get no work. One read of the managed contacts
    /// (read-only: `plan` asks it too), no request.
    /// `perOwner`: at most this many items per mailbox (a slice of every mailbox's work: the
    /// work of 400,000 contacts is not held at once, and every mailbox stays busy); `skipping`:
    /// mailboxes, and "owner/user" items, left out.
    public func contactPhotoWork(photos: [String: String], perOwner: Int = .max, skipping: Set<String> = []) throws -> [ContactPhotoWork] {
        guard !photos.isEmpty else { return [] }
        return try db.read { db in
            var out: [ContactPhotoWork] = []
            var owner = "", taken = 0
            let rows = try Row.fetchCursor(db, sql: """
                SELECT mc.owner_id, mc.user_id, mc.contact_id, cp.sha256, cp.owners FROM managed_contact mc
                LEFT JOIN contact_photo cp ON cp.owner_id = mc.owner_id AND cp.user_id = mc.user_id AND cp.contact_id = mc.contact_id
                ORDER BY mc.owner_id, mc.user_id
                """)
            while let row = try rows.next() {
                // The user's id and photo as the map holds them, and the owner's as the last row's:
                // one string each, shared by every work item, not one per row.
                guard let index = photos.index(forKey: row[1]) else { continue }
                let (userId, wanted) = photos[index]
                let carried: String? = row[3]
                let flag: Int? = row[4]
                if flag == 1 { continue }  // the owner's own photo (keep_edits)
                // A photo Exchange refused for this contact (400, 413) is not sent again until it
                // changes; the contact never carried it, so a removal makes nothing again.
                if flag == 2, wanted.isEmpty || carried == wanted { continue }
                guard wanted.isEmpty ? carried != nil : carried != wanted else { continue }
                let rowOwner: String = row[0]
                if rowOwner != owner { owner = rowOwner; taken = 0 }
                guard taken < perOwner, !skipping.contains(owner), !skipping.contains("\(owner)/\(userId)") else { continue }
                taken += 1
                out.append(ContactPhotoWork(owner: owner, userId: userId, contactId: row[2], sha256: wanted))
            }
            return out
        }
    }

    /// Photos Graph confirmed on contacts.
    public func recordContactPhotos(_ written: [ContactPhotoWork]) throws {
        guard !written.isEmpty else { return }
        try db.write { db in
            let upsert = try db.makeStatement(sql: "INSERT OR REPLACE INTO contact_photo (owner_id, user_id, contact_id, sha256, etag, owners) VALUES (?, ?, ?, ?, NULL, 0)")
            for w in written { try upsert.execute(arguments: [w.owner, w.userId, w.contactId, w.sha256]) }
        }
    }

    /// Photos Exchange refused outright for these contacts (400, 413): not sent again until the
    /// user's photo changes (`owners` = 2; `carried` is not what the contact holds).
    public func recordRefusedPhotos(_ refused: [ContactPhotoWork]) throws {
        guard !refused.isEmpty else { return }
        try db.write { db in
            let upsert = try db.makeStatement(sql: "INSERT OR REPLACE INTO contact_photo (owner_id, user_id, contact_id, sha256, etag, owners) VALUES (?, ?, ?, ?, NULL, 2)")
            for w in refused { try upsert.execute(arguments: [w.owner, w.userId, w.contactId, w.sha256]) }
        }
    }

    /// A photo galsync put on a managed contact, to be checked at a full reconcile.
    public struct PlacedPhoto: Sendable, Equatable {
        public var owner: String
        public var userId: String
        public var contactId: String
        /// The contact photo's ETag when a reconcile last saw it (nil: not seen since the upload).
        public var etag: String?
        /// The bytes galsync put there.
        public var sha256: String
        public init(owner: String, userId: String, contactId: String, etag: String?, sha256: String = "") {
            self.owner = owner
            self.userId = userId
            self.contactId = contactId
            self.etag = etag
            self.sha256 = sha256
        }
    }

    /// Every photo galsync put on a contact it still manages (not those left to their owners);
    /// `owners`: only these mailboxes.
    public func placedPhotos(owners: [String]? = nil) throws -> [PlacedPhoto] {
        guard owners?.isEmpty != true else { return [] }
        let filter = owners.map { "AND cp.owner_id IN (\(Array(repeating: "?", count: $0.count).joined(separator: ",")))" } ?? ""
        return try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT cp.owner_id, cp.user_id, cp.contact_id, cp.etag, cp.sha256 FROM contact_photo cp JOIN managed_contact mc
                ON mc.owner_id = cp.owner_id AND mc.user_id = cp.user_id AND mc.contact_id = cp.contact_id
                WHERE cp.owners = 0 \(filter) ORDER BY cp.owner_id, cp.user_id
                """, arguments: StatementArguments(owners ?? [])).map { PlacedPhoto(owner: $0[0], userId: $0[1], contactId: $0[2], etag: $0[3], sha256: $0[4]) }
        }
    }

    /// What a reconcile found of the photos galsync placed: ETags first seen (recorded), photos
    /// the owner changed or removed that galsync puts back (forgotten: the next upload pass
    /// writes them), and those it leaves to the owner (`keep_edits`).
    public func settlePlacedPhotos(seen: [PlacedPhoto], putBack: [PlacedPhoto], ownersNow: [PlacedPhoto]) throws {
        guard !seen.isEmpty || !putBack.isEmpty || !ownersNow.isEmpty else { return }
        try db.write { db in
            let etag = try db.makeStatement(sql: "UPDATE contact_photo SET etag = ? WHERE owner_id = ? AND user_id = ? AND contact_id = ?")
            for p in seen { try etag.execute(arguments: [p.etag, p.owner, p.userId, p.contactId]) }
            let forget = try db.makeStatement(sql: "DELETE FROM contact_photo WHERE owner_id = ? AND user_id = ? AND contact_id = ?")
            for p in putBack { try forget.execute(arguments: [p.owner, p.userId, p.contactId]) }
            let owners = try db.makeStatement(sql: "UPDATE contact_photo SET owners = 1, etag = ? WHERE owner_id = ? AND user_id = ? AND contact_id = ?")
            for p in ownersNow { try owners.execute(arguments: [p.etag, p.owner, p.userId, p.contactId]) }
        }
    }

    /// The photo galsync last put on a user's contact in a mailbox (nil: none it knows of).
    public func contactPhoto(owner: String, userId: String) throws -> String? {
        try db.read { db in
            try String.fetchOne(db, sql: """
                SELECT CASE cp.owners WHEN 1 THEN 'owner' WHEN 2 THEN 'refused' ELSE cp.sha256 END FROM contact_photo cp JOIN managed_contact mc
                ON mc.owner_id = cp.owner_id AND mc.user_id = cp.user_id AND mc.contact_id = cp.contact_id
                WHERE cp.owner_id = ? AND cp.user_id = ?
                """, arguments: [owner, userId])
        }
    }

    /// Rows of contacts galsync no longer manages (deleted, made again under a new id).
    public func pruneContactPhotos() throws {
        try db.write { db in
            try db.execute(sql: """
                DELETE FROM contact_photo WHERE NOT EXISTS (SELECT 1 FROM managed_contact mc
                WHERE mc.owner_id = contact_photo.owner_id AND mc.user_id = contact_photo.user_id AND mc.contact_id = contact_photo.contact_id)
                """)
        }
    }
}
