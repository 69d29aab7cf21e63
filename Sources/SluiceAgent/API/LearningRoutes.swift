import Foundation
import Hummingbird
import SluiceCore

/// `sluice rules` and `sluice learn` against the running agent.
enum LearningRoutes {
    /// One rule and what the operation did.
    struct RuleResult: Codable, Sendable {
        var rule: LearnedRule
        var message: String
    }

    struct AllowlistPolicy: Codable, Sendable {
        var name: String
        var yaml: String
    }

    static func add(to router: Router<BasicRequestContext>, learner: RuleLearner, scoring: ScoringService) {
        router.get("/v1/rules") { request, _ in
            var state: LearnedRule.State?
            if let text = request.uri.queryParameters.get("state") {
                guard let parsed = LearnedRule.State(rawValue: text) else {
                    throw HTTPError(.badRequest, message: "state must be one of \(LearnedRule.State.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                state = parsed
            }
            return try LocalAPI.json(await learner.list(state: state))
        }
        router.get("/v1/rules/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let rule = await learner.rule(id) else { throw HTTPError(.notFound, message: "no learned rule \(id)") }
            return try LocalAPI.json(rule)
        }
        router.post("/v1/rules/:id/:verb") { request, context in
            let id = try context.parameters.require("id")
            let verb = try context.parameters.require("verb")
            do {
                switch verb {
                case "approve":
                    let person = request.uri.queryParameters.get("by") ?? "local operator"
                    let (rule, message) = try await learner.approve(id, by: person)
                    return try LocalAPI.json(RuleResult(rule: rule, message: message))
                case "reject":
                    let rule = try await learner.reject(id)
                    return try LocalAPI.json(RuleResult(rule: rule, message: "rejected; the baseline now treats this traffic as normal"))
                case "revoke":
                    let rule = try await learner.revoke(id)
                    return try LocalAPI.json(RuleResult(rule: rule, message: "revoked; it no longer applies"))
                default:
                    throw HTTPError(.notFound, message: "unknown operation \(verb): approve, reject or revoke")
                }
            } catch let error as LearningError {
                if case .unknownRule = error { throw HTTPError(.notFound, message: error.description) }
                throw HTTPError(.conflict, message: error.description)
            }
        }
        router.get("/v1/learn") { request, _ in
            let minimum = Int(request.uri.queryParameters.get("min-count") ?? "") ?? 1
            guard minimum >= 1 else { throw HTTPError(.badRequest, message: "min-count must be at least 1") }
            let policies = await scoring.allowlistPolicies(minimumCount: minimum)
            return try LocalAPI.json(policies.map { AllowlistPolicy(name: $0.name, yaml: $0.yaml) })
        }
    }
}
