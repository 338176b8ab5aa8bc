import Foundation

/// Whether an endpoint's host is this machine, for the one case where `http://` is accepted
/// (the simulator). The host is parsed, never matched by prefix: `127.attacker.example`,
/// `127.0.0.1.nip.io` and `localhost.evil` are names anyone can point anywhere, so they are not
/// loopback. Accepted: an IPv4 literal in 127.0.0.0/8 in plain dotted-decimal form (four
/// octets, no leading zeros, no shorthand such as `127.1`), the IPv6 loopback `::1` (bracketed
/// or not, in any spelling `inet_pton` accepts), and the name `localhost`.
enum LoopbackHost {
    static func contains(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" { return true }
        if host.hasPrefix("["), host.hasSuffix("]") { return isIPv6Loopback(String(host.dropFirst().dropLast())) }
        return isIPv4Loopback(host) || isIPv6Loopback(host)
    }

    /// Four decimal octets 0–255 without leading zeros, the first 127.
    static func isIPv4Loopback(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }), part == "0" || !part.hasPrefix("0"),
                  let value = Int(part), value <= 255 else { return false }
        }
        return parts[0] == "127"
    }

    /// `::1` however it is written (`0:0:0:0:0:0:0:1`); IPv4-mapped addresses are not loopback here.
    static func isIPv6Loopback(_ host: String) -> Bool {
        var address = in6_addr()
        guard host.contains(":"), inet_pton(AF_INET6, host, &address) == 1 else { return false }
        return withUnsafeBytes(of: &address) { Array($0) } == [UInt8](repeating: 0, count: 15) + [1]
    }
}
