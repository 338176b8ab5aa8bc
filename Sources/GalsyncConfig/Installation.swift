import Foundation

/// What one galsync install serves: one tenant (a plain `galsync.toml`) or many (`include =
/// [...]`, one file per tenant with `name = "..."` at its top), and where their state lives.
/// A tenant whose file is broken is kept with its error, so that the others still run.
public struct Installation: Sendable {
    /// The main configuration file.
    public var file: String
    public var store: StoreSettings
    /// In name order; a plain file is one tenant named by its `name` key, or "".
    public var tenants: [Tenant]
    /// The main file has `include`: every command names the tenant it means.
    public var isMultiTenant: Bool

    public init(file: String, store: StoreSettings = StoreSettings(), tenants: [Tenant], isMultiTenant: Bool) {
        self.file = file
        self.store = store
        self.tenants = tenants
        self.isMultiTenant = isMultiTenant
    }

    /// One tenant: its name, its file, and its configuration or why there is none.
    public struct Tenant: Sendable {
        public var name: String
        public var file: String
        public var config: Result<Configuration, ConfigurationError>
        public init(name: String, file: String, config: Result<Configuration, ConfigurationError>) {
            self.name = name
            self.file = file
            self.config = config
        }
    }

    /// The tenant a command means: `--tenant NAME`, or the only one. Throws a configuration
    /// error naming the tenants when the choice is missing or unknown, and the tenant's own
    /// error when its file is broken.
    public func tenant(named name: String?) throws(ConfigurationError) -> Configuration {
        let names = tenants.map(\.name).filter { !$0.isEmpty }
        let chosen: Tenant?
        if let name {
            chosen = tenants.first { $0.name == name }
            if chosen == nil {
                throw ConfigurationError(file: file, problems: [.init(key: "", message: names.isEmpty
                    ? "--tenant \(name): this install serves one tenant with no name; leave --tenant out"
                    : "--tenant \(name): no such tenant; this install serves \(names.joined(separator: ", "))")])
            }
        } else if tenants.count == 1 {
            chosen = tenants[0]
        } else {
            throw ConfigurationError(file: file, problems: [.init(key: "", message: "this install serves \(tenants.count) tenants (\(names.joined(separator: ", "))): add --tenant NAME")])
        }
        return try chosen!.config.get()
    }

    /// The tenants whose files loaded.
    public var configurations: [Configuration] { tenants.compactMap { try? $0.config.get() } }
}
