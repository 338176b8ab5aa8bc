import GalsyncPlan
import Synchronization

/// One `ProjectionCache` per named list, kept by the process like the home list's: each list's
/// desired set stands for its own round (the directory's, or its source folder's).
public final class ListProjectionCaches: Sendable {
    private let caches = Mutex<[String: ProjectionCache]>([:])

    public init() {}

    /// The cache of the list called `name`, made on first use.
    func cache(_ name: String) -> ProjectionCache {
        caches.withLock { all in
            if let c = all[name] { return c }
            let c = ProjectionCache()
            all[name] = c
            return c
        }
    }
}
