import Foundation
import GraphFilter

/// The tables a list may give its own (`[directory]`, `[mailboxes]`, `[contact]` at the top,
/// `[list.directory]`… inside a `[[list]]`): read the same way in both places.
extension ConfigReader {
    mutating func readDirectory() -> Configuration.DirectoryScope {
        var directory = Configuration.DirectoryScope()
        directory.includeGroups = guids("directory.include_groups")
        directory.excludeGroups = guids("directory.exclude_groups")
        directory.includeGuests = bool("directory.include_guests") ?? false
        directory.includeDisabled = bool("directory.include_disabled") ?? false
        if let r = strings("directory.require") {
            let known = ["mail", "givenName", "surname", "displayName", "jobTitle", "department", "mobilePhone", "businessPhones", "companyName", "officeLocation"]
            for a in r where !known.contains(a) { problem("directory.require", "'\(a)' is not a user attribute galsync reads; use some of \(known.joined(separator: ", "))") }
            directory.require = r
        }
        directory.where = whereRule("directory.where")
        directory.honorHidden = bool("directory.honor_hidden") ?? true
        directory.includeOrgContacts = bool("directory.include_org_contacts") ?? false
        if let types = strings("directory.exclude_mailbox_types") {
            let known = Configuration.DirectoryScope.mailboxTypes
            for t in types where !known.contains(t) {
                problem("directory.exclude_mailbox_types", "'\(t)' is not a mailbox type (mailboxSettings.userPurpose); use some of \(known.joined(separator: ", ")), or [] for none")
            }
            directory.excludeMailboxTypes = types
        }
        return directory
    }

    mutating func readMailboxes() -> Configuration.MailboxTargets {
        var mailboxes = Configuration.MailboxTargets()
        mailboxes.groups = guids("mailboxes.groups")
        mailboxes.users = strings("mailboxes.users") ?? []
        mailboxes.all = bool("mailboxes.all") ?? false
        mailboxes.includeSelf = bool("mailboxes.include_self") ?? false
        mailboxes.where = whereRule("mailboxes.where")
        return mailboxes
    }

