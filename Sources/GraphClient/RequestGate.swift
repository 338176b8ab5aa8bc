/// A check made before each request to Graph. With state shared through PostgreSQL, a node may
/// work a tenant only while its lease is surely still its own; the gate throws once that is
/// no longer sure (by the node's own monotonic clock), so a node that was paused or cut off
/// sends nothing more for the tenant, even before it hears that its lease was taken.
public struct RequestGate: Sendable {
    let check: @Sendable () throws -> Void

    public init(_ check: @escaping @Sendable () throws -> Void) { self.check = check }

    func verify() throws { try check() }
}
