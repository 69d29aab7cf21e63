import ArgumentParser
import Foundation
import SluiceAPI
import SluiceCore

struct NodesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nodes", abstract: "The fleet's nodes: health, applied revision, counters.",
        subcommands: [List.self, Show.self, Revoke.self, Label.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every node.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let nodes = try await server.call { try await $0.listNodes().ok.body.json }
            print(Terminal.paint([Terminal.fit("ID", 18), Terminal.fit("NAME", 24), Terminal.fit("STATE", 9), Terminal.fit("ROLLOUT", 9), Terminal.fit("REVISION", 9), Terminal.fit("RULES", 7), Terminal.fit("DENIES", 8), Terminal.fit("LOST", 6), "LABELS"].joined(separator: " "), .bold))
            for node in nodes {
                let state = node.revoked != nil ? "revoked" : node.stale ? "stale" : "healthy"
                let color: Terminal.Color = state == "healthy" ? .green : .red
                let lost = node.eventsLost.kernel + node.eventsLost.agent + node.eventsLost.upload
                print([
                    Terminal.fit(node.id, 18), Terminal.fit(node.name, 24), Terminal.paint(Terminal.fit(state, 9), color), Terminal.fit(node.rollout.rawValue, 9),
                    Terminal.fit(node.appliedRevision.map(String.init) ?? "-", 9), Terminal.fit(String(node.rulesLoaded), 7),
                    Terminal.fit(String(node.decisions.deny), 8), Terminal.fit(String(lost), 6),
                    node.labels.additionalProperties.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                ].joined(separator: " "))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One node in full (JSON).")
        @Argument var id: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let node = try await server.call { [id] in try await $0.showNode(path: .init(id: id)).ok.body.json }
            print(try FleetJSON.pretty(node))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Refuse a node's credential from now on (it keeps its last policy).")
        @Argument var id: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            _ = try await server.call { [id] in try await $0.revokeNode(path: .init(id: id)).ok }
            print("revoked \(id)")
        }
    }

    struct Label: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "label", abstract: "Set a node's labels (replaces them).")
        @Argument var id: String
        @Argument(help: "key=value …") var labels: [String] = []
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let map = try CommandArguments.labels(labels, option: "a label")
            _ = try await server.call { [id, map] in
                try await $0.setNodeLabels(path: .init(id: id), body: .json(.init(labels: .init(additionalProperties: map)))).ok
            }
            print("labels of \(id): \(map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))")
        }
    }
}

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "Join tokens that let agents enroll (admin).",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "A new join token, shown once.")
        @Argument var name: String
        @Option(name: .customLong("label"), help: "A label given to nodes that enroll with it, key=value (repeatable).") var labels: [String] = []
        @Option(help: ArgumentHelp("Lifetime (30m, 24h, 7d; 0: until revoked); default: 24h.", valueName: "duration")) var expires: DurationArgument?
        @Option(name: .customLong("max-uses"), help: "Nodes it may enroll; default: any number until it expires.") var maxUses: Int?
        @Option(
            name: .customLong("claim"),
            help: ArgumentHelp(
                "A label nodes may set themselves with --node-label: key (any value), key=value, or * (any label); repeatable. Default: none.",
                valueName: "label")) var claims: [String] = []
        @Flag(name: .customLong("reuse-names"), help: "Let a node enroll under the name of an enrolled node (a reinstalled host).") var reuseNames = false
        @OptionGroup var server: ServerOptions

        func validate() throws {
            if let maxUses, maxUses < 1 { throw ValidationError("--max-uses must be at least 1") }
            if case .failure(let problem) = LabelClaims.parse(claims) { throw ValidationError("--claim: \(problem)") }
        }

        func run() async throws {
            let map = try CommandArguments.labels(labels, option: "--label")
            let request = Components.Schemas.CreateJoinTokenRequest(
                name: name, labels: .init(additionalProperties: map), expiresIn: expires.map { Int($0.seconds) }, maxUses: maxUses,
                claimableLabels: claims, reuseNames: reuseNames)
            let created = try await server.call { try await $0.createJoinToken(body: .json(request)).created.body.json }
            print(created.token)
            Terminal.printError("join token \(created.info.name) (id \(created.info.id)): shown once; give it to agents as --join-token or $SLUICE_JOIN_TOKEN")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Join tokens (never their secrets).")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let tokens = try await server.call { try await $0.listJoinTokens().ok.body.json }
            print(try FleetJSON.pretty(tokens))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Refuse a join token from now on.")
        @Argument var id: Int
        @OptionGroup var server: ServerOptions

        func run() async throws {
            _ = try await server.call { [id] in try await $0.revokeJoinToken(path: .init(id: id)).ok }
            print("revoked join token \(id)")
        }
    }
}

struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Alerts raised by the fleet's decisions and anomalies.",
        subcommands: [List.self, Ack.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Alerts, newest first.")
        @Option(help: "open or acknowledged.") var state: Components.Schemas.AlertState?
        @Option var limit: Int = 50
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let query = Operations.ListAlerts.Input.Query(state: state, limit: limit)
            let page = try await server.call { try await $0.listAlerts(query: query).ok.body.json }
            print(Terminal.paint([Terminal.fit("ID", 6), Terminal.fit("LAST SEEN", 19), Terminal.fit("STATE", 13), Terminal.fit("KIND", 11), Terminal.fit("NODE", 16), Terminal.fit("EXE", 26), Terminal.fit("DESTINATION", 40), Terminal.fit("COUNT", 6), "POLICY/RULE"].joined(separator: " "), .bold))
            for alert in page.items {
                print([
                    Terminal.fit(String(alert.id), 6), Terminal.fit(Terminal.when(alert.lastSeen), 19), Terminal.fit(alert.state.rawValue, 13), Terminal.fit(alert.kind.rawValue, 11),
                    Terminal.fit(alert.node, 16), Terminal.fit(alert.exe ?? "?", 26, keepEnd: true),
                    Terminal.fit(alert.destinationText, 40), Terminal.fit(String(alert.count), 6),
                    [alert.policy, alert.rule].compactMap { $0 }.joined(separator: "/"),
                ].joined(separator: " "))
            }
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ack", abstract: "Acknowledge an alert.")
        @Argument var id: Int
        @Option var note: String?
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let alert = try await server.call { [id, note] in
                try await $0.acknowledgeAlert(path: .init(id: id), body: .json(.init(note: note))).ok.body.json
            }
            print("alert \(alert.id) acknowledged by \(alert.acknowledgedBy ?? "you")")
        }
    }
}

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "People and their roles: admin, operator, viewer (admin).",
        subcommands: [List.self, Create.self, Passwd.self, SetRole.self, Disable.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let users = try await server.call { try await $0.listUsers().ok.body.json }
            for user in users { print("\(Terminal.fit(user.name, 24)) \(Terminal.fit(user.role.rawValue, 9))\(user.disabled ? " disabled" : "")") }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "A new user; the password is asked for (or read with --password-stdin).")
        @Argument var name: String
        @Option var role: Components.Schemas.Role = .viewer
        @Flag(name: .customLong("password-stdin")) var passwordStdin = false
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let password = passwordStdin ? (readLine(strippingNewline: true) ?? "") : Password.ask("Password for \(name): ")
            let request = Components.Schemas.CreateUserRequest(name: name, password: password, role: role)
            let user = try await server.call { try await $0.createUser(body: .json(request)).created.body.json }
            print("created \(user.name) (\(user.role.rawValue))")
        }
    }

    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "passwd",
            abstract: "Set a user's password (admin: anyone's; yourself: give the current one with --current-stdin).",
            discussion: "A new password ends every session and token of the user except the one this command uses.")
        @Argument var name: String
        @Flag(name: .customLong("password-stdin"), help: "Read the new password from standard input (the first line).") var passwordStdin = false
        @Flag(name: .customLong("current-stdin"), help: "Read the current password from standard input (the second line with --password-stdin).")
        var currentStdin = false
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let password = passwordStdin ? (readLine(strippingNewline: true) ?? "") : Password.ask("New password for \(name): ")
            // Your own password needs the current one (the server refuses without it).
            let ownName = ServerCredentials.load()?.user == name
            let current = currentStdin ? readLine(strippingNewline: true) : ownName ? Password.ask("Current password: ") : nil
            let user = try await server.call { [name] in
                try await $0.updateUser(path: .init(name: name), body: .json(.init(password: password, currentPassword: current))).ok.body.json
            }
            print("password of \(user.name) changed")
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "role", abstract: "Change a user's role.")
        @Argument var name: String
        @Argument var role: Components.Schemas.Role
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let user = try await server.call { [name, role] in
                try await $0.updateUser(path: .init(name: name), body: .json(.init(role: role))).ok.body.json
            }
            print("\(user.name) is now \(user.role.rawValue)")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disable", abstract: "Stop a user from signing in (their tokens stop working).")
        @Argument var name: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let user = try await server.call { [name] in
                try await $0.updateUser(path: .init(name: name), body: .json(.init(disabled: true))).ok.body.json
            }
            print("\(user.name) disabled")
        }
    }
}

extension Components.Schemas.Role: ExpressibleByArgument {}
extension Components.Schemas.AlertState: ExpressibleByArgument {}
