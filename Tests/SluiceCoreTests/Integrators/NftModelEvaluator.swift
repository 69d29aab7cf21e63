@testable import SluiceCore

/// Walks a rendered ruleset's chains for one new connection as nft's rule engine does (first
/// matching rule, jump returns, goto does not, a base chain's end accepts), so the core's tests
/// can compare the renderer's precedence with `DecisionEngine` over many flows. The kernel test
/// checks the same against real nft.
struct NftModelEvaluator {
    let ruleset: NftRuleset
    /// The cgroup path prefix the renderer was given.
    var cgroupPathPrefix = ""

    /// Whether the connection is rejected, and the comment of the rule that decided.
    struct Result: Equatable {
        var rejected: Bool
        var comment: String
    }

    func evaluate(_ flow: FlowQuery, hook: NftChain.Hook = .output) -> Result {
        guard let base = ruleset.chains.first(where: { $0.hook == hook }) else { return Result(rejected: false, comment: "no base chain") }
        return run(base, flow) ?? Result(rejected: false, comment: "policy accept")
    }

    /// nil: the chain ended or returned without a verdict.
    private func run(_ chain: NftChain, _ flow: FlowQuery) -> Result? {
        for rule in chain.rules where rule.matches.allSatisfy({ matches($0, flow) }) {
            for statement in rule.statements {
                switch statement {
                case .log: continue
                // A new flow in a test is well within any rate.
                case .limitOver: break
                case .accept: return Result(rejected: false, comment: rule.comment)
                case .reject, .resetTCP: return Result(rejected: true, comment: rule.comment)
                case .jump(let target):
                    if let result = run(self.chain(target), flow) { return result }
                case .goto(let target):
                    return run(self.chain(target), flow) ?? Result(rejected: false, comment: "policy accept")
                case .return:
                    return nil
                }
                if case .limitOver = statement { break }
            }
        }
        return nil
    }

    private func chain(_ name: String) -> NftChain {
        guard let chain = ruleset.chains.first(where: { $0.name == name }) else { preconditionFailure("no chain \(name)") }
        return chain
    }

    private func matches(_ match: NftMatch, _ flow: FlowQuery) -> Bool {
        switch match {
        case .established: return false
        case .neighborDiscovery: return false
        case .family(let family): return flow.destination.family == family
        case .destination(let prefix): return prefix.family == flow.destination.family && prefix.contains(flow.destination)
        case .destinationSet(let name, let family):
            guard family == flow.destination.family, let set = ruleset.sets.first(where: { $0.name == name }) else { return false }
            return set.elements.contains { $0.prefix.contains(flow.destination) }
        case .l4proto(let numbers): return numbers.contains(flow.transport.number)
        case .destinationPort(let ports): return ports.contains(flow.port)
        case .cgroup(let level, let path):
            guard level < flow.cgroupAncestry.count else { return false }
            let relative = String(flow.cgroupAncestry[level].path.drop { $0 == "/" })
            return (cgroupPathPrefix.isEmpty ? relative : cgroupPathPrefix + "/" + relative) == path
        }
    }
}
