import Foundation
import SluiceCore

/// What an admin says of a feed: where it is, how to read it, and what its layer does to which
/// nodes.
struct FeedSpec: Sendable, Hashable {
    /// A TAXII 2.1 collection, or a plain list over HTTP(S) or in a file.
    enum Kind: String, Sendable, Hashable {
        case taxii
        case list
    }

    /// How the server authenticates to the feed.
    enum Auth: Sendable, Hashable {
        case none
        case basic(user: String, password: String)
        case bearer(token: String)

        var name: String {
            switch self {
            case .none: "none"
            case .basic: "basic"
            case .bearer: "bearer"
            }
        }
    }

    var name: String
    var kind: Kind
    /// A list's format (nil for TAXII, which is STIX).
    var format: FeedFormat?
    /// A TAXII discovery or API root URL; a list's http(s) URL, or a file path.
    var url: String
    /// The TAXII collection id.
    var collection: String?
    var auth: Auth
    /// PEM file of the certificate authorities to trust for this feed (the system's otherwise).
    var caFile: String?
    var pollSeconds: Int
    var action: FeedAction
    var nodeSelector: [String: String]
    /// STIX indicators with a lower confidence are left out (0: all).
    var minimumConfidence: Int
    /// How long a list entry holds after its last sighting when the list says nothing (nil: until
    /// the list drops it).
    var expirySeconds: Int?

    /// Whether `url` names a file on the server rather than an HTTP(S) resource.
    var isFile: Bool { !(url.hasPrefix("http://") || url.hasPrefix("https://")) }
}
