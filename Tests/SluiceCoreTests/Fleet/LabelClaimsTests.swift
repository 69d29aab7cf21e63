import SluiceCore
import Testing

@Suite struct LabelClaimsTests {
    private func claims(_ texts: [String]) throws -> LabelClaims { try LabelClaims.parse(texts).get() }

    @Test func tokenLabelsWinAndClaimsGateTheRest() throws {
        let zone = try claims(["zone", "tier=web"])
        let granted = try zone.labels(
            token: "t", tokenLabels: ["env": "prod"], requested: ["env": "dev", "zone": "eu-1", "tier": "web"]
        ).get()
        #expect(granted == ["env": "prod", "zone": "eu-1", "tier": "web"])

        guard case .failure(let refusal) = zone.labels(token: "t", tokenLabels: [:], requested: ["tier": "db"]) else {
            Issue.record("tier=db is not claimable")
            return
        }
        #expect(refusal == LabelClaims.Refusal(key: "tier", value: "db", token: "t"))
        #expect(refusal.description.contains("--claim tier"))
    }

    @Test func noClaimsGrantOnlyTheTokensLabels() throws {
        #expect(try LabelClaims.none.labels(token: "t", tokenLabels: ["a": "1"], requested: ["a": "2"]).get() == ["a": "1"])
        #expect((try? LabelClaims.none.labels(token: "t", tokenLabels: [:], requested: ["b": "1"]).get()) == nil)
        #expect(try claims(["*"]).labels(token: "t", tokenLabels: [:], requested: ["b": "1"]).get() == ["b": "1"])
    }

    @Test func claimsReadBackAndBadOnesAreNamed() throws {
        #expect(try claims(["*", "zone", "zone=eu-1", "tier="]).texts == ["*", "zone", "zone=eu-1", "tier="])
        #expect(LabelClaims.parse(["bad key!"]) == .failure(.invalidKey(key: "bad key!")))
        #expect(LabelClaims.parse(["zone=a,b"]) == .failure(.invalidValue(key: "zone", value: "a,b")))
        #expect(LabelClaims.parse(Array(repeating: "k", count: 65)) == .failure(.tooManyLabels(count: 65)))
    }
}
