import Foundation
import SluiceAPI
import SluiceCore

/// The server's side of the API in `openapi.yaml`: one method per operation, registered on the
/// router by the generated `registerHandlers`. `OperationGuard` has authenticated the caller and
/// read the body within its limit before any of these runs; errors they throw are `APIError`s.
struct ServerAPI: APIProtocol {
    let app: ServerApp

    var store: Store { app.store }
    var configuration: ServerConfiguration { app.configuration }

    /// The scope `APIErrorMiddleware` opened for this request.
    var scope: RequestScope {
        get throws {
            guard let scope = RequestScope.current else { throw APIError(.internalServerError, "the request has no scope") }
            return scope
        }
    }

    /// The user `OperationGuard` authenticated.
    func user() throws -> UserPrincipal {
        guard case .user(let principal) = try scope.principal else { throw APIError(.internalServerError, "no user was authenticated") }
        return principal
    }

    /// The node `OperationGuard` authenticated.
    func node() throws -> NodeRecord { try authenticatedNode().node }

    /// The same, with the credential cache's generation read before its record was.
    func authenticatedNode() throws -> (node: NodeRecord, generation: UInt64) {
        guard case .node(let node, let generation) = try scope.principal else {
            throw APIError(.internalServerError, "no node was authenticated")
        }
        return (node, generation)
    }
}

extension Role {
    init(_ role: Components.Schemas.Role) {
        switch role {
        case .viewer: self = .viewer
        case ._operator: self = .operator
        case .admin: self = .admin
        }
    }

    var schema: Components.Schemas.Role {
        switch self {
        case .viewer: .viewer
        case .operator: ._operator
        case .admin: .admin
        }
    }
}

extension Components.Schemas.Labels {
    init(_ labels: [String: String]) { self.init(additionalProperties: labels) }
}

/// A core value (an explanation) as the document's type of the same JSON: the value crosses by
/// its one wire form. Learned rules and policy versions have their own bridges in SluiceAPI.
enum WireForm {
    /// A core value as the document's type.
    static func schema<T: Decodable>(_ value: some Encodable, as type: T.Type = T.self) throws -> T {
        try decoder.decode(T.self, from: FleetJSON.encoder().encode(value))
    }

    // The generated types name their snake_case keys themselves: no key strategy here.
    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = FleetJSON.decoder().dateDecodingStrategy
        return decoder
    }
}
