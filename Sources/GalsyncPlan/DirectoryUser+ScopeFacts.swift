import Foundation
import GalsyncJSON

/// What `SyncScope` asks of every user on every cycle, from one scan of the packed entries.
/// Asked one property at a time (`isGuest`, `isEnabled`, `has`), each question walked the
/// entries from the start: at 100,000 users the scope cost nearly what projecting them does
/// (docs/benchmarks.md, session 7).
extension DirectoryUser {
    struct ScopeFacts {
        var isGuest: Bool
        var isOrgContact: Bool
        var isEnabled: Bool
        var hasMail: Bool
        /// Every attribute of `require` holds a value.
        var hasRequired: Bool
    }

    func scopeFacts(require: [String]) -> ScopeFacts {
        let slots = packed.slots()
        func slot(_ key: String) -> PackedProperties.Slot? {
            guard let i = Self.index[key], i < slots.count else { return nil }
            return slots[i]
        }
        let userType = slot("userType").flatMap { $0.tag == .string ? packed.text($0.payload) : nil }
        // As `isEnabled`: only an explicit false disables (absent, null or another type: enabled).
        let enabled = slot("accountEnabled")?.tag != .no
        func has(_ key: String) -> Bool {
            guard let s = slot(key) else { return Self.index[key] == nil ? self.has(key) : false }
            switch s.tag {
            case .absent, .null: return false
            case .no, .yes, .id: return true
            case .string: return !packed.text(s.payload).trimmingCharacters(in: .whitespaces).isEmpty
            case .strings: return !s.payload.isEmpty
            case .json: return self.has(key)  // a number, an object or a mixed array: the general rule
            }
        }
        let hasMail = has("mail")
        return ScopeFacts(isGuest: userType?.lowercased() == "guest", isOrgContact: userType == "OrgContact", isEnabled: enabled,
                          hasMail: hasMail, hasRequired: require.allSatisfy { $0 == "mail" ? hasMail : has($0) })
    }
}
