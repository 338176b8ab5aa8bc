/// How a person (a mailbox owner, a contact's user) is named in messages: by UPN, with the
/// display name where it helps, and by object id only when nothing else is known.
public struct PersonName: Sendable, Equatable, Codable {
    public var id: String
    public var upn: String?
    public var displayName: String?

    public init(id: String, upn: String?, displayName: String?) {
        self.id = id
        self.upn = upn.flatMap { $0.isEmpty ? nil : $0 }
        self.displayName = displayName.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A mailbox: `alice@contoso.com`.
    public var handle: String { upn ?? displayName ?? id }

    /// A person in a sentence: `Ravi Kowalski (ravi@contoso.com)`.
    public var label: String {
        switch (displayName, upn) {
        case let (name?, upn?): "\(name) (\(upn))"
        case let (name?, nil): name
        case let (nil, upn?): upn
        case (nil, nil): id
        }
    }
}
