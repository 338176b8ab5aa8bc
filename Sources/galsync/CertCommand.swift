import ArgumentParser
import Foundation
import GalsyncCore

struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Make or inspect the app registration's certificate.",
        subcommands: [New.self, Show.self])

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

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subject, validity, days left and thumbprints of a certificate.")
        @Argument(help: "PEM or DER certificate file.") var file: String

        func run() async throws {
            do {
                print(try CertificateTool.show(path: file))
            } catch {
                FileHandle.standardError.write(Data("galsync cert show: \(error)\n".utf8))
                throw ExitCode(ExitStatus.config.rawValue)
            }
        }
    }
}
