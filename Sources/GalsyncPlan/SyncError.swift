import Foundation

/// A cycle-level failure that stops the cycle before it writes anything.
public enum SyncError: Error, Sendable, CustomStringConvertible {
    case badData(String)
    case groupNotFound(String)
    /// `largest`: the mailboxes with the most deletes, named ("alice@contoso.com: 400").
    case massDelete(planned: Int, managed: Int, limit: Double, largest: [String] = [])
    case folderChanged(from: String, to: String)
    /// A full enumeration of the directory (after an expired deltaLink) that would drop most
    /// known users: an empty or truncated answer must not wipe the snapshot and every mailbox.
    case directoryShrank(dropped: Int, known: Int, limit: Double, what: String = "users")
    /// A configuration the loader accepts but galsync refuses to run with (a placeholder id).
    case badConfiguration(String)
    /// One of these, in the named `[[list]]`.
    indirect case inList(String, SyncError)

    public var description: String {
        switch self {
        case .badData(let s): "Graph sent data galsync cannot use: \(s)"
        case .groupNotFound(let g): "group \(g) does not exist: check [directory] and [mailboxes] group ids (a mistyped id would otherwise change who is synced)"
        case .massDelete(let p, let m, let l, let largest):
            "refusing to delete \(p) of \(m) managed contacts (more than max_deletes_percent = \(Int(l))%)"
                + (largest.isEmpty ? "" : ", most in \(largest.joined(separator: ", "))") + ": check the configuration (a mistyped group id?) and run 'galsync plan'; if it is intended, run 'galsync sync --allow-mass-delete' once"
        case .directoryShrank(let d, let k, let l, let what):
            "refusing a full directory read that would drop \(d) of the \(k) known \(what) (more than max_deletes_percent = \(Int(l))%): Graph may have answered an empty or cut-short enumeration; nothing was saved or deleted. Run 'galsync plan' to see it again; if the directory really shrank, run 'galsync sync --allow-mass-delete' once"
        case .badConfiguration(let s): s
        case .inList(let name, .folderChanged(let from, let to)):
            "list '\(name)': its folder changed from '\(from)' to '\(to)': galsync would leave its contacts behind in the old folder. Put the old name back and run 'galsync purge --list \(name) --all --yes', then set the new name"
        case .inList(let name, let error): "list '\(name)': \(error)"
        case .folderChanged(let from, let to):
            "sync.folder changed from '\(from)' to '\(to)': galsync would leave its contacts behind in the old folder. Put the old name back and run 'galsync purge --all --yes', then set the new name"
        }
    }
}
