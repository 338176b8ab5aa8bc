import Foundation

/// The folder that holds `state.db` and its lock. The contract says it is created, with its
/// missing parents, mode 0700 when missing; this does it with `mkdir(2)` itself so that a
/// failure keeps its real errno (ENOTDIR, EROFS, EACCES) for the message.
enum StateFolder {
    /// Creates the folder of `statePath` (and missing parents) mode 0700; folders that exist
    /// are left as they are.
    static func create(for statePath: String) throws(StateStoreError) {
        let folder = (statePath as NSString).deletingLastPathComponent
        guard !folder.isEmpty else { return }
        var prefix = folder.hasPrefix("/") ? "" : "."
        for component in folder.split(separator: "/") {
            prefix += "/" + component
            var info = stat()
            if stat(prefix, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else { throw .folderNotCreated(folder: folder, failedAt: prefix, errno: ENOTDIR) }
                continue
            }
            if mkdir(prefix, 0o700) != 0 {
                let e = errno
                // Another process may have made it meanwhile.
                if e == EEXIST, stat(prefix, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { continue }
                throw .folderNotCreated(folder: folder, failedAt: prefix, errno: e)
            }
            chmod(prefix, 0o700)  // whatever the umask
        }
    }
}
