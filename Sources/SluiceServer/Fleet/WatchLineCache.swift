import OpenAPIRuntime
import SluiceAPI
import Synchronization

/// The policy watch's lines at the latest revision, one per distinct bundle. Nodes whose labels
/// choose the same policies share a line, so a push to 10,000 nodes encodes each distinct bundle
/// once rather than once per node (a bundle of a few MB encoded per node would cost minutes of
/// CPU), and every stream writes the same bytes without copying them.
final class WatchLineCache: Sendable {
    /// Distinct bundles kept per revision; a fleet with more label sets than this encodes the rest
    /// per node, as before.
    static let maximumBundles = 1024

    private struct Lines {
        var revision: Int64 = -1
        /// Keyed by the positions of the bundle's policies in the catalog's snapshot.
        var byPolicies: [[Int]: HTTPBody.ByteChunk] = [:]
    }

    private let catalog: PolicyCatalog
    private let lines = Mutex(Lines())
    /// One encoding at a time: thousands of watches a push wakes at once wait for the first to
    /// encode their bundle instead of each encoding it.
    private let encoding = AsyncLock()

    init(catalog: PolicyCatalog) {
        self.catalog = catalog
    }

    /// The line (newline included) of the bundle for a node with these labels, at `revision` or later.
    func line(labels: [String: String], atLeast revision: Int64) async throws -> (revision: Int64, line: HTTPBody.ByteChunk) {
        let snapshot = try await catalog.current(atLeast: revision)
        let chosen = snapshot.chosen(for: labels)
        if let line = cached(chosen, at: snapshot.revision) { return (snapshot.revision, line) }
        let line = try await encoding.withLock {
            if let line = cached(chosen, at: snapshot.revision) { return line }
            let line = HTTPBody.ByteChunk(try PolicyWatchLine.text(Components.Schemas.PolicyBundle(snapshot.bundle(chosen))).utf8)
            lines.withLock { lines in
                if snapshot.revision > lines.revision { lines = Lines(revision: snapshot.revision) }
                if snapshot.revision == lines.revision && lines.byPolicies.count < Self.maximumBundles { lines.byPolicies[chosen] = line }
            }
            return line
        }
        return (snapshot.revision, line)
    }

    private func cached(_ chosen: [Int], at revision: Int64) -> HTTPBody.ByteChunk? {
        lines.withLock { $0.revision == revision ? $0.byPolicies[chosen] : nil }
    }
}
