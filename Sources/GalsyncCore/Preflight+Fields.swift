import GalsyncConfig
import GalsyncPlan

/// `check` for the contact fields: each list's effective mapping, and a warning for a field
/// phones never show.
extension Preflight {
    static func fieldSteps(_ config: Configuration) -> [Step] {
        config.effectiveLists.map { list in
            let table = ContactFieldTable.of(list)
            let name = list.name.isEmpty ? "contact fields" : "list \(list.name) fields"
            let lost = table.fields.filter { ContactFieldTable.notOnPhones.contains($0.key) && $0.source != .none }.map(\.key)
            let what = table === ContactFieldTable.standard ? "the 11 built-in fields" : "\(table.fields.filter { $0.source != .none }.count) fields"
            let detail = "\(what):\n      " + table.mapping.joined(separator: "\n      ")
            guard lost.isEmpty else {
                return Step(name: name, outcome: .warn, detail: detail,
                            fix: "\(lost.joined(separator: " and ")) reach Outlook but not phones: Exchange ActiveSync has no element for them (MS-ASCNTC, the Contact class); map the value to a property phones show, such as jobTitle or nickName")
            }
            return Step(name: name, outcome: .pass, detail: detail)
        }
    }
}
