import ArgumentParser
import Foundation
import SluiceAPI
import SluiceCore

struct FeedsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feeds", abstract: "Threat-intelligence feeds: TAXII 2.1 collections and block lists every matching node enforces.",
        subcommands: [Add.self, List.self, Show.self, Impact.self, Remove.self, Sync.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Add a feed (admin); the server syncs it at once and every poll interval.")
        @Argument(help: "The feed's name (its layer on nodes).") var name: String
        @Option(help: "taxii or list.") var kind: String = "list"
        @Option(help: "A list's format: list, hosts, spamhaus-drop, feodo-csv, feodo-json.") var format: String?
        @Option(help: "TAXII discovery or API root URL; a list's http(s) URL or file path on the server.") var url: String
        @Option(help: "The TAXII collection id.") var collection: String?
        @Option(help: "User of basic authentication (the password from $SLUICE_FEED_SECRET).") var user: String?
        @Flag(help: "Send $SLUICE_FEED_SECRET as a bearer token.") var bearer = false
        @Option(name: .customLong("ca-file"), help: "PEM file (on the server) of the CAs to trust for this feed.") var caFile: String?
        @Option(name: .customLong("poll"), help: "Seconds between syncs.") var pollSeconds: Int = 3600
        @Option(help: "deny or alert.") var action: String = "deny"
        @Option(name: .customLong("node"), help: "Only nodes with this label, key=value (repeatable).") var selector: [String] = []
        @Option(name: .customLong("min-confidence"), help: "Leave out STIX indicators below this confidence (0-100).") var minConfidence: Int = 0
        @Option(name: .customLong("expiry"), help: "Seconds a list entry holds after the last sync that saw it.") var expirySeconds: Int?
        @Flag(
            name: .customLong("dry-run"),
            help: "Add nothing: fetch the feed and replay the recorded decisions of the nodes it targets with its layer (a feed of that name: changed to this).")
        var dryRun = false
        @Option(help: ArgumentHelp("With --dry-run: decisions since an RFC 3339 time or a duration back (15m, 2h, 7d).", valueName: "when"))
        var since: String = "7d"
        @Option(name: .shortAndLong, help: "With --dry-run: table or json.") var output: EventsCommand.Output = .table
        @OptionGroup var server: ServerOptions

        func run() async throws {
            guard let kind = Components.Schemas.FeedRequest.KindPayload(rawValue: kind) else { throw ValidationError("--kind is taxii or list") }
            guard let action = Components.Schemas.FeedAction(rawValue: action) else { throw ValidationError("--action is deny or alert") }
            var formatPayload: Components.Schemas.FeedRequest.FormatPayload?
            if let format {
                guard let parsed = Components.Schemas.FeedRequest.FormatPayload(rawValue: format) else {
                    throw ValidationError("--format is one of \(FeedFormat.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                formatPayload = parsed
            }
            let secret = ProcessInfo.processInfo.environment["SLUICE_FEED_SECRET"]
            if (user != nil || bearer), secret?.isEmpty ?? true { throw ValidationError("set SLUICE_FEED_SECRET to the password or token") }
            let auth: Components.Schemas.FeedRequest.AuthPayload = user != nil ? .basic : bearer ? .bearer : .none
            let labels = try CommandArguments.labels(selector, option: "--node")
            let request = Components.Schemas.FeedRequest(
                name: name, kind: kind, format: formatPayload, url: url, collection: collection, auth: auth, username: user,
                secret: auth == .none ? nil : secret, caFile: caFile, pollSeconds: pollSeconds, action: action,
                nodeSelector: .init(additionalProperties: labels), minConfidence: minConfidence, expirySeconds: expirySeconds)
            if dryRun {
                let wire = try await server.with { [since] connection in
                    // The fetch (up to its limits) and the replay's 30 seconds.
                    try await connection.call(timeout: .seconds(300)) { try await $0.previewFeed(query: .init(since: since), body: .json(request)).ok.body.json }
                }
                try ReplayReport(wire: wire).show(output)
                return
            }
            let feed = try await server.call { try await $0.addFeed(body: .json(request)).created.body.json }
            print("added feed \(feed.name) (\(feed.kind.rawValue), \(feed.action.rawValue)); check its first sync with: sluice feeds show \(feed.name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every feed and its last sync.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let feeds = try await server.call { try await $0.listFeeds().ok.body.json }
            print(Terminal.paint([Terminal.fit("NAME", 20), Terminal.fit("KIND", 6), Terminal.fit("ACTION", 6), Terminal.fit("INDICATORS", 10), Terminal.fit("LAST SUCCESS", 27), "ERROR"].joined(separator: " "), .bold))
            for feed in feeds {
                print([
                    Terminal.fit(feed.name, 20), Terminal.fit(feed.kind.rawValue, 6), Terminal.fit(feed.action.rawValue, 6),
                    Terminal.fit(String(feed.indicators), 10), Terminal.fit(feed.lastSuccess.map { RFC3339.format(Int64($0.timeIntervalSince1970 * 1e9)) } ?? "never", 27),
                    feed.lastError.map { Terminal.paint($0, .red) } ?? "",
                ].joined(separator: " "))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One feed, its sync status and newest indicators (JSON).")
        @Argument var name: String
        @Option(help: "Indicators shown (1-1000).") var limit: Int = 100
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let detail = try await server.call { [name, limit] in try await $0.showFeed(path: .init(name: name), query: .init(limit: limit)).ok.body.json }
            print(try FleetJSON.pretty(detail))
        }
    }

    struct Impact: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "impact",
            abstract: "What a feed's layer decided in the recorded decisions of the nodes it targets: replayed with it (now) and without it (candidate).")
        @Argument var name: String
        @Option(help: ArgumentHelp("Decisions since an RFC 3339 time or a duration back (15m, 2h, 7d).", valueName: "when")) var since: String = "7d"
        @Option(name: .shortAndLong, help: "table or json.") var output: EventsCommand.Output = .table
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let wire = try await server.with { [name, since] connection in
                try await connection.call(timeout: .seconds(300)) { try await $0.feedImpact(path: .init(name: name), query: .init(since: since)).ok.body.json }
            }
            try ReplayReport(wire: wire).show(output)
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a feed (admin); nodes drop its layer.")
        @Argument var name: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            _ = try await server.call { [name] in try await $0.removeFeed(path: .init(name: name)).noContent }
            print("removed feed \(name)")
        }
    }

    struct Sync: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sync", abstract: "Sync a feed now (admin) and show how it went.")
        @Argument var name: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let feed = try await server.call { [name] in try await $0.syncFeed(path: .init(name: name)).ok.body.json }
            if let error = feed.lastError {
                throw CommandFailure.feedSyncFailed(error)
            }
            print("feed \(feed.name): \(feed.indicators) indicators in force (\(feed.notModified) of \(feed.fetches) fetches not modified)")
        }
    }
}
