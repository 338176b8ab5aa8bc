import Foundation
import GalsyncJSON

/// Makes a realistic, deterministic tenant from `--users N --seed S`: non-ASCII names, missing
/// fields, guests, disabled accounts, users without mail or mailbox, rooms, and nested groups.
public struct TenantSeed: Sendable {
    public var users: Int
    public var seed: UInt64
    /// Share of member users with mail that have an Exchange Online mailbox.
    public var mailboxShare: Double
    /// Mail contacts of the tenant (`orgContact`: partners, suppliers).
    public var orgContacts: Int

    public init(users: Int, seed: UInt64, mailboxShare: Double = 0.92, orgContacts: Int = 0) {
        self.users = users
        self.seed = seed
        self.mailboxShare = mailboxShare
        self.orgContacts = orgContacts
    }

    public static let givenNames = ["Ada", "José", "Zoë", "Łukasz", "Øyvind", "Ingrid", "Amélie", "Björn", "Siobhán", "Nuño",
                             "Chloé", "Dmitri", "Aiko", "Mei", "Olu", "Priya", "Şule", "Théo", "Grace", "Ravi",
                             "Françoise", "Jürgen", "Małgorzata", "Seán", "Kofi", "Ana", "Liam", "Noor", "Hana", "Mateo"]
    public static let surnames = ["Lovelace", "Álvarez", "Müller", "Kowalski", "Hansen", "Bergström", "O'Brien", "Núñez", "Dubois",
                           "Ivanova", "Tanaka", "Wang", "Okafor", "Sharma", "Yılmaz", "Martin", "Hopper", "Patel", "Søndergaard",
                           "Żółć", "Nakamura", "García", "Mensah", "Rossi", "Smith", "Khan", "Kim", "Silva", "Novák", "Jones"]
    public static let cjk = [("伟", "王"), ("秀英", "李"), ("さくら", "佐藤"), ("민준", "김")]
    public static let departments = ["Sales", "Engineering", "Finance", "Marketing", "Support", "Legal", "Operations"]
    public static let titles = ["Manager", "Engineer", "Analyst", "Director", "Specialist", "Consultant", "Coordinator"]
    public static let offices = [("Building 1", "1 Main St", "Redmond", "WA", "98052", "United States"),
                          ("Paris HQ", "12 Rue de Rivoli", "Paris", nil, "75001", "France"),
                          ("München", "Leopoldstraße 5", "München", "Bayern", "80802", "Germany"),
                          ("東京", "丸の内 1-1", "千代田区", "東京都", "100-0005", "Japan")]

    public struct Result: Sendable {
        public var users: [SimUser]
        public var groups: [SimGroup]
        public var orgContacts: [SimOrgContact] = []
    }

    public func make() -> Result {
        var rng = SeededRandom(seed: seed)
        var users: [SimUser] = []
        for i in 0..<users_count {
            users.append(makeUser(index: i, rng: &rng))
        }
        // Two rooms: disabled accounts with a mailbox, as Exchange resource mailboxes are.
        for (n, name) in ["Conference Room Alpha", "Salle Béatrice"].enumerated() {
            let id = rng.guid()
            users.append(SimUser(id: id, properties: [
                "id": .string(id), "displayName": .string(name), "userPrincipalName": .string("room\(n + 1)@contoso.onmicrosoft.com"),
                "mail": .string("room\(n + 1)@contoso.com"), "mailNickname": .string("room\(n + 1)"),
                "accountEnabled": false, "userType": "Member", "businessPhones": [],
            ], hasMailbox: true))
            users[users.count - 1].purpose = "room"
        }
        let groups = makeGroups(users: users, rng: &rng)
        // Org contacts from a generator of their own, so the users and groups stay as they were.
        var contactRng = SeededRandom(seed: seed ^ 0x0C0A_7AC7)
        let contacts = (0..<orgContacts).map { SimOrgContact.seeded(index: $0, rng: &contactRng) }
        return Result(users: users, groups: groups, orgContacts: contacts)
    }

    private var users_count: Int { users }

