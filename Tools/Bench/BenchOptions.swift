import ArgumentParser
import Foundation

/// `--database` and `--agents` of the benchmarks that run a `sluice server` process and
/// simulated agents uploading to it.
struct ServerBenchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("sqlite (a temporary file) or postgres://user:pass@host:port/db[?schema=…].", valueName: "database"))
    var database: String = "sqlite"

    @Option(help: "Simulated agents uploading at once.")
    var agents: Int = 8

    func validate() throws {
        guard agents >= 1 else { throw ValidationError("--agents must be at least 1") }
        guard database == "sqlite" || database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") else {
            throw ValidationError("--database must be sqlite or a postgres:// URL")
        }
    }

    /// The server's `--database`: nil for a SQLite file in its data folder.
    var serverDatabase: String? { database == "sqlite" ? nil : database }

    /// The backend's name for the report.
    var backend: String { database == "sqlite" ? "SQLite" : "PostgreSQL" }
}

/// `--udp-iterations` and `--rounds` of the benchmarks that time UDP connects from a probe in
/// rounds that alternate between configurations.
struct ConnectRoundOptions: ParsableArguments {
    @Option(help: "UDP connect calls per measurement.")
    var udpIterations: Int = 200_000

    @Option(help: "Rounds (each measures every configuration once).")
    var rounds: Int = 9

    /// Shows on stderr which round runs: a long run is seen to progress without cluttering the report.
    func progress(_ round: Int) {
        FileHandle.standardError.write(Data("round \(round)/\(rounds)\r".utf8))
    }
}
