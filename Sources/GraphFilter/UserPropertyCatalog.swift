import GalsyncJSON

/// The Graph `user` properties a `where` rule may name (v1.0 CSDL, `EntityType user`), their
/// kinds, and the ones `/users/delta` cannot return: a rule is checked against it once at
/// config load, so a typo (`deparment`) is an error with a column, not a rule that keeps no
/// one. Names are matched without case and replaced by Graph's spelling, which the delta
/// `$select` and the snapshot use.
public enum UserPropertyCatalog {
    public enum Kind: Sendable { case text, texts, boolean, number, dateTime, object, objects }

    /// Every property of `microsoft.graph.user` in the v1.0 metadata.
    public static let kinds: [String: Kind] = [
        "aboutMe": .text,
        "accountEnabled": .boolean,
        "ageGroup": .text,
        "assignedLicenses": .objects,
        "assignedPlans": .objects,
        "authorizationInfo": .object,
        "birthday": .dateTime,
        "businessPhones": .texts,
        "city": .text,
        "companyName": .text,
        "consentProvidedForMinor": .text,
        "country": .text,
        "createdDateTime": .dateTime,
        "creationType": .text,
        "customSecurityAttributes": .object,
        "department": .text,
        "deviceEnrollmentLimit": .number,
        "displayName": .text,
        "employeeHireDate": .dateTime,
        "employeeId": .text,
        "employeeLeaveDateTime": .dateTime,
        "employeeOrgData": .object,
        "employeeType": .text,
        "externalUserState": .text,
        "externalUserStateChangeDateTime": .dateTime,
        "faxNumber": .text,
        "givenName": .text,
        "hireDate": .dateTime,
        "identities": .objects,
        "identityParentId": .text,
        "imAddresses": .texts,
        "interests": .texts,
        "isManagementRestricted": .boolean,
        "isResourceAccount": .boolean,
        "jobTitle": .text,
        "lastPasswordChangeDateTime": .dateTime,
        "legalAgeGroupClassification": .text,
        "licenseAssignmentStates": .objects,
        "mail": .text,
        "mailboxSettings": .object,
        "mailNickname": .text,
        "mobilePhone": .text,
        "mySite": .text,
        "officeLocation": .text,
        "onPremisesDistinguishedName": .text,
        "onPremisesDomainName": .text,
        "onPremisesExtensionAttributes": .object,
        "onPremisesImmutableId": .text,
        "onPremisesLastSyncDateTime": .dateTime,
        "onPremisesProvisioningErrors": .objects,
        "onPremisesSamAccountName": .text,
        "onPremisesSecurityIdentifier": .text,
        "onPremisesSyncEnabled": .boolean,
        "onPremisesUserPrincipalName": .text,
        "otherMails": .texts,
        "passwordPolicies": .text,
        "passwordProfile": .object,
        "pastProjects": .texts,
        "postalCode": .text,
        "preferredDataLocation": .text,
        "preferredLanguage": .text,
        "preferredName": .text,
        "print": .object,
        "provisionedPlans": .objects,
        "proxyAddresses": .texts,
        "responsibilities": .texts,
        "schools": .texts,
        "securityIdentifier": .text,
        "serviceProvisioningErrors": .objects,
        "showInAddressList": .boolean,
        "signInActivity": .object,
        "signInSessionsValidFromDateTime": .dateTime,
        "skills": .texts,
        "state": .text,
        "streetAddress": .text,
        "surname": .text,
        "usageLocation": .text,
        "userPrincipalName": .text,
        "userType": .text,
    ]

    /// Sub-properties of the complex properties a rule can reach into with '/'.
    public static let members: [String: [String: Kind]] = [
        "onPremisesExtensionAttributes": Dictionary(uniqueKeysWithValues: (1...15).map { ("extensionAttribute\($0)", Kind.text) }),
        "employeeOrgData": ["division": .text, "costCenter": .text],
    ]

    /// Properties galsync cannot read with the directory, and what to use instead.
    public static let unreadable: [String: String] = {
        var out: [String: String] = [
            "showInAddressList": "Graph leaves it out of /users/delta; use [directory] honor_hidden, which reads it the way that works",
            "mailboxSettings": "Graph returns it only for one user at a time; use [directory] exclude_mailbox_types for shared, room and equipment mailboxes",
            "passwordProfile": "Graph never returns it",
            "signInActivity": "it needs AuditLog.Read.All and is not returned by /users/delta",
            "customSecurityAttributes": "it needs CustomSecAttributeAssignment.Read.All and is not returned by /users/delta",
        ]
        for p in singleUserOnly where p != "mailboxSettings" {
            out[p] = "Graph returns it only for one user at a time (GET /users/{id}), not in /users/delta"
        }
        return out
    }()

    /// The user-list page: "only supported when retrieving a single user" (not in `/users`
    /// nor `/users/delta`).
    public static let singleUserOnly: Set<String> = [
        "aboutMe", "birthday", "hireDate", "interests", "mailboxSettings", "mySite", "pastProjects", "preferredName", "print",
        "responsibilities", "schools", "skills",
    ]

    static let lowercased: [String: String] = Dictionary(uniqueKeysWithValues: kinds.keys.map { ($0.lowercased(), $0) })

    /// A directory extension (`extension_{appId without dashes}_{name}`), kept as Graph spells it.
    static func isDirectoryExtension(_ name: String) -> Bool {
        let parts = name.split(separator: "_", maxSplits: 2)
        return parts.count == 3 && parts[0] == "extension" && parts[1].count == 32 && parts[1].allSatisfy(\.isHexDigit) && !parts[2].isEmpty
    }

