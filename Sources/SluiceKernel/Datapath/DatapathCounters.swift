import SluiceABI

/// The programs' per-CPU counters, summed.
public struct DatapathCounters: Sendable, Hashable, Codable {
    public var allow: UInt64 = 0
    public var alert: UInt64 = 0
    /// Denies that failed the call with EPERM.
    public var deny: UInt64 = 0
    /// Denies reported but not enforced (monitor mode).
    public var monitorDeny: UInt64 = 0
    /// Records the ring buffer had no room for.
    public var eventsLost: UInt64 = 0
    /// The agent's own connections, never decided.
    public var exempt: UInt64 = 0
    /// Calls denied because the programs' own state was missing.
    public var failClosed: UInt64 = 0
    /// Execs whose identity could not be recorded (no memory): such a process is decided by
    /// its `mm->exe_file`.
    public var identityLost: UInt64 = 0
    /// Open connections ended because a new generation denies them.
    public var closed: UInt64 = 0
    /// DNS answers read.
    public var dnsAnswers: UInt64 = 0
    /// Addresses attributed to a name for an application.
    public var dnsLearned: UInt64 = 0
    /// DNS responses refused as malformed or hostile: they attributed nothing.
    public var dnsRefused: UInt64 = 0
    /// DNS responses not read: over 4 KiB, on a TCP connection whose segments arrived out of order, or fragmented.
    public var dnsSkipped: UInt64 = 0
    /// Attributions that took a new map entry; this minus the live entries is what expired or
    /// was evicted.
    public var dnsNew: UInt64 = 0
    /// Connects a rate limit refused (EAGAIN, or reported only in monitor mode).
    public var rateLimited: UInt64 = 0
    /// Token buckets made: beyond the live ones, the LRU evicted (and so refilled) that many.
    public var rateBucketsNew: UInt64 = 0
    /// Connects and sends sent to a redirect rule's target.
    public var redirected: UInt64 = 0
    /// Connects refused (EDQUOT) and connections cut by a quota.
    public var quota: UInt64 = 0
    /// Decisions a feed layer's indicator decided (its action replaced the policy's verdict).
    public var intel: UInt64 = 0
    /// DNS responses not believed: they arrived in a network namespace an unprivileged user could
    /// have made (and answered its own queries in), or at an unconnected socket from a server it
    /// never sent a query to.
    public var dnsUntrusted: UInt64 = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case allow, alert, deny, monitorDeny, eventsLost, exempt, failClosed, identityLost, closed
        case dnsAnswers, dnsLearned, dnsRefused, dnsSkipped, dnsNew, rateLimited, rateBucketsNew, redirected, quota, intel, dnsUntrusted
    }

    /// Counters an older agent did not report read as zero.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys) throws -> UInt64 { try container.decodeIfPresent(UInt64.self, forKey: key) ?? 0 }
        allow = try value(.allow)
        alert = try value(.alert)
        deny = try value(.deny)
        monitorDeny = try value(.monitorDeny)
        eventsLost = try value(.eventsLost)
        exempt = try value(.exempt)
        failClosed = try value(.failClosed)
        identityLost = try value(.identityLost)
        closed = try value(.closed)
        dnsAnswers = try value(.dnsAnswers)
        dnsLearned = try value(.dnsLearned)
        dnsRefused = try value(.dnsRefused)
        dnsSkipped = try value(.dnsSkipped)
        dnsNew = try value(.dnsNew)
        rateLimited = try value(.rateLimited)
        rateBucketsNew = try value(.rateBucketsNew)
        redirected = try value(.redirected)
        quota = try value(.quota)
        intel = try value(.intel)
        dnsUntrusted = try value(.dnsUntrusted)
    }

    init(reading map: BPFMap) throws {
        func total(_ counter: sluice_counter) throws -> UInt64 {
            try map.lookupPerCPU(UInt32(counter.rawValue)).reduce(0, &+)
        }
        allow = try total(SLUICE_COUNTER_ALLOW)
        alert = try total(SLUICE_COUNTER_ALERT)
        deny = try total(SLUICE_COUNTER_DENY)
        monitorDeny = try total(SLUICE_COUNTER_MONITOR_DENY)
        eventsLost = try total(SLUICE_COUNTER_EVENTS_LOST)
        exempt = try total(SLUICE_COUNTER_EXEMPT)
        failClosed = try total(SLUICE_COUNTER_FAIL_CLOSED)
        identityLost = try total(SLUICE_COUNTER_IDENTITY_LOST)
        closed = try total(SLUICE_COUNTER_CLOSED)
        dnsAnswers = try total(SLUICE_COUNTER_DNS_ANSWERS)
        dnsLearned = try total(SLUICE_COUNTER_DNS_LEARNED)
        dnsRefused = try total(SLUICE_COUNTER_DNS_REFUSED)
        dnsSkipped = try total(SLUICE_COUNTER_DNS_SKIPPED)
        dnsNew = try total(SLUICE_COUNTER_DNS_NEW)
        rateLimited = try total(SLUICE_COUNTER_RATE_LIMITED)
        rateBucketsNew = try total(SLUICE_COUNTER_RATE_BUCKETS_NEW)
        redirected = try total(SLUICE_COUNTER_REDIRECTED)
        quota = try total(SLUICE_COUNTER_QUOTA)
        intel = try total(SLUICE_COUNTER_INTEL)
        dnsUntrusted = try total(SLUICE_COUNTER_DNS_UNTRUSTED)
    }

    /// Decisions made, whatever the verdict.
    public var decisions: UInt64 { allow + alert + deny + monitorDeny + rateLimited + redirected }
}
