import Foundation

/// One `[[list]]`: a set of contacts galsync keeps in its own folder of each target mailbox,
/// from the directory or from a folder of one mailbox. Lists never touch each other's contacts:
/// each has its own folder (so a listing never sees another list's contacts) and its own state.
public struct ContactList: Sendable, Equatable {
    /// Where a list's contacts come from.
    public enum Source: Sendable, Equatable {
        /// Users (and, with `include_org_contacts`, mail contacts) through `[list.directory]`.
        case directory
        /// The contacts of one folder of one mailbox, copied as they are. `mailbox`: a UPN or an
        /// object id; `folder`: a folder directly under its Contacts, "" for Contacts itself.
        case mailbox(mailbox: String, folder: String)
    }

    /// `[a-z0-9-]+`, unique; names the list in commands (`purge --list`) and its state file.
    public var name: String
    /// The folder in each target mailbox; "" is the Contacts folder itself.
    public var folder: String
    public var source: Source
    public var directory: Configuration.DirectoryScope
    public var mailboxes: Configuration.MailboxTargets
    public var contact: Configuration.ContactSettings

    public init(name: String, folder: String, source: Source = .directory, directory: Configuration.DirectoryScope = .init(),
                mailboxes: Configuration.MailboxTargets = .init(), contact: Configuration.ContactSettings = .init()) {
        self.name = name
        self.folder = folder
        self.source = source
        self.directory = directory
        self.mailboxes = mailboxes
        self.contact = contact
    }

    /// Whether `name` is a list name the configuration accepts.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64 && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}
