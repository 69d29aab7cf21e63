/// Checks across policies that no single document can see: repeated names, rules that contradict
/// each other, defaults that disagree, and rules that add nothing.
public enum PolicyValidator {
    /// Every problem of the set, in the order of the policies. The later of two clashing policies
    /// or rules gets the diagnostic, and its message cites the earlier one's location.
    public static func validate(_ set: PolicySet) -> [PolicyDiagnostic] {
        duplicateNames(in: set) + conflictingDefaults(in: set) + ruleEntryProblems(in: set)
    }

    static func duplicateNames(in set: PolicySet) -> [PolicyDiagnostic] {
        var firstByName: [String: Policy] = [:]
        var diagnostics: [PolicyDiagnostic] = []
        for policy in set.policies {
            if let first = firstByName[policy.name] {
                diagnostics.append(
                    PolicyDiagnostic(
                        at: policy.location, field: "metadata.name",
                        "policy name \"\(policy.name)\" is already used by the policy at \(first.location); "
                            + "policy names must be unique"))
            } else {
                firstByName[policy.name] = policy
            }
        }
        return diagnostics
    }

    /// Two policies that set `default` for one subject must agree on the action and the mode:
    /// otherwise which one the kernel gets would depend on the order of the files.
    static func conflictingDefaults(in set: PolicySet) -> [PolicyDiagnostic] {
        var firstBySubject: [CanonicalSubject: Policy] = [:]
        var diagnostics: [PolicyDiagnostic] = []
        for policy in set.policies {
            guard let action = policy.defaultAction else { continue }
            for (key, written) in CanonicalSubject.keys(of: policy) {
                guard let first = firstBySubject[key], let firstAction = first.defaultAction else {
                    firstBySubject[key] = policy
                    continue
                }
                guard first.mode != policy.mode || firstAction.value != action.value else { continue }
                let differsInMode = first.mode != policy.mode
                diagnostics.append(
                    PolicyDiagnostic(
                        at: action.location, field: action.field,
                        "policy \"\(policy.name)\" sets default \(describe(action.value, policy.mode, differsInMode)) "
                            + "for \(written), but policy \"\(first.name)\" at \(firstAction.location) sets "
                            + "default \(describe(firstAction.value, first.mode, differsInMode)) for it"))
            }
        }
        return diagnostics
    }

    static func describe(_ action: RuleAction, _ mode: PolicyMode, _ withMode: Bool) -> String {
        withMode ? "\(action.rawValue) in \(mode.rawValue) mode" : action.rawValue
    }
}
