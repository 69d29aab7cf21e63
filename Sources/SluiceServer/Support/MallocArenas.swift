@preconcurrency import Glibc

/// glibc's malloc gives threads arenas of their own, up to eight per core, and an arena keeps
/// the pages its peak needed. The server's threads (event loops, Swift's pool, SQLite's) each
/// filled one: 64 MiB arenas, touched whole, made most of a resident size that grew to hundreds
/// of MiB under ingest and reports (docs/benchmarks.md). Fewer arenas share what is freed.
enum MallocArenas {
    /// At most this many arenas; `MALLOC_ARENA_MAX` in the environment wins when set.
    static let defaultLimit: Int32 = 2

    /// Limits arenas made from now on (call before the server starts its threads); returns the
    /// limit set, nil when the environment set one.
    @discardableResult
    static func limit(_ arenas: Int32 = defaultLimit) -> Int32? {
        guard getenv("MALLOC_ARENA_MAX") == nil else { return nil }
        // malloc.h is not in Swift's Glibc module: mallopt by name (RTLD_DEFAULT), M_ARENA_MAX = -8.
        guard let symbol = dlsym(nil, "mallopt") else { return nil }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        return mallopt(-8, arenas) == 1 ? arenas : nil
    }
}
