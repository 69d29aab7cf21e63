import Hummingbird

/// `/metrics` (Prometheus text format), `/healthz` (the agent runs) and `/readyz` (a policy is
/// applied), for scrapers and Kubernetes probes.
enum MetricsEndpoint {
    static func router(metrics: AgentMetrics, controller: EnforcementController) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            let ready = await controller.applied != nil
            return Response(status: ready ? .ok : .serviceUnavailable, body: ResponseBody(byteBuffer: ByteBuffer(string: ready ? "ready\n" : "no policy applied\n")))
        }
        return router
    }
}
