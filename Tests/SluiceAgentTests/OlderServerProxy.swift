import Foundation
import SluiceTestSupport

/// A server from before the policy watch, as an agent sees one: a loopback HTTP proxy (a Python
/// child process) in front of a real server that answers the watch with 404 and passes every
/// other request through. Counts the watches it refused, one line each on its output.
final class OlderServerProxy: Sendable {
    let url: String
    private let process: Subprocess

    init(upstreamPort: Int) throws {
        process = try Subprocess("/usr/bin/python3", ["-c", Self.script, String(upstreamPort)], output: .pipe)
        guard let output = process.output, let port = Int(try output.line()) else { throw SandboxError("the proxy did not say its port") }
        url = "http://127.0.0.1:\(port)"
    }

    deinit { process.kill() }

    /// Waits for the proxy to refuse a watch (the agent asked for one and was told 404).
    func waitForARefusedWatch() throws {
        guard let output = process.output, try output.line() == "refused watch" else { throw SandboxError("the proxy said something else") }
    }

    /// Whole requests and answers, not streams: what a long poll needs, and all this proxy serves.
    private static let script = """
        import http.client, http.server, socketserver, sys
        upstream = int(sys.argv[1])
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def forward(self):
                if self.path.startswith("/api/v1/agent/policy/watch"):
                    body = b'{"error":"not found"}'
                    self.send_response(404)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    print("refused watch", flush=True)
                    return
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream_connection = http.client.HTTPConnection("127.0.0.1", upstream, timeout=120)
                upstream_connection.request(self.command, self.path, body=data, headers=headers)
                answer = upstream_connection.getresponse()
                payload = answer.read()
                self.send_response(answer.status)
                for k, v in answer.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                upstream_connection.close()
            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = forward
        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
        server = Server(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """
}
