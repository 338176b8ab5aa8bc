import Foundation
import GalsyncConfig
import GalsyncPlan
import GraphClient
import GraphHTTP
import SyncStore

/// `check` for `[[list]]`: each list by name with its folder, and for a mailbox-sourced list,
/// whether its source mailbox and folder are there and readable.
extension Preflight {
    static func listSteps(_ config: Configuration, graph: GraphAPI) async -> [Step] {
        var steps: [Step] = []
        for list in config.lists {
            let name = "list \(list.name)"
            guard case .mailbox(let mailbox, let folder) = list.source else {
                steps.append(Step(name: name, outcome: .pass, detail: "folder '\(list.folder)' from the directory" + (list.folder == config.sync.folder ? " (keeps state.db)" : "")))
                continue
            }
            do {
                let id = try await graph.request("GET", "/users/\(GraphPath.segment(mailbox))?$select=id").json?["id"]?.stringValue ?? mailbox
                let sync = MailboxSync(graph: graph, store: try StateStore(inMemory: ()), retry: RetryPolicy(), folderName: folder, owner: id)
                guard let folderId = try await sync.findFolder(known: nil) else {
                    steps.append(Step(name: name, outcome: .fail, detail: "\(mailbox) has no folder '\(folder)' directly under its Contacts",
                                      fix: "check source_folder (\"\" is the Contacts folder itself), or make the folder in that mailbox"))
                    continue
                }
                let count = try await graph.request("GET", "\(sync.contactsPath(folderId))?$top=1&$select=id&$count=true").json?["value"]?.arrayValue?.count ?? 0
                steps.append(Step(name: name, outcome: .pass, detail: "folder '\(list.folder)' copies \(mailbox)'s folder '\(folder)' (readable\(count == 0 ? ", but empty" : ""))"))
            } catch let error as GraphError where error.status == 404 {
                steps.append(Step(name: name, outcome: .fail, detail: "source_mailbox \(mailbox): \(error.code)", fix: "give the UPN or object id of the mailbox whose folder the list copies"))
            } catch {
                steps.append(failure(name, error))
            }
        }
        return steps
    }
}
