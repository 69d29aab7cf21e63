import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ServiceLifecycle
import SluiceTestSupport
import Synchronization

@testable import SluiceServer

/// medallion (the OASIS TAXII 2.1 server, from PyPI) with its memory backend on a loopback port:
/// one API root `api1` with one collection the test fills by POSTing STIX objects.
struct Medallion: Sendable {
    static let user = "feeder"
    static let password = "feed-password-1"
    static let collection = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"

    let port: Int
    let client: HTTPClient

    var discoveryURL: String { "http://127.0.0.1:\(port)/taxii2/" }

    static func with<T: Sendable>(pageSize: Int, _ body: @Sendable (Medallion) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-medallion-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A free port: bound and released; medallion takes it next.
        let port = Int(try LoopbackListener(tcp: true, address: "127.0.0.1").port)
        let data: [String: Any] = [
            "/discovery": [
                "title": "sluice test TAXII", "default": "http://127.0.0.1:\(port)/api1/", "api_roots": ["http://127.0.0.1:\(port)/api1/"],
            ],
            "api1": [
                "information": [
                    "title": "api1", "versions": ["application/taxii+json;version=2.1"], "max_content_length": 10_485_760,
                ],
                "status": [],
                "collections": [
                    [
                        "id": collection, "title": "indicators", "can_read": true, "can_write": true,
                        "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": [],
                    ]
                ],
            ],
        ]
        let dataFile = folder.appendingPathComponent("data.json")
        try JSONSerialization.data(withJSONObject: data).write(to: dataFile)
        let config: [String: Any] = [
            "backend": ["module": "medallion.backends.memory_backend", "module_class": "MemoryBackend", "filename": dataFile.path],
            "users": [user: password],
            "taxii": ["max_page_size": pageSize],
        ]
        let configFile = folder.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: config).write(to: configFile)
        let process = try Subprocess(
            "/usr/bin/env", ["medallion", "--host", "127.0.0.1", "--port", String(port), configFile.path], output: .null, error: .null)
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        return try await withCleanup({
            process.kill()
            _ = process.wait()
            try? await client.shutdown()
            try? FileManager.default.removeItem(at: folder)
        }) {
            let server = Medallion(port: port, client: client)
            try await eventually("medallion answering on port \(port)") { try await server.get("/taxii2/") == 200 }
            return try await body(server)
        }
    }

    private func request(_ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "Accept", value: "application/taxii+json;version=2.1")
        request.headers.add(name: "Authorization", value: "Basic " + Data("\(Self.user):\(Self.password)".utf8).base64EncodedString())
        return request
    }

    func get(_ path: String) async throws -> Int {
        let response = try await client.execute(request(path), timeout: .seconds(5))
        _ = try await response.body.collect(upTo: 1 << 20)
        return Int(response.status.code)
    }

    /// Adds STIX objects to the collection (a new version of an object: same id, later `modified`).
    func add(_ objects: [[String: Any]]) async throws {
        var request = request("/api1/collections/\(Self.collection)/objects/")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/taxii+json;version=2.1")
        let body = try JSONSerialization.data(withJSONObject: ["objects": objects])
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(5))
        let answer = try await response.body.collect(upTo: 1 << 20)
        guard response.status.code == 202 else { throw TestFailure("medallion answered \(response.status.code): \(String(buffer: answer))") }
    }

    /// A STIX 2.1 indicator.
    static func indicator(
        _ id: String, pattern: String, modified: String = "2026-01-01T00:00:00.000Z", validUntil: String? = nil, revoked: Bool = false,
        confidence: Int? = nil
    ) -> [String: Any] {
        var object: [String: Any] = [
            "type": "indicator", "spec_version": "2.1", "id": id, "created": "2026-01-01T00:00:00.000Z", "modified": modified,
            "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-01-01T00:00:00Z",
        ]
        if let validUntil { object["valid_until"] = validUntil }
        if revoked { object["revoked"] = true }
        if let confidence { object["confidence"] = confidence }
        return object
    }
}

/// A loopback HTTP server for feeds the test writes: a list at `/list` with an ETag (answering
/// 304 to a matching If-None-Match, counted), and a hostile TAXII API root at `/loop/` whose
/// objects endpoint always says more follows under the same token.
final class FeedFileServer: Sendable {
    struct State {
        var body = ""
        var version = 0
        var requests = 0
        var notModified = 0
    }

    let state = Mutex(State())
    /// While closed, answers for the list wait (with the body they had when asked): a test catches
    /// a sync in the middle of its fetch.
    let gate = Gate()

    /// Replaces the list's body (and its ETag).
    func serve(_ body: String) {
        state.withLock {
            $0.body = body
            $0.version += 1
        }
    }

    var counts: (requests: Int, notModified: Int) { state.withLock { ($0.requests, $0.notModified) } }

    func run<T: Sendable>(_ body: @Sendable (_ base: String) async throws -> T) async throws -> T {
        let router = Router()
        router.get("/list") { [self] request, _ -> Response in
            let (text, etag, fresh) = state.withLock { state -> (String, String, Bool) in
                state.requests += 1
                let etag = "\"v\(state.version)\""
                let fresh = request.headers[.ifNoneMatch] == etag
                if fresh { state.notModified += 1 }
                return (state.body, etag, fresh)
            }
            await gate.pass()
            var headers = HTTPFields()
            headers[.eTag] = etag
            if fresh { return Response(status: .notModified, headers: headers) }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/loop/") { _, _ -> Response in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"title":"loop","versions":["application/taxii+json;version=2.1"]}"#)))
        }
        router.get("/loop/collections/c1/objects/") { _, _ -> Response in
            Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"more":true,"next":"again","objects":[]}"#)))
        }
        return try await LoopbackHTTPServer.run(router) { port in try await body("http://127.0.0.1:\(port)") }
    }
}

/// Holds whoever passes while it is closed, and counts them.
final class Gate: Sendable {
    private struct State {
        var open = true
        var waiting: [CheckedContinuation<Void, Never>] = []
        var held = 0
    }

    private let state = Mutex(State())

    /// How many have been held so far.
    var held: Int { state.withLock { $0.held } }

    func close() { state.withLock { $0.open = false } }

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for waiter in waiting { waiter.resume() }
    }

    func pass() async {
        await withCheckedContinuation { continuation in
            let through = state.withLock { state in
                guard !state.open else { return true }
                state.held += 1
                state.waiting.append(continuation)
                return false
            }
            if through { continuation.resume() }
        }
    }
}
