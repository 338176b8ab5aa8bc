import Foundation

/// Microsoft's national clouds: each has its own login and Graph hosts, and tokens do not cross.
public enum Cloud: String, Sendable, CaseIterable, Equatable {
    case global
    case usgov
    case usgovDoD = "usgov-dod"
    case china

    public var loginEndpoint: URL {
        switch self {
        case .global: URL(string: "https://login.microsoftonline.com")!
        case .usgov, .usgovDoD: URL(string: "https://login.microsoftonline.us")!
        case .china: URL(string: "https://login.chinacloudapi.cn")!
        }
    }

    public var graphEndpoint: URL {
        switch self {
        case .global: URL(string: "https://graph.microsoft.com")!
        case .usgov: URL(string: "https://graph.microsoft.us")!
        case .usgovDoD: URL(string: "https://dod-graph.microsoft.us")!
        case .china: URL(string: "https://microsoftgraph.chinacloudapi.cn")!
        }
    }
}
