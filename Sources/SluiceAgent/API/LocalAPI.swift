import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceKernel

/// The agent's local API: HTTP over a Unix socket in the state folder, root only. `sluice status`,
/// `events`, `policy explain` and `reload` speak to it.
enum LocalAPI {
    struct Dependencies: Sendable {
        var controller: EnforcementController
        var hub: DecisionEventHub
        var pipeline: EventPipeline
        var learner: RuleLearner
        var scoring: ScoringService
        var configuration: AgentConfiguration
        var started: Date
        var version: String
        /// The fleet membership, when the agent was started with `--server`.
        var fleet: FleetTracker?
        var tamper: TamperLog
        /// The feed layers, for status and explain.
        var intel: IntelLayer
        /// Ends the agent gracefully once `/v1/stop`'s answer is written.
        var stop: StopRequest
    }

    static func router(_ dependencies: Dependencies) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/v1/status") { _, _ in
            try json(await status(dependencies))
        }
        router.get("/v1/top") { request, _ in
            let query = request.uri.queryParameters
            let applications = min(max(Int(query.get("applications") ?? "") ?? 10, 1), 1000)
            let destinations = min(max(Int(query.get("destinations") ?? "") ?? 3, 0), 100)
            return try json(dependencies.pipeline.traffic.report(applications: applications, destinations: destinations))
        }
        router.get("/v1/events") { request, _ in
            try events(request, dependencies)
        }
        router.post("/v1/explain") { request, context in
            let body = try await request.decode(as: ExplainRequest.self, context: context)
            let query: FlowQuery
            do {
                query = try body.flowQuery(cgroups: CgroupFS.discover())
            } catch {
                throw HTTPError(.badRequest, message: "\(error)")
            }
            guard let (decision, rule) = await dependencies.controller.explain(query) else {
                throw HTTPError(.serviceUnavailable, message: "no policy applied yet")
            }
            let generation = await dependencies.controller.applied?.generation
            var explanation = Explanation(decision: decision, rule: rule, generation: generation)
            let hit = dependencies.intel.catalog.withLock { $0.match(destination: query.destination, domain: query.domain, now: Date()) }
            explanation.apply(feed: hit, policy: decision.verdict, explicitAllow: decision.explicitAllow)
            return try json(explanation)
        }
        router.post("/v1/reload") { _, _ in
            switch await dependencies.controller.reload(reason: "requested") {
            case .applied(let applied): return try json(AppliedPolicySummary(applied))
            case .rejected(let rejection): return try json(rejection, status: .unprocessableContent)
            }
        }
        router.post("/v1/stop") { request, _ in
            if let protect = dependencies.configuration.protect {
                let presented = request.headers[.authorization].map { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : $0 }
                guard let presented, protect.accepts(presented) else {
                    throw HTTPError(.forbidden, message: "this agent runs in protect mode: stopping it needs its stop token (sluice stop --token-file FILE)")
                }
            }
            let answer = ByteBuffer(string: "stopping\n")
            return Response(
                status: .accepted,
                body: ResponseBody(contentLength: answer.readableBytes) { writer in
                    try await writer.write(answer)
                    try await writer.finish(nil)
                    // Only once the answer is written: graceful shutdown then lets this request end.
                    dependencies.stop.request()
                })
        }
        LearningRoutes.add(to: router, learner: dependencies.learner, scoring: dependencies.scoring)
        return router
    }

    static func status(_ dependencies: Dependencies) async throws -> AgentStatus {
        let controller = dependencies.controller
        let counters = try await controller.kernelCounters()
        let totals = dependencies.hub.totals
        return AgentStatus(
            node: dependencies.configuration.nodeName, pid: getpid(), version: dependencies.version, started: dependencies.started,
            datapath: await controller.datapathSummary(), policy: await controller.applied.map(AppliedPolicySummary.init),
            lastRejection: await controller.lastRejection, decisions: counters,
            events: .init(
                lostInKernel: counters.eventsLost, lostInAgent: dependencies.pipeline.droppedInAgent, published: totals.published,
                droppedForSubscribers: totals.dropped, subscribers: totals.subscribers),
            traffic: dependencies.pipeline.traffic.total,
            fleet: dependencies.fleet?.status, tamper: dependencies.tamper.status, intel: await dependencies.intel.status())
    }

    /// NDJSON: the recent matching events, then (with `follow=true`) every new one. A line
    /// `{"notice":"dropped","count":N}` says this reader was too slow and missed N events.
    static func events(_ request: Request, _ dependencies: Dependencies) throws -> Response {
        let query = request.uri.queryParameters
        var verdicts = Set<RuleAction>()
        for text in (query.get("verdict") ?? "").split(separator: ",") {
            guard let verdict = RuleAction(verdictName: String(text)) else {
                throw HTTPError(.badRequest, message: "verdict must be allow, alert, rate-limited, redirected, quota or deny, not \(text)")
            }
            verdicts.insert(verdict)
        }
        var domain: DomainFilter?
        if let text = query.get("domain") {
            do {
                domain = try DomainFilter(parsing: text)
            } catch {
                throw HTTPError(.badRequest, message: "domain: \(error)")
            }
        }
        var kinds = Set<EventKind>()
        for text in (query.get("kind") ?? "").split(separator: ",") {
            guard let kind = EventKind(rawValue: String(text)) else {
                throw HTTPError(.badRequest, message: "kind must be decision or flow, not \(text)")
            }
            kinds.insert(kind)
        }
        let filter = EventFilter(
            verdicts: verdicts, executable: query.get("exe"), cgroup: query.get("cgroup"), domain: domain, kinds: kinds)
        let follow = query.get("follow") == "true"
        let recent = Int(query.get("recent") ?? "") ?? (follow ? 0 : 100)
        let hub = dependencies.hub
        let body = ResponseBody { writer in
            if !follow {
                for event in hub.recent(filter, limit: recent) {
                    try await writer.write(ByteBuffer(string: event.jsonLine + "\n"))
                }
                try await writer.finish(nil)
                return
            }
            // A follower's request never ends on its own: graceful shutdown must end it, or the
            // server would wait for it forever.
            for await item in hub.subscribe(filter, replay: recent).cancelOnGracefulShutdown() {
                switch item {
                case .events(let events):
                    var text = ""
                    text.reserveCapacity(events.count * 400)
                    for event in events {
                        text += event.jsonLine
                        text += "\n"
                    }
                    try await writer.write(ByteBuffer(string: text))
                case .dropped(let count):
                    try await writer.write(ByteBuffer(string: EventStreamNotice.dropped(count: count).jsonLine + "\n"))
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try FleetJSON.encoder().encode(value)
        return Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
