import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The web console's files, decoded once from the copy embedded at build time
/// (`Console/Assets`, by `EmbedAssetsPlugin`), each with its content type and ETag.
struct ConsoleAssets: Sendable {
    struct Asset: Sendable {
        var bytes: ByteBuffer
        var contentType: String
        /// A strong validator: the SHA-256 of the bytes, quoted.
        var eTag: String
    }

    let files: [String: Asset]

    static let embedded = ConsoleAssets(base64: EmbeddedConsoleAssets.base64)

    init(base64: [String: String]) {
        var files: [String: Asset] = [:]
        for (path, text) in base64 {
            guard let data = Data(base64Encoded: text) else { continue }
            let digest = SHA256.hash(data: data).prefix(16).map { String(format: "%02x", $0) }.joined()
            files[path] = Asset(bytes: ByteBuffer(bytes: data), contentType: Self.contentType(path), eTag: "\"\(digest)\"")
        }
        self.files = files
    }

    static func contentType(_ path: String) -> String {
        switch path.split(separator: ".").last.map({ $0.lowercased() }) {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "json": "application/json; charset=utf-8"
        default: "application/octet-stream"
        }
    }

    /// Only our own files, no inline script or style, no framing, no referrer leaks. The console
    /// calls nothing but this server's API.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("X-Frame-Options")!: "DENY",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
        HTTPField.Name("Cross-Origin-Opener-Policy")!: "same-origin",
    ]

    /// The file at `path` (relative to the assets folder), or 404; 304 when the browser's copy is current.
    func response(_ path: String, request: Request) throws -> Response {
        guard let asset = files[path] else { throw APIError.notFound("no console file \(path)") }
        var headers = Self.securityHeaders
        headers[.eTag] = asset.eTag
        // Revalidate every time: a new server version must never run old scripts from a cache.
        headers[.cacheControl] = "no-cache"
        if request.headers[values: .ifNoneMatch].contains(where: { $0.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == asset.eTag } }) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = asset.contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: asset.bytes))
    }
}