    mutating func readContact() -> Configuration.ContactSettings {
        var contact = Configuration.ContactSettings()
        photoPolicy = .overwrite
        if let fields = strings("contact.exclude_fields") {
            // A copy may leave out any property it would carry (a curator's notes, say).
            let known = copyingList ? ContactPropertyCatalog.kinds.filter { $0.value != .email && $0.key != "displayName" }.keys.sorted()
                : ContactFieldRule.defaultFields.filter { $0 != "displayName" }
            for f in fields where !known.contains(f) { problem("contact.exclude_fields", "'\(f)' is not a contact field galsync writes; use some of \(known.joined(separator: ", "))") }
            contact.excludeFields = fields
        }
        contact.fields = readContactFields(excluded: Set(contact.excludeFields))
        contact.photoPolicy = photoPolicy
        if let categories = strings("contact.categories") {
            var seen: Set<String> = []
            for c in categories {
                if c.trimmingCharacters(in: .whitespaces).isEmpty { problem("contact.categories", "an empty category name"); continue }
                if c.count > 255 { problem("contact.categories", "'\(c.prefix(40))…' is longer than 255 characters") }
                if !seen.insert(c.lowercased()).inserted { problem("contact.categories", "'\(c)' is named twice (Outlook ignores case)") }
            }
            contact.categories = categories
        }
        if let text = string("contact.notes", allowEmpty: true), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            do { contact.notes = try NotesTemplate(text) } catch { problem("contact.notes", error.message) }
        }
        for (key, owned) in [("personalNotes", contact.notes != nil), ("categories", !contact.categories.isEmpty)] where owned && contact.fields[key] != nil {
            problem("contact.fields.\(key)", "\(key) is filled by [contact] \(key == "personalNotes" ? "notes" : "categories"), which keeps the owner's own part; map it in one place")
        }
        if let format = string("contact.phone_format") {
            if let f = Configuration.ContactSettings.PhoneFormat(rawValue: format) { contact.phoneFormat = f }
            else { problem("contact.phone_format", "'\(format)' is not a phone format; use one of \(Configuration.ContactSettings.PhoneFormat.allCases.map(\.rawValue).joined(separator: ", "))") }
        }
        if let region = string("contact.default_region", allowEmpty: true), !region.isEmpty {
            if region.count == 2, RegionCodes.codes.contains(region.uppercased()) { contact.defaultRegion = region.uppercased() }
            else { problem("contact.default_region", "'\(region)' is not an ISO 3166 region code such as \"US\", \"GB\" or \"DE\"") }
        }
        if let photos = bool("contact.photos") { contact.photos = photos }
        if let size = string("contact.photo_size", allowEmpty: true) {
            let sizes = Configuration.ContactSettings.photoSizes
            let parts = size.lowercased().split(separator: "x")
            if size.isEmpty { contact.photoSize = nil }
            else if parts.count == 2, parts[0] == parts[1], let n = Int(parts[0]), sizes.contains(n) { contact.photoSize = n }
            else { problem("contact.photo_size", "'\(size)' is not one of Graph's photo sizes; use one of \(sizes.map { "\"\($0)x\($0)\"" }.joined(separator: ", ")), or \"\" for the full photo") }
        }
        if copyingList, contact.photos {
            problem("contact.photos", "photos are copied from users' profiles; a copy of a mailbox folder has no users to take them from")
        }
        if copyingList, contact.notes != nil || !contact.categories.isEmpty {
            problem("contact", "notes and categories are for lists from the directory; a copy carries its source contact's own")
        }
        return contact
    }

    /// `[contact.fields]`: each key a writable Graph contact property, each value an inline
    /// table of `from` (a user property path) and `policy`.
    mutating func readContactFields(excluded: Set<String>) -> [String: ContactFieldRule] {
        guard let raw = value("contact.fields") else { return [:] }
        guard case .table(let table) = raw else { problem("contact.fields", "should be a [contact.fields] table"); return [:] }
        var out: [String: ContactFieldRule] = [:]
        for (name, entry) in table.sorted(by: { $0.key < $1.key }) {
            let key = "contact.fields.\(name)"
            if name == "photo" {
                // Not a property but the contact's photo (`[contact] photos`): a policy only.
                guard case .table(let spec) = entry else { problem(key, "should be a table such as { policy = \"keep_edits\" }"); continue }
                for k in spec.keys where k != "policy" { problem("\(key).\(k)", "the photo is the user's profile photo; it takes a policy only") }
                switch spec["policy"] {
                case nil: break
                case .string(let p)? where p == "overwrite": photoPolicy = .overwrite
                case .string(let p)? where p == "keep_edits": photoPolicy = .keepEdits
                case .string(let p)?: problem("\(key).policy", "'\(p)' is not a photo policy; use overwrite or keep_edits")
                case let other?: problem("\(key).policy", "should be a string in quotes, not \(other.kind)")
                }
                continue
            }
            guard let property = ContactPropertyCatalog.canonicalName(name) else {
                if let why = ContactPropertyCatalog.notFields[name] { problem(key, "'\(name)' cannot be a contact field: \(why)") }
                else { problem(key, "'\(name)' is not a property of a Graph contact\(Self.suggestion(name, Array(ContactPropertyCatalog.kinds.keys)))") }
                continue
            }
            if property != name { problem(key, "write it as Graph spells it: '\(property)'"); continue }
            guard case .table(let spec) = entry else {
                problem(key, "should be a table such as { from = \"mailNickname\", policy = \"keep_edits\" }")
                continue
            }
            for k in spec.keys where !["from", "policy"].contains(k) { problem("\(key).\(k)", "unknown key\(Self.suggestion(k, ["from", "policy"])); a field takes from and policy") }
            if excluded.contains(property) { problem(key, "'\(property)' is also in contact.exclude_fields; keep it in one of the two") }
            var rule = ContactFieldRule()
            switch spec["policy"] {
            case nil: break
            case .string(let p)?:
                if let policy = ContactFieldRule.Policy(rawValue: p) { rule.policy = policy }
                else { problem("\(key).policy", "'\(p)' is not a policy; use one of \(ContactFieldRule.Policy.allCases.map(\.rawValue).joined(separator: ", "))") }
            case let other?: problem("\(key).policy", "should be a string in quotes, not \(other.kind)")
            }
            if property == "displayName", rule.policy != .overwrite {
                problem("\(key).policy", "displayName is how a contact is known and is written at every update; it takes no other policy than overwrite")
            }
            let target = ContactPropertyCatalog.kinds[property]!
            if copyingList {
                if spec["from"] != nil { problem("\(key).from", "a list copied from a mailbox copies each property from the source contact; a field takes a policy, not from") }
                if ContactPropertyCatalog.kinds[property] == .email { problem(key, "a copy carries the source's e-mail addresses in emailAddresses; \(property) is not copied") }
                out[property] = rule
                continue
            }
            switch spec["from"] {
            case nil:
                if !ContactFieldRule.defaultFields.contains(property) {
                    // A user property of the same name (imAddresses) is the source; otherwise it must be given.
                    if case .success(let source) = ContactPropertyCatalog.userSource(property), ContactFieldRule.mismatch(source.kind, into: target) == nil {
                        rule.from = source.path
                        rule.fromKind = source.kind
                    } else {
                        problem(key, "needs from = \"…\": the user property it is filled from (e.g. \"onPremisesExtensionAttributes/extensionAttribute1\")")
                    }
                }
            case .string(let path)? where path.contains("{"):
                guard target == .text else { problem("\(key).from", "a text with {property} parts fills a text field; \(property) is not one"); break }
                do { rule.template = try NotesTemplate(path) } catch { problem("\(key).from", error.message) }
            case .string(let path)?:
                switch ContactPropertyCatalog.userSource(path) {
                case .failure(let error): problem("\(key).from", error.message)
                case .success(let source):
                    if let why = ContactFieldRule.mismatch(source.kind, into: target) {
                        problem("\(key).from", "'\(path)' cannot fill \(property): \(why)")
                    } else {
                        rule.from = source.path
                        rule.fromKind = source.kind
                    }
                }
            case let other?: problem("\(key).from", "should be a string in quotes, not \(other.kind)")
            }
            out[property] = rule
        }
        return out
    }
}
