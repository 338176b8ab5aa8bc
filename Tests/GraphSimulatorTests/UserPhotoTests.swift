import Foundation
@testable import GraphSimulator
import Testing

/// Users' profile photos and contact photos, as profilephoto-get and -update document them.
@Suite struct UserPhotoTests {
    @Test func aUsersPhotoHasItsSizesAnETagAndJPEGBytes() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        try await t.sim.setUserPhoto(owner, original: 360)
        let meta = try await t.graph("GET", "/users/\(owner)/photo", token: token)
        #expect(meta.status == 200 && meta.json?["id"] == "360X360" && meta.json?["width"] == 360 && meta.json?["@odata.mediaContentType"] == "image/jpeg")
        let etag = try #require(meta.json?["@odata.mediaEtag"]?.stringValue)
        #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count > 2)
        let sizes = try await t.graph("GET", "/users/\(owner)/photos", token: token)
        #expect(sizes.json?["value"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["48X48", "64X64", "96X96", "120X120", "240X240", "360X360"])
        let small = try await t.graph("GET", "/users/\(owner)/photos/240x240/$value", token: token)
        #expect(small.status == 200 && small.headers["Content-Type"] == "image/jpeg")
        #expect(small.body.prefix(2) == Data([0xFF, 0xD8]) && small.body.suffix(2) == Data([0xFF, 0xD9]) && small.body.count > 10_000)
        let largest = try await t.graph("GET", "/users/\(owner)/photo/$value", token: token)
        #expect(largest.status == 200 && largest.body != small.body)
        // Only sizes not larger than the original exist.
        let tooLarge = try await t.graph("GET", "/users/\(owner)/photos/648x648/$value", token: token)
        #expect(tooLarge.status == 404 && tooLarge.errorCode == "ImageNotFound")
        // A new upload: new bytes, new ETag; removed: 404.
        try await t.sim.setUserPhoto(owner, original: 360)
        let again = try await t.graph("GET", "/users/\(owner)/photo", token: token)
        #expect(again.json?["@odata.mediaEtag"]?.stringValue != etag)
        #expect(try await t.graph("GET", "/users/\(owner)/photos/240x240/$value", token: token).body != small.body)
        try await t.sim.removeUserPhoto(owner)
        let none = try await t.graph("GET", "/users/\(owner)/photo/$value", token: token)
        #expect(none.status == 404 && none.errorCode == "ImageNotFound")
        #expect(await t.sim.counterSnapshot()["photoDownloads"] == 3)
    }

    @Test func photosNeedAMailboxAndAPermission() async throws {
        let t = try await TestTenant(users: 40)
        let state = await t.sim.fullState()
        let noMailbox = try #require(state["users"]!.arrayValue!.first { $0["hasMailbox"] == false && $0["deleted"] == false })
        let r = try await t.graph("GET", "/users/\(noMailbox["id"]!.stringValue!)/photo")
        #expect(r.status == 404 && r.errorCode == "ErrorNonExistentMailbox")
        let contactsOnly = try await TestTenant(users: 10, roles: ["Contacts.ReadWrite"])
        let denied = try await contactsOnly.graph("GET", "/users/\(await contactsOnly.mailboxOwner())/photo")
        #expect(denied.status == 403 && denied.errorCode == "Authorization_RequestDenied")
        let profile = try await TestTenant(users: 10, roles: ["ProfilePhoto.Read.All"])
        let owner = await profile.mailboxOwner()
        try await profile.sim.setUserPhoto(owner)
        #expect(try await profile.graph("GET", "/users/\(owner)/photo").status == 200)
    }

    @Test func aContactPhotoIsPutOrPatchedInABatchAndCannotBeDeleted() async throws {
        let t = try await TestTenant(users: 10)
        let token = try await t.token()
        let owner = await t.mailboxOwner()
        let id = try await t.sim.ownerCreatesContact(mailbox: owner, properties: ["displayName": "P"])
        let path = "/users/\(owner)/contacts/\(id.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)/photo"
        #expect(try await t.graph("GET", path, token: token).errorCode == "ErrorItemNotFound")
        let jpeg = SimUserPhoto(original: 96).jpeg(user: "u", size: 96)
        // In $batch: the bytes base64 with a Content-Type; a body that is not base64 is refused.
        let batch: JSONValue = ["requests": [
            ["id": "1", "method": "PATCH", "url": .string(path + "/$value"), "headers": ["Content-Type": "image/jpeg"], "body": .string(jpeg.base64EncodedString())],
        ]]
        let r = try await t.graph("POST", "/$batch", body: batch, token: token)
        #expect(r.json?["responses"]?.arrayValue?.first?["status"] == 200, "\(String(decoding: r.body, as: UTF8.self))")
        #expect(await t.sim.contactPhoto(mailbox: owner, contactId: id) == jpeg)
        let meta = try await t.graph("GET", path, token: token)
        #expect(meta.status == 200 && meta.json?["@odata.mediaContentType"] == "image/jpeg")
        let raw: JSONValue = ["requests": [["id": "1", "method": "PUT", "url": .string(path + "/$value"), "headers": ["Content-Type": "image/jpeg"], "body": "not base64!"]]]
        let refused = try await t.graph("POST", "/$batch", body: raw, token: token)
        #expect(refused.status == 400 || refused.json?["responses"]?.arrayValue?.first?["status"] == 400)
        // "The delete operation supports only user or group photos, but not Outlook contact nor Teams photos."
        let delete = try await t.graph("DELETE", path + "/$value", token: token)
        #expect(delete.status == 405)
        #expect(await t.sim.contactPhoto(mailbox: owner, contactId: id) == jpeg)
        #expect(await t.sim.counterSnapshot()["photoUploads"] == 1)
    }
}
