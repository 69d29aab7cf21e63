import Foundation
import SluiceKernel

/// Where an agent instance keeps its state: the state folder (local API socket, saved state)
/// and its bpffs pin folder. Every command derives the same paths from `--state-dir`, so
/// several agents can run side by side, each with its own folder.
public struct StateLayout: Sendable, Hashable {
    public static let defaultDirectory = "/var/lib/sluice"

    public let directory: String
    public let pinDirectory: String

    /// The pin folder is `<bpffs>/sluice` for the default state folder and
    /// `<bpffs>/sluice-<hash of the state folder>` for any other, unless given.
    public init(directory: String = StateLayout.defaultDirectory, pinDirectory: String? = nil) throws {
        let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
        self.directory = absolute
        if let pinDirectory {
            self.pinDirectory = pinDirectory
        } else {
            let bpffs = try BPFFS.mountPoint()
            self.pinDirectory =
                absolute == Self.defaultDirectory ? "\(bpffs)/sluice" : "\(bpffs)/sluice-\(Self.shortHash(absolute))"
        }
    }

    /// The agent's local API (HTTP over a Unix socket, root only).
    public var socketPath: String { "\(directory)/agent.sock" }
    /// Held with flock while an agent runs, so two agents never share one folder.
    public var lockPath: String { "\(directory)/agent.lock" }
    /// The last policy applied: its sources and rule table, to name events across restarts.
    public var appliedPolicyPath: String { "\(directory)/applied-policy.json" }
    public var pins: PinLayout { PinLayout(directory: pinDirectory) }
    /// Every rule the agent learned, with its state.
    public var learnedRulesPath: String { "\(directory)/learned-rules.json" }
    /// The node's server credential (`sluice agent --server`).
    public var fleetCredentialPath: String { "\(directory)/fleet.json" }
    /// The last server policy revision applied, enforced when the server is away.
    public var serverPolicyPath: String { "\(directory)/server-policy.json" }
    /// Event batches waiting for upload.
    public var outboxDirectory: String { "\(directory)/outbox" }
    /// The recent decisions `sluice policy test --local` replays (`DecisionHistory`).
    public var historyDirectory: String { "\(directory)/history" }
    /// The feed layers' indicators (`IntelSnapshot`), enforced again at once after a restart.
    public var intelPath: String { "\(directory)/intel.json" }
    /// The anomaly detector's baselines (a versioned binary snapshot).
    public var detectorSnapshotPath: String { "\(directory)/baselines.bin" }
    /// Each application's upload habit (`VolumeTable`, a versioned binary snapshot).
    public var volumeSnapshotPath: String { "\(directory)/volumes.bin" }

    /// FNV-1a, 32 bits, as hex: stable across runs and machines.
    static func shortHash(_ text: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in text.utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
