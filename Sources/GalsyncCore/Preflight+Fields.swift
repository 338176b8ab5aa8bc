import Foundation
import GalsyncConfig
import GalsyncPlan
import GalsyncSources
import SyncStore

/// `check` for the contact fields: each list's effective mapping, and a warning for a field
/// phones never show.
extension Preflight {
    static func fieldSteps(_ config: Configuration) -> [Step] {
        config.effectiveLists.map { list in
            let table = ContactFieldTable.of(list)
            let name = list.name.isEmpty ? "contact fields" : "list \(list.name) fields"
            // Only what the operator mapped is warned about: a copy carries what its source holds.
            let lost = table.fields.filter { f in
                guard ContactFieldTable.notOnPhones.contains(f.key) else { return false }
                switch f.source { case .user, .template: return true; default: return false }
            }.map(\.key)
            let detail: String
            if case .mailbox = list.source {
                let special = table.mapping.filter { !$0.contains("← the source contact's") }
                detail = "a copy of each source contact: \(table.fields.filter { $0.source == .copy }.count) contact properties"
                    + (special.isEmpty ? "" : ", and:\n      " + special.joined(separator: "\n      "))
            } else {
                let what = table === ContactFieldTable.standard ? "the 11 built-in fields" : "\(table.fields.filter { $0.source != .none }.count) fields"
                detail = "\(what):\n      " + table.mapping.joined(separator: "\n      ")
            }
            // A copy list that takes the top-level [contact] takes only what applies to copies.
            if case .mailbox = list.source {
                let ignored = (list.contact.notes != nil ? ["notes"] : []) + (list.contact.categories.isEmpty ? [] : ["categories"])
                    + list.contact.fields.filter { $0.value.from != nil || $0.value.template != nil }.keys.sorted().map { "\($0)'s from" }
                if !ignored.isEmpty {
                    return Step(name: name, outcome: .warn, detail: detail,
                                fix: "\(ignored.joined(separator: ", ")) from [contact] do not apply to a copy (it carries its source contact's own): give this list its own [list.contact]")
                }
            }
            guard lost.isEmpty else {
                return Step(name: name, outcome: .warn, detail: detail,
                            fix: "\(lost.joined(separator: " and ")) reach Outlook but not phones: Exchange ActiveSync has no element for them (MS-ASCNTC, the Contact class); map the value to a property phones show, such as jobTitle or nickName")
            }
            return Step(name: name, outcome: .pass, detail: detail)
        } + phoneSteps(config)
    }

    /// With `phone_format`, how many of the snapshot's numbers libphonenumber cannot parse
    /// (they are written as they are), and the first few.
    static func phoneSteps(_ config: Configuration) -> [Step] {
        let lists = config.effectiveLists.filter { if case .directory = $0.source { $0.contact.phoneFormat != .asIs } else { false } }
        guard let list = lists.first else { return [] }
        guard FileManager.default.fileExists(atPath: config.sync.state), let store = try? StateStore(path: config.sync.state, readOnly: true),
              let users = try? store.directorySnapshot(), !users.isEmpty else {
            return [Step(name: "phone numbers", outcome: .pass, detail: "\(list.contact.phoneFormat.rawValue): counted after the first sync (no directory snapshot yet)")]
        }
        let table = ContactFieldTable.of(list)
        var total = 0
        var failed: [String] = []
        for user in users.values where !user.isOrgContact {
            let bad = ContactProjection.unparsedPhones(user, table: table)
            failed += bad
            total += (user.array("businessPhones")?.count ?? 0) + (user.string("mobilePhone") == nil ? 0 : 1)
        }
        guard !failed.isEmpty else {
            return [Step(name: "phone numbers", outcome: .pass, detail: "all \(total) numbers in the snapshot parse (\(list.contact.phoneFormat.rawValue))")]
        }
        return [Step(name: "phone numbers", outcome: .warn,
                     detail: "\(failed.count) of \(total) numbers could not be parsed and are written as they are; first: \(failed.prefix(3).map { "'\($0)'" }.joined(separator: ", "))",
                     fix: "give them a country code (+44 …) in the directory, or set [contact] default_region for numbers dialled without one")]
    }
}
