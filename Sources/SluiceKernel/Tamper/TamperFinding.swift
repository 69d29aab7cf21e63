/// A kind of interference with Sluice's kernel objects that the verifier notices.
public enum TamperKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// A cgroup link was detached (`bpftool link detach`): the hook decided nothing.
    case linkDetached = "link_detached"
    /// A link runs a program other than ours (`BPF_LINK_UPDATE` by someone else).
    case linkProgramReplaced = "link_program_replaced"
    /// A pin is gone: when the agent stops, what it pinned would be released.
    case pinRemoved = "pin_removed"
    /// A pin refers to another object than ours.
    case pinReplaced = "pin_replaced"
    /// The pin folder was removed or replaced by another folder.
    case pinFolderReplaced = "pin_folder_replaced"
    /// `sluice_state` differs from what the agent wrote (active slot, event mode, exempt agent).
    case stateRewritten = "state_rewritten"
    /// The active slot's `sluice_config` differs from what the agent wrote.
    case configRewritten = "config_rewritten"
    /// Entries of the active slot's subjects or destination tries differ from what the agent wrote.
    case rulesRewritten = "rules_rewritten"
}

/// One thing the verifier found, and whether it was put right.
public struct TamperFinding: Sendable, Hashable, Codable {
    public var kind: TamperKind
    /// What was touched: a hook, a pin name, a map.
    public var subject: String
    /// What was seen, for people: ids, paths, values.
    public var detail: String
    /// The agent restored what it expects.
    public var repaired: Bool
    /// Why the repair failed, when it did.
    public var repairError: String?

    public init(kind: TamperKind, subject: String, detail: String, repaired: Bool, repairError: String? = nil) {
        self.kind = kind
        self.subject = subject
        self.detail = detail
        self.repaired = repaired
        self.repairError = repairError
    }
}
