import Foundation
import GalsyncConfig
import GalsyncPlan
import SyncStore

/// What `check` and a reload refuse before any cycle would: the shipped example's placeholder
/// ids left in place, and a `sync.folder` changed under a state that has written to the old
/// folder (every cycle would then fail).
public enum ConfigSanity {
    /// An id made of one repeated digit per group (`00000000-0000-…`, `11111111-2222-…`,
    /// `aaaaaaaa-bbbb-…`): the example's, never a real object id.
    public static func isPlaceholder(_ id: String) -> Bool {
        let groups = id.split(separator: "-")
        return groups.count == 5 && groups.allSatisfy { Set($0).count == 1 }
    }

    /// The keys holding placeholders, each with the fix. A placeholder client id is left alone
    /// on a loopback login endpoint (the simulator, whose demo uses the example's id).
    public static func placeholders(_ config: Configuration) -> [String] {
        var out: [String] = []
        for (key, ids) in [("directory.include_groups", config.directory.includeGroups), ("directory.exclude_groups", config.directory.excludeGroups),
                           ("mailboxes.groups", config.mailboxes.groups)] {
            for id in ids where isPlaceholder(id) {
                out.append("\(key) holds the example's placeholder \(id): put the group's object id (Entra admin center → Groups → the group → Object ID), or remove it")
            }
        }
        if isPlaceholder(config.tenant.clientId), !ConfigurationLoader.isLoopback(config.tenant.loginEndpoint.host ?? "") {
            out.append("tenant.client_id is the example's placeholder \(config.tenant.clientId): put the app registration's Application (client) ID")
        }
        return out
    }

    /// Why the state at `sync.state` cannot be used with this configuration, or nil (also nil
    /// when there is no state or it cannot be read: other steps say so).
    public static func stateProblem(_ config: Configuration) -> SyncError? {
        // With lists and none on sync.folder, the earlier folder is retired by the cycle (KeptLists).
        guard config.homeList != nil, FileManager.default.fileExists(atPath: config.sync.state),
              let store = try? StateStore(path: config.sync.state, readOnly: true),
              let previous = try? store.meta("folder"), previous != config.sync.folder,
              let mailboxes = try? store.mailboxes(), !mailboxes.isEmpty else { return nil }
        return .folderChanged(from: previous, to: config.sync.folder)
    }
}
