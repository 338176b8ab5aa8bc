import Foundation
import GalsyncJSON

/// A front office's curated contacts: a shared mailbox with a folder of vendors under its
/// Contacts, kept by hand in Outlook (the source of a `source = "mailbox"` list).
extension GraphSimulator {
    /// A folder the mailbox owner made in Outlook directly under Contacts; its id.
    @discardableResult
    public func ownerCreatesFolder(mailbox: String, displayName: String) throws(AdminError) -> String {
        let owner = try ownerMailbox(mailbox)
        let box = mailboxes[owner]!
        guard !box.folders.values.contains(where: { $0.parentFolderId == box.defaultFolderId && $0.displayName.lowercased() == displayName.lowercased() }) else {
            throw AdminError(status: 409, description: "a folder '\(displayName)' exists")
        }
        let folder = ContactFolder(id: nextId(prefix: "AAMkAF"), displayName: displayName, parentFolderId: box.defaultFolderId)
        mailboxes[owner]!.folders[folder.id] = folder
        return folder.id
    }

    /// Seeds a shared mailbox `upn` (mailbox type shared) with a folder `folder` of `contacts`
    /// vendor contacts (names, company, e-mail, phones, address; the same every time).
    /// Returns the mailbox owner's id and the folder's id.
    @discardableResult
    public func seedSharedFolder(upn: String = "contacts@contoso.com", displayName: String = "Front Office Contacts", folder: String = "Vendors",
                                 contacts: Int) throws(AdminError) -> (owner: String, folderId: String) {
        let owner: String
        if let known = lookupUser(upn) { owner = known.id } else {
            owner = try createUser(["displayName": .string(displayName), "userPrincipalName": .string(upn), "mail": .string(upn), "accountEnabled": false])
        }
        try setMailboxPurpose(owner, "shared")
        let folderId = try ownerCreatesFolder(mailbox: owner, displayName: folder)
        let companies = ["Northwind Traders", "Tailspin Toys", "Wide World Importers", "Fourth Coffee", "Litware", "Proseware", "Adatum", "Woodgrove Bank"]
        let given = ["Ana", "Bo", "Chidi", "Dana", "Emeka", "Farah", "Goran", "Hiro", "Ines", "Jonas", "Kemal", "Lena", "Mateo", "Nadia", "Omar"]
        let family = ["Alvarez", "Brandt", "Costa", "Dubois", "Eklund", "Fischer", "Grant", "Haddad", "Ivanova", "Jensen", "Kowal", "Lindqvist"]
        for i in 0..<contacts {
            let g = given[i % given.count], f = family[(i * 7) % family.count], company = companies[i % companies.count]
            let domain = company.lowercased().replacingOccurrences(of: " ", with: "") + ".example"
            try ownerCreatesContact(mailbox: owner, folderId: folderId, properties: [
                "displayName": .string("\(g) \(f) (\(company))"), "givenName": .string(g), "surname": .string(f), "companyName": .string(company),
                "jobTitle": .string(i % 3 == 0 ? "Account Manager" : "Sales"),
                "emailAddresses": [["address": .string("\(g.lowercased()).\(f.lowercased())@\(domain)"), "name": .string("\(g) \(f)")]],
                "businessPhones": [.string("+1 425 555 \(String(format: "%04d", 100 + i))")],
                "mobilePhone": i % 2 == 0 ? .string("+1 206 555 \(String(format: "%04d", 200 + i))") : .null,
                "businessAddress": ["street": .string("\(10 + i) Market St"), "city": "Seattle", "state": "WA", "postalCode": "98101", "countryOrRegion": "United States"],
                // What a front office keeps beyond the directory's fields: a copy carries these too.
                "fileAs": .string("\(f), \(g)"),
                "businessHomePage": .string("https://\(domain)"),
                "categories": i % 4 == 0 ? ["Preferred supplier"] : [],
                "personalNotes": i % 5 == 0 ? .string("Account no. \(7000 + i); invoices to ap@\(domain)") : .null,
                "homePhones": [],
            ])
        }
        return (owner, folderId)
    }
}
