import Foundation

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
        if let fields = strings("contact.exclude_fields") {
            let known = ["givenName", "surname", "emailAddresses", "businessPhones", "mobilePhone", "jobTitle", "department", "companyName", "officeLocation", "businessAddress"]
            for f in fields where !known.contains(f) { problem("contact.exclude_fields", "'\(f)' is not a contact field galsync writes; use some of \(known.joined(separator: ", "))") }
            contact.excludeFields = fields
        }
        return contact
    }
}
