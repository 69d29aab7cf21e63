import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SluiceCore

/// One feed's HTTP client: its CA bundle, its credentials, bounded bodies, errors as `FeedError`s.
struct FeedHTTP: Sendable {
    let feed: FeedSpec
    let client: HTTPClient
    let limits: FeedLimits

    /// A client trusting the feed's CA file (or the system's); the caller shuts it down.
    static func client(for feed: FeedSpec) throws(FeedError) -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let caFile = feed.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw FeedError(feed: feed.name, reason: .fetch("cannot read the CA file \(caFile)"))
            }
            tls.trustRoots = .file(caFile)
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
        // Credentials must not follow a redirect to another host.
        configuration.redirectConfiguration = feed.auth == .none ? .follow(max: 5, allowCycles: false) : .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// A GET's status, headers and body (at most `limits.maximumBytes`).
    func get(_ url: String, headers extra: [(String, String)] = []) async throws(FeedError) -> (status: Int, headers: HTTPHeaders, body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: "sluice-server/\(SluiceVersion.current)")
        switch feed.auth {
        case .none: break
        case .basic(let user, let password):
            request.headers.add(name: "Authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        case .bearer(let token): request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        do {
            let response = try await client.execute(request, timeout: .seconds(120))
            let buffer: ByteBuffer
            do {
                buffer = try await response.body.collect(upTo: limits.maximumBytes)
            } catch is NIOTooManyBytesError {
                throw FeedError(feed: feed.name, reason: .tooLarge(limit: limits.maximumBytes))
            }
            return (Int(response.status.code), response.headers, Array(buffer.readableBytesView))
        } catch let error as FeedError {
            throw error
        } catch {
            throw FeedError(feed: feed.name, reason: .fetch("GET \(url): \(error)"))
        }
    }

    func failure(_ problem: String) -> FeedError { FeedError(feed: feed.name, reason: .fetch(problem)) }
}
