import Synchronization
import SluiceCore

/// The policies in force at the latest revision, read once per revision and shared by every
/// agent's poll (a push wakes a thousand pollers; one query serves them all), and which policies
/// raise alerts on deny.
final class PolicyCatalog: Sendable {
    struct Snapshot: Sendable {
        var revision: Int64
        var policies: [StoredPolicyVersion]
        var alertOnDeny: Set<String>

        /// Positions in `policies` of those whose node selector matches `labels`.
        func chosen(for labels: [String: String]) -> [Int] {
            policies.indices.filter { NodeSelector.matches(policies[$0].version.nodeSelector, labels: labels) }
        }

        /// The bundle of the policies at `chosen`, at this revision.
        func bundle(_ chosen: [Int]) -> PolicyBundle {
            PolicyBundle(revision: UInt64(max(0, revision)), policies: chosen.map { policies[$0].version })
        }
    }

    private let store: Store
    private let snapshot = Mutex<Snapshot?>(nil)
    /// One reload at a time; the others wait for it and use its result.
    private let loading = AsyncLock()

    init(store: Store) {
        self.store = store
    }

    /// The snapshot at `revision` or later.
    func current(atLeast revision: Int64) async throws -> Snapshot {
        if let cached = snapshot.withLock({ $0 }), cached.revision >= revision { return cached }
        return try await loading.withLock {
            if let cached = snapshot.withLock({ $0 }), cached.revision >= revision { return cached }
            let (revision, policies) = try await store.policySnapshot()
            let fresh = Snapshot(
                revision: revision, policies: policies, alertOnDeny: Set(policies.filter(\.alertOnDeny).map(\.version.name)))
            snapshot.withLock { $0 = fresh }
            return fresh
        }
    }

    /// The bundle for a node with these labels.
    func bundle(labels: [String: String], atLeast revision: Int64) async throws -> PolicyBundle {
        let snapshot = try await current(atLeast: revision)
        return snapshot.bundle(snapshot.chosen(for: labels))
    }

    /// Policies with `alertOnDeny`, as of the last snapshot read (empty before any).
    var alertOnDeny: Set<String> { snapshot.withLock { $0?.alertOnDeny ?? [] } }
}
