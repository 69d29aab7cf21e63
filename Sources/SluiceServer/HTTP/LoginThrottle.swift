import Synchronization

/// Failed password (and join token) attempts per key with exponential backoff: a key may fail
/// `freeFailures` times in a row without waiting; then it waits 1 s, and each further failure
/// doubles the wait (2 s, 4 s, … up to `maximumBackoff`). A key forgets its failures
/// `maximumBackoff` after the last one.
///
/// Keys name a client address, or an address with a user name, never a user name alone: whoever
/// guesses a password slows only themselves, and the real user signing in from elsewhere is
/// never locked out.
final class LoginThrottle: Sendable {
    /// A counted thing and how many failures it gets before backoff starts.
    struct Key: Hashable, Sendable {
        var name: String
        var freeFailures: Int
    }

    private struct Entry {
        var failures: Int
        var lockedUntilUs: Int64
        var lastFailureUs: Int64
    }

    /// Beyond this many keys, forgotten ones are dropped (and all, when that frees too few):
    /// memory stays bounded whatever an attacker sends; the bcrypt gate still bounds the work.
    private static let capacity = 100_000

    private let maximumBackoffUs: Int64
    private let entries = Mutex<[String: Entry]>([:])

    init(maximumBackoff: Duration) {
        maximumBackoffUs = max(1_000_000, maximumBackoff.components.seconds * 1_000_000)
    }

    /// The keys of a login: the address (every user it tries) and the address with the user.
    static func loginKeys(peer: String, user: String, limits: ServerConfiguration.LoginLimits) -> [Key] {
        let address = ClientAddress.key(peer)
        return [
            Key(name: "login:" + address + "|" + user.lowercased(), freeFailures: limits.freeFailuresPerUser),
            Key(name: "login:" + address, freeFailures: limits.freeFailuresPerAddress),
        ]
    }

    /// Seconds to wait when a key is locked; nil when it may try.
    func retryAfter(_ keys: [Key], now: Int64 = Micros.now()) -> Int? {
        entries.withLock { entries in wait(keys, now: now, in: &entries) }
    }

    /// Counts a failure before the password is checked and answers whether it may proceed (nil)
    /// or must wait: checking first and counting after would let a burst of parallel guesses all
    /// through while bcrypt runs. `succeeded` or `refund` takes it back.
    func attempt(_ keys: [Key], now: Int64 = Micros.now()) -> Int? {
        entries.withLock { entries in
            if let wait = wait(keys, now: now, in: &entries) { return wait }
            count(keys, now: now, in: &entries)
            return nil
        }
    }

    func failed(_ keys: [Key], now: Int64 = Micros.now()) {
        entries.withLock { entries in count(keys, now: now, in: &entries) }
    }

    /// A correct password: the first key (address and user) starts over, the others get their
    /// attempt back.
    func succeeded(_ keys: [Key]) {
        entries.withLock { entries in
            guard let first = keys.first else { return }
            entries[first.name] = nil
            for key in keys.dropFirst() { Self.uncount(key, in: &entries) }
        }
    }

    /// An attempt that checked no password (the server was too busy): every key gets it back.
    func refund(_ keys: [Key]) {
        entries.withLock { entries in
            for key in keys { Self.uncount(key, in: &entries) }
        }
    }

    private func wait(_ keys: [Key], now: Int64, in entries: inout [String: Entry]) -> Int? {
        var wait: Int?
        for key in keys {
            guard let entry = entries[key.name] else { continue }
            if now - entry.lastFailureUs >= maximumBackoffUs {
                entries[key.name] = nil
            } else if entry.lockedUntilUs > now {
                // Whole seconds, rounded up: Retry-After has no fractions.
                wait = max(wait ?? 0, Int((entry.lockedUntilUs - now + 999_999) / 1_000_000))
            }
        }
        return wait
    }

    private func count(_ keys: [Key], now: Int64, in entries: inout [String: Entry]) {
        if entries.count >= Self.capacity { prune(now: now, in: &entries) }
        for key in keys {
            let current = entries[key.name].flatMap { now - $0.lastFailureUs < maximumBackoffUs ? $0 : nil }
            var entry = current ?? Entry(failures: 0, lockedUntilUs: 0, lastFailureUs: now)
            entry.failures += 1
            entry.lastFailureUs = now
            let beyond = entry.failures - key.freeFailures
            if beyond >= 0 {
                // 1 s after the last free failure, doubling with each one after; the shift stays small.
                let backoff = min(maximumBackoffUs, Int64(1_000_000) << Int64(min(beyond, 30)))
                entry.lockedUntilUs = now + backoff
            }
            entries[key.name] = entry
        }
    }

    private static func uncount(_ key: Key, in entries: inout [String: Entry]) {
        guard var entry = entries[key.name] else { return }
        entry.failures -= 1
        if entry.failures <= 0 {
            entries[key.name] = nil
            return
        }
        if entry.failures < key.freeFailures { entry.lockedUntilUs = 0 }
        entries[key.name] = entry
    }

    private func prune(now: Int64, in entries: inout [String: Entry]) {
        let before = entries.count
        entries = entries.filter { now - $0.value.lastFailureUs < maximumBackoffUs }
        if entries.count > before * 3 / 4 { entries.removeAll() }
    }
}
