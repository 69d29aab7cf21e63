extension ServerConfiguration {
    /// How many password checks unauthenticated clients may cause. Failures are counted per
    /// client address and per address with user name, never per user name alone, so that nobody
    /// can lock a user out by guessing their password from elsewhere.
    public struct LoginLimits: Sendable, Hashable {
        /// Failed logins for one user from one address before backoff starts.
        public var freeFailuresPerUser: Int
        /// Failed logins from one address, whatever the user names, before backoff starts.
        public var freeFailuresPerAddress: Int
        /// The longest lockout; failures are forgotten this long after the last one.
        public var maximumBackoff: Duration
        /// Password checks (bcrypt) running at once, whoever asks.
        public var concurrentChecks: Int
        /// Password checks waiting for a turn; beyond it login answers 503 with Retry-After
        /// rather than queueing bcrypt work without bound.
        public var queuedChecks: Int

        public init(
            freeFailuresPerUser: Int = 5, freeFailuresPerAddress: Int = 30, maximumBackoff: Duration = .seconds(900),
            concurrentChecks: Int = 2, queuedChecks: Int = 16
        ) {
            self.freeFailuresPerUser = freeFailuresPerUser
            self.freeFailuresPerAddress = freeFailuresPerAddress
            self.maximumBackoff = maximumBackoff
            self.concurrentChecks = concurrentChecks
            self.queuedChecks = queuedChecks
        }

        /// Every problem, as messages for the operator.
        func problems() -> [String] {
            var problems: [String] = []
            if freeFailuresPerUser < 1 || freeFailuresPerAddress < 1 { problems.append("logins need at least 1 free failure") }
            if maximumBackoff < .seconds(1) { problems.append("the longest login backoff must be at least 1 second") }
            if concurrentChecks < 1 { problems.append("at least 1 password check must be allowed at once") }
            if queuedChecks < 0 { problems.append("the password check queue cannot be negative") }
            return problems
        }
    }
}
