import ArgumentParser
import Foundation
import GalsyncConfig
import GalsyncCore

struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Make or inspect the app registration's certificate.",
        subcommands: [New.self, Show.self])

    func run() async throws { throw CommandLineUsage.helpThenUsageError(Self.self) }

    struct New: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a new RSA key (DIR/galsync.key, 0600) and self-signed certificate (DIR/galsync.crt).")

        @Option(help: "Directory for galsync.key and galsync.crt.") var out: String
        @Option(help: "Days the certificate is valid.") var days = 730
        @Option(help: "Certificate subject.") var subject = "CN=galsync"
        @Option(help: "RSA key size: 2048, 3072 or 4096.") var keySize = 2048
        @Flag(help: "Replace existing files.") var force = false

        func run() async throws {
            var o = CertificateTool.NewOptions(directory: out)
            o.days = days
            o.subject = subject
            o.keySize = keySize
            o.force = force
            do {
                print(try CertificateTool.makeNew(o))
            } catch {
                FileHandle.standardError.write(Data("galsync cert new: \(error)\n".utf8))
                throw ExitCode(ExitStatus.config.rawValue)
            }
        }
    }

    /// `galsync cert show [FILE] [--json]`: a certificate file, or with no FILE the one galsync
    /// uses (tenant.certificate of the configuration).
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Subject, validity, days left and thumbprints of a certificate (default: the configured tenant.certificate).")
        @Argument(help: "PEM, DER or PKCS#12 certificate file; without it, tenant.certificate of the configuration.") var file: String?
        @OptionGroup var options: ConfigOption
        @Flag(help: "One JSON object (subject, not_after, days_left, sha1, ...); on failure {\"error\": {...}}.") var json = false

        func run() async throws {
            do {
                let path: String, passphraseFile: String?
                if let file {
                    (path, passphraseFile) = (file, nil)
                } else {
                    let config = try options.load()
                    (path, passphraseFile) = (config.tenant.certificate, config.tenant.passphraseFile)
                }
                let cert = try CertificateTool.load(path: path, passphraseFile: passphraseFile)
                if json {
                    print(String(decoding: CertificateTool.json(cert, file: path).encoded(), as: UTF8.self))
                } else {
                    print("  file:     \(path)\n" + CertificateTool.describe(cert))
                }
            } catch {
                throw CommandFailure.exit(error, command: "cert show", json: json, status: .config)
            }
        }
    }
}
