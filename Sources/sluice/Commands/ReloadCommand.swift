import ArgumentParser
import SluiceAgent

struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload", abstract: "Ask the running agent to re-read its policy folder now.")

    @OptionGroup var state: StateOptions

    func run() async throws {
        let client = AgentClient(layout: try state.layout())
        let body = try await client.post("/v1/reload", json: [String: String]())
        if let applied = try? client.decode(AppliedPolicySummary.self, from: body) {
            print("applied generation \(applied.generation): \(applied.entries) destination entries from \(applied.policies.count) policies")
        } else {
            let rejection = try client.decode(PolicyRejection.self, from: body)
            print("rejected; the previous policy stays in force:\n\(rejection)")
            throw ExitCode.failure
        }
    }
}