    private func makeUser(index i: Int, rng: inout SeededRandom) -> SimUser {
        let id = rng.guid()
        var given: String?
        var surname: String?
        if i % 29 == 7 {
            let pair = Self.cjk[i % Self.cjk.count]
            given = pair.0; surname = pair.1
        } else {
            given = Self.givenNames[Int(rng.next() % UInt64(Self.givenNames.count))]
            surname = Self.surnames[Int(rng.next() % UInt64(Self.surnames.count))]
        }
        let display = i % 29 == 7 ? "\(surname!)\(given!)" : "\(given!) \(surname!)"
        if rng.chance(0.04) { given = nil }
        if rng.chance(0.03) { surname = nil }
        let ascii = display.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil)
            .lowercased().filter { $0.isASCII && ($0.isLetter || $0 == " ") }
            .split(separator: " ").joined(separator: ".")
        let nick = (ascii.isEmpty ? "user" : ascii) + ".\(i)"
        let isGuest = rng.chance(0.03)
        let disabled = !isGuest && rng.chance(0.03)
        let noMail = !isGuest && rng.chance(0.02)
        let upn = isGuest ? "\(nick)_fabrikam.com#EXT#@contoso.onmicrosoft.com" : "\(nick)@contoso.com"
        let dept = Self.departments[Int(rng.next() % UInt64(Self.departments.count))]
        let office = Self.offices[Int(rng.next() % UInt64(Self.offices.count))]
        var p: [String: JSONValue] = [
            "id": .string(id), "displayName": .string(display), "givenName": given.json, "surname": surname.json,
            "userPrincipalName": .string(upn), "mailNickname": .string(nick),
            "mail": noMail ? .null : .string(isGuest ? "\(nick)@fabrikam.com" : "\(nick)@contoso.com"),
            "userType": .string(isGuest ? "Guest" : "Member"), "accountEnabled": .bool(!disabled),
            "businessPhones": rng.chance(0.8) ? [.string(String(format: "+1 425 555 %04d", i % 10000))] : [],
            "mobilePhone": rng.chance(0.7) ? .string(String(format: "+44 7700 9%05d", i % 100000)) : .null,
            "jobTitle": rng.chance(0.9) ? .string("\(dept) \(Self.titles[Int(rng.next() % UInt64(Self.titles.count))])") : .null,
            "department": isGuest ? .null : .string(dept),
            "companyName": isGuest ? "Fabrikam" : "Contoso Ltd",
            "officeLocation": rng.chance(0.85) ? .string(office.0) : .null,
            "employeeId": isGuest ? .null : .string(String(format: "E%05d", i)),
            "preferredLanguage": .null, "usageLocation": .null,
            // Every 50th member is a test or service account, marked the ways tenants do (no
            // random draw: the rest of the seeded tenant stays as it was).
            "employeeType": isGuest ? .null : .string(i % 50 == 13 ? "Service" : "Employee"),
            "onPremisesExtensionAttributes": SimUser.extensionAttributes(i % 50 == 13 ? [1: "TEST"] : [:]),
            // Entra's flag: null ("treated as true") for nearly everyone, false for every 50th
            // member from the 27th (hidden from the address list through Entra or on-premises).
            "showInAddressList": i % 50 == 27 && !isGuest ? false : .null,
        ]
        if rng.chance(0.8) {
            p["streetAddress"] = .string(office.1); p["city"] = .string(office.2); p["state"] = office.3.json
            p["postalCode"] = .string(office.4); p["country"] = .string(office.5)
        }
        for name in SimUser.propertyNames where p[name] == nil { p[name] = .null }
        let hasMailbox = !isGuest && !noMail && rng.chance(mailboxShare)
        var user = SimUser(id: id, properties: p, hasMailbox: hasMailbox)
        // Every 50th mailbox from the 41st is a shared mailbox, from the 44th a room, from the
        // 47th equipment. Nothing else about them changes (no random draw, the same enabled
        // state): the rest of the tenant stays as it was, and they are the enabled resource
        // mailboxes that only userPurpose reveals (Exchange makes its own disabled, which the
        // `include_disabled` rule already leaves out).
        if hasMailbox, let purpose = [41: "shared", 44: "room", 47: "equipment"][i % 50] { user.purpose = purpose }
        // Four mailbox users in five have a photo, uploaded at one of five sizes (no random draw).
        if hasMailbox, i % 5 != 4 { user.photo = SimUserPhoto(original: [648, 504, 360, 96][i % 5]) }
        return user
    }

    private func makeGroups(users: [SimUser], rng: inout SeededRandom) -> [SimGroup] {
        let members = users.filter { $0.properties["userType"] == "Member" }
        var groups: [SimGroup] = []
        groups.append(SimGroup(id: rng.guid(), displayName: "All Staff", members: members.map(\.id)))
        groups.append(SimGroup(id: rng.guid(), displayName: "Mailbox Users", members: users.filter(\.hasMailbox).map(\.id)))
        var byDept: [String: String] = [:]
        for dept in Self.departments {
            let id = rng.guid()
            byDept[dept] = id
            groups.append(SimGroup(id: id, displayName: dept, members: members.filter { $0.properties["department"] == .string(dept) }.map(\.id)))
        }
        // Nested: "Sales EMEA" is a member of "Sales"; its members are Sales people in Paris or München.
        let emea = SimGroup(id: rng.guid(), displayName: "Sales EMEA", members: members.filter {
            $0.properties["department"] == "Sales" && ["Paris", "München"].contains($0.properties["city"]?.stringValue ?? "")
        }.map(\.id))
        groups.append(emea)
        if let salesIndex = groups.firstIndex(where: { $0.displayName == "Sales" }) {
            groups[salesIndex].members.removeAll { emea.members.contains($0) }
            groups[salesIndex].members.append(emea.id)
        }
        groups.append(SimGroup(id: rng.guid(), displayName: "Executives", members: Array(members.prefix(3).map(\.id))))
        return groups
    }
}
