import SluiceAPI
import SluiceCore
import Testing

@testable import SluiceServer

/// The explain endpoint's refusals are cases a caller can match, and say which field is wrong.
struct PolicyExplainerFailureTests {
    private let policy = (file: "server:curl@v1", text: Fixtures.policy("curl"))

    private func explain(_ request: Components.Schemas.PolicyExplainRequest, sources: [(file: String, text: String)]? = nil) -> PolicyExplainer.Failure? {
        do {
            _ = try PolicyExplainer.explain(request, sources: sources ?? [policy])
            return nil
        } catch {
            return error
        }
    }

    @Test func badFieldsAreNamed() {
        #expect(explain(.init(destination: "nowhere", port: 443)) == .destinationNotAnAddress("nowhere"))
        #expect(explain(.init(destination: "10.1.2.3", port: 70000)) == .portOutOfRange(70000))
        #expect(explain(.init(destination: "10.1.2.3", port: 0)) == .portOutOfRange(0))
        #expect(explain(.init(destination: "10.1.2.3", port: 443, domain: "bad..name")) == .domainInvalid("bad..name"))
        #expect(explain(.init(destination: "10.1.2.3", port: 443, transport: .udp)) == nil)
        #expect(PolicyExplainer.Failure.portOutOfRange(0).details.isEmpty, "a bad field is a bad request, not a policy problem")
    }

    @Test func brokenStoredPoliciesCarryTheirDiagnostics() throws {
        let broken = (file: "server:curl@v2", text: policy.text.replacingOccurrences(of: "[443]", with: "[70000]"))
        let failure = try #require(explain(.init(destination: "10.1.2.3", port: 443), sources: [broken]))
        guard case .policiesInvalid(let diagnostics) = failure else {
            Issue.record("expected the stored policies to be invalid, got \(failure)")
            return
        }
        #expect(diagnostics.contains { $0.contains("server:curl@v2:12") }, "\(diagnostics)")
        #expect(failure.details == diagnostics)
    }
}
