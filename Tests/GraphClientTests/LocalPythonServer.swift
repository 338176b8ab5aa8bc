import Foundation
import ProcessSupport

/// A tiny HTTP server in a `python3` child on 127.0.0.1, for answers the simulator cannot give:
/// `GET /gzip?mib=N` answers N MiB of zeros gzip-compressed (`Content-Encoding: gzip`, about
/// 1 KB on the wire per MiB), `GET /slow?ms=N` answers after N ms (a thread per connection,
/// a listen backlog of 1,024, so hundreds can wait at once), any other path answers 200 with
/// the request path exactly as it arrived, so a test sees what libcurl sent.
final class LocalPythonServer: @unchecked Sendable {
    static let script = """
        import gzip, http.server, sys, time, urllib.parse, zlib
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *a): pass
            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                if u.path == "/gzip":
                    mib = int(urllib.parse.parse_qs(u.query)["mib"][0])
                    c = zlib.compressobj(9, zlib.DEFLATED, 31)
                    zero = bytes(1 << 20)
                    body = b"".join(c.compress(zero) for _ in range(mib)) + c.flush()
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Encoding", "gzip")
                elif u.path == "/slow":
                    time.sleep(int(urllib.parse.parse_qs(u.query)["ms"][0]) / 1000)
                    body = b"slow"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                else:
                    body = self.path.encode()
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        class S(http.server.ThreadingHTTPServer):
            request_queue_size = 1024
            daemon_threads = True
        s = S(("127.0.0.1", 0), H)
        print(s.server_address[1], flush=True)
        import os, threading
        threading.Thread(target=s.serve_forever, daemon=True).start()
        sys.stdin.read()  # EOF: the test process is gone, so is this server
        os._exit(0)
        """

    let process = SpawnedProcess("/usr/bin/env", ["python3", "-c", LocalPythonServer.script])
    /// Its standard input: closed by `stop()` or by this process ending, either way the server exits.
    let input = Pipe()
    let port: Int

    init() throws {
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = input
        process.standardError = FileHandle.nullDevice  // never the test runner's pipes: it waits for them to close
        try process.start()
        var line = Data()
        while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line += byte }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.kill()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "the python3 test server did not start"])
        }
        self.port = port
    }

    var url: String { "http://127.0.0.1:\(port)" }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.kill()
        process.waitUntilExit()
    }
}