    /// `filter` with Graph's spelling of each property, or the first mistake with its column
    /// in `text` (the expression it was parsed from): an unknown or unreadable property, a
    /// text function on something that is not text, a value of the wrong kind.
    public static func check(_ filter: ODataFilter, in text: String) throws(ODataFilter.ParseError) -> ODataFilter {
        var failure: ODataFilter.ParseError?
        let canonical = filter.renamingProperties { name in
            if isDirectoryExtension(name) { return name }
            if let known = lowercased[name.lowercased()] { return known }
            if failure == nil {
                let near = kinds.keys.filter { editDistance($0.lowercased(), name.lowercased()) <= 2 }.sorted().first
                failure = .init("'\(name)' is not a property of a Graph user" + (near.map { " (did you mean '\($0)'?)" } ?? ""), column: column(of: name, in: text))
            }
            return name
        }
        if let failure { throw failure }
        try checkKinds(canonical, text: text, variables: [])
        return canonical
    }

    static func checkKinds(_ f: ODataFilter, text: String, variables: Set<String>) throws(ODataFilter.ParseError) {
        switch f {
        case .and(let a, let b), .or(let a, let b):
            try checkKinds(a, text: text, variables: variables)
            try checkKinds(b, text: text, variables: variables)
        case .not(let a):
            try checkKinds(a, text: text, variables: variables)
        case .any(let path, let variable, let body):
            let kind = try kindOf(path, text: text, variables: variables)
            guard kind == .texts || kind == .objects || kind == nil else {
                throw .init("'\(path.joined(separator: "/"))' is not a collection; any(…) is for collections such as proxyAddresses", column: column(of: path[0], in: text))
            }
            try checkKinds(body, text: text, variables: variables.union([variable]))
        case .text(let function, let path, _):
            let kind = try kindOf(path, text: text, variables: variables)
            guard kind == .text || kind == nil else {
                throw .init("\(function.rawValue) works on text; '\(path.joined(separator: "/"))' is \(describe(kind!))", column: column(of: path[0], in: text))
            }
        case .compare(let path, _, let value):
            try checkValues([value], path: path, text: text, variables: variables)
        case .isIn(let path, let values):
            try checkValues(values, path: path, text: text, variables: variables)
        }
    }

    static func checkValues(_ values: [JSONValue], path: [String], text: String, variables: Set<String>) throws(ODataFilter.ParseError) {
        let kind = try kindOf(path, text: text, variables: variables)
        for v in values where !fits(v, kind) {
            throw .init("'\(path.joined(separator: "/"))' is \(describe(kind!)); \(String(decoding: v.encoded(), as: UTF8.self)) cannot match it", column: column(of: path[0], in: text))
        }
    }

    /// The kind of `path`, nil when it cannot be known (a lambda variable, a directory extension).
    static func kindOf(_ path: [String], text: String, variables: Set<String>) throws(ODataFilter.ParseError) -> Kind? {
        if variables.contains(path[0]) { return nil }
        let name = path[0]
        if !variables.isEmpty {
            // Inside any(p: …) galsync reads the element only: other names would be read as null.
            throw .init("inside any(…), name the element through its variable (\(variables.sorted().joined(separator: ", "))), not '\(name)'", column: column(of: name, in: text))
        }
        if isDirectoryExtension(name) { return nil }
        if let why = unreadable[name] { throw .init("'\(name)' cannot be used in a where rule: \(why)", column: column(of: name, in: text)) }
        guard let kind = kinds[name] else { throw .init("'\(name)' is not a property of a Graph user", column: column(of: name, in: text)) }
        guard path.count > 1 else { return kind }
        guard let inner = members[name], path.count == 2 else {
            throw .init("'\(path.joined(separator: "/"))': galsync cannot reach into '\(name)'", column: column(of: name, in: text))
        }
        guard let sub = inner.first(where: { $0.key.lowercased() == path[1].lowercased() }) else {
            throw .init("'\(path[1])' is not part of '\(name)' (it has \(inner.keys.sorted().prefix(3).joined(separator: ", ")), …)", column: column(of: path[1], in: text))
        }
        return sub.value
    }

    static func fits(_ value: JSONValue, _ kind: Kind?) -> Bool {
        switch (value, kind) {
        case (.null, _), (_, nil): true
        case (.string, .text?), (.string, .dateTime?): true
        case (.bool, .boolean?), (.number, .number?): true
        default: false
        }
    }

    static func describe(_ kind: Kind) -> String {
        switch kind {
        case .text: "text"
        case .texts: "a list of texts (use any(…))"
        case .boolean: "true or false"
        case .number: "a number"
        case .dateTime: "a date and time (compare it with a quoted ISO 8601 text)"
        case .object: "an object (name one of its parts with '/')"
        case .objects: "a list of objects (use any(…))"
        }
    }

    /// The 1-based column of `name`'s first appearance in `text` as a whole word outside
    /// quoted text (1 if not found).
    static func column(of name: String, in text: String) -> Int {
        let chars = Array(text.lowercased()), word = Array(name.lowercased())
        guard !word.isEmpty, chars.count >= word.count else { return 1 }
        var quoted = Array(repeating: false, count: chars.count), inside = false
        for (i, c) in chars.enumerated() {
            if c == "'" { inside.toggle(); quoted[i] = true } else { quoted[i] = inside }
        }
        for i in 0...(chars.count - word.count) where !quoted[i] && Array(chars[i..<(i + word.count)]) == word {
            let before = i == 0 ? " " : chars[i - 1], after = i + word.count < chars.count ? chars[i + word.count] : " "
            if !(before.isLetter || before.isNumber || before == "_"), !(after.isLetter || after.isNumber || after == "_") { return i + 1 }
        }
        return 1
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var prev = row[0]
            row[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let cur = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                prev = cur
            }
        }
        return a.isEmpty ? b.count : row[b.count]
    }
}
