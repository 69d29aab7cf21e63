extension ServerConfiguration {
    /// How long a client may take over each part of a request, and how many connections one
    /// address may hold: a client that opens connections and sends nothing (or a byte at a time)
    /// must not be able to use up the server's file descriptors.
    public struct ConnectionLimits: Sendable, Hashable {
        /// From accepting a connection (TLS handshake included) to a complete request head.
        public var headerTimeout: Duration
        /// From a request's head to the end of its body.
        public var bodyTimeout: Duration
        /// From the end of a response to the next request's complete head on a kept-alive
        /// connection. Responses themselves (a long poll, an event stream) have no deadline.
        /// Longer than HTTP clients keep idle connections (AsyncHTTPClient: 60 s), so that the
        /// client, not the server, closes them: a request sent just as the server closes fails.
        public var idleTimeout: Duration
        /// Open connections one client address may hold; beyond it new ones are closed at once.
        /// Agents hold two or three each: raise it when many nodes reach the server through one
        /// NAT address.
        public var maximumPerAddress: Int

        public init(
            headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(60), idleTimeout: Duration = .seconds(75),
            maximumPerAddress: Int = 256
        ) {
            self.headerTimeout = headerTimeout
            self.bodyTimeout = bodyTimeout
            self.idleTimeout = idleTimeout
            self.maximumPerAddress = maximumPerAddress
        }

        /// Every problem, as messages for the operator.
        func problems() -> [String] {
            var problems: [String] = []
            for (name, value) in [("header timeout", headerTimeout), ("body timeout", bodyTimeout), ("idle timeout", idleTimeout)]
            where value <= .zero {
                problems.append("the \(name) must be longer than zero")
            }
            if maximumPerAddress < 1 { problems.append("the connection limit per address must be at least 1") }
            return problems
        }
    }
}
