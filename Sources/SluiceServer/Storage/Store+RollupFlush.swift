import Foundation
import Logging
import SQLKit

// The rollups are folded after a batch's transaction (Store+Rollups.swift). Each stored batch is
// marked in `event_batches.rolled_up` once its counts are in the rollups, in the transaction that
// adds them, so a batch is counted once: by this process's flush of the backlog, or, when the
// process stopped first, by a recovery that counts its events again from the events table.
extension Store {
    /// Keys waiting in the backlog (`RollupDelta.keys`) beyond which a batch's upload waits for a
    /// flush: what bounds the backlog's memory (a few hundred bytes a key) when the database cannot
    /// keep up. Counted in keys, not events: traffic that repeats adds events to keys already
    /// there, and should gather for the whole half second; 20,000 events to new destinations make
    /// 40,000 keys (a minute's row and a first contact each).
    static let rollupBacklogLimit = 40_000
    /// How old a batch not rolled up must be before a recovery counts it: a live replica's
    /// backlog is flushed within a second, so one this old belongs to a process that stopped.
    static let rollupRecoveryAgeUs: Int64 = 120_000_000
    /// Batches claimed per recovery transaction.
    private static let recoveryBatchesPerTransaction = 50

    /// A flush's batches were not all waiting: another replica's recovery counted some.
    private struct ClaimedElsewhere: Error {}

    /// Adds the backlog to the rollups and marks its batches rolled up, in one transaction. If a
    /// recovery counted some of them meanwhile, the rest are counted from their events instead.
    func flushRollups() async throws {
        try await rollups.flushing.withLock {
            let pending = rollups.take()
            guard !pending.batches.isEmpty else { return }
            let statements = RollupStatements(pending.delta, for: kind)
            do {
                try await database.transaction { session in
                    let claimed = try await Self.claim(pending.batches, session)
                    guard claimed == pending.batches.count else { throw ClaimedElsewhere() }
                    try await statements.run(session)
                }
            } catch is ClaimedElsewhere {
                database.logger.warning("some batches of the rollup backlog were counted by a recovery; counting the rest from their events")
                _ = try await recoverRollups(of: pending.batches)
            } catch {
                rollups.restore(pending)
                throw error
            }
        }
    }

    /// Flushes before a report reads the rollups (so this server's reports count every batch it
    /// acknowledged) and before retention deletes from them; a failure is logged, and the caller
    /// goes on with what the rollups hold.
    func flushWaitingRollups() async {
        do {
            try await flushRollups()
        } catch {
            database.logger.warning("rollup flush failed", metadata: ["error": "\(error)"])
        }
    }

    /// After a stored batch: waits for a flush when the backlog is full.
    func backlogStored(_ batch: RollupBacklog.Batch, _ delta: RollupDelta) async {
        guard rollups.add(batch, delta) >= Self.rollupBacklogLimit else { return }
        await flushWaitingRollups()
    }

    /// Counts from their stored events the batches not rolled up: those of `batches` still
    /// waiting, or without it every batch older than `rollupRecoveryAgeUs` (a process that
    /// stopped before its flush). Returns the batches counted.
    @discardableResult
    func recoverRollups(of batches: [RollupBacklog.Batch]? = nil, nowUs: Int64 = Micros.now()) async throws -> Int {
        var recovered = 0
        var remaining = batches?[...]
        while true {
            let chunk = remaining.map { Array($0.prefix(Self.recoveryBatchesPerTransaction)) }
            remaining = remaining?.dropFirst(Self.recoveryBatchesPerTransaction)
            if let chunk, chunk.isEmpty { break }
            let counted = try await database.transaction { session -> Int in
                let claimed = try await Self.claimForRecovery(chunk, olderThanUs: nowUs - Self.rollupRecoveryAgeUs, session)
                var delta = RollupDelta()
                for batch in claimed {
                    guard let first = batch.firstID, let last = batch.lastID else { continue }
                    let rows = try await session.sql.raw(
                        """
                        SELECT time_us, kind, exe, dst_key, dst_port, dst_domain, verdict, bytes_sent, bytes_received FROM events
                        WHERE node_id = \(bind: batch.node) AND id BETWEEN \(bind: first) AND \(bind: last)
                        """
                    ).all()
                    for row in rows {
                        delta.add(
                            node: batch.node, timeUs: try row.int64("time_us"), kind: try row.string("kind"), exe: try row.optionalString("exe"),
                            destinationKey: try row.string("dst_key"), port: try row.int64("dst_port"), domain: try row.optionalString("dst_domain"),
                            verdict: try row.string("verdict"), bytesSent: try row.int64("bytes_sent"), bytesReceived: try row.int64("bytes_received"))
                    }
                }
                try await RollupStatements(delta, for: session.kind).run(session)
                return claimed.count
            }
            recovered += counted
            if chunk == nil && counted < Self.recoveryBatchesPerTransaction { break }
        }
        if recovered > 0 { database.logger.info("counted batches left out of the rollups from their events", metadata: ["rollups.batches": "\(recovered)"]) }
        return recovered
    }

    /// Marks `batches` rolled up where they were not; returns how many were marked.
    private static func claim(_ batches: [RollupBacklog.Batch], _ session: ServerDatabase.Session) async throws -> Int {
        var claimed = 0
        for start in stride(from: 0, to: batches.count, by: 400) {
            claimed += try await mark(list(batches[start..<min(batches.count, start + 400)]), session).count
        }
        return claimed
    }

    private static func list(_ batches: ArraySlice<RollupBacklog.Batch>) -> SQLQueryString {
        "VALUES \(batches.map { batch -> SQLQueryString in "(\(bind: batch.node), \(bind: batch.sequence))" }.joined(separator: ", "))"
    }

    /// A batch a recovery claimed, with the ids its events were given.
    private struct ClaimedBatch {
        var node: String
        var firstID: Int64?
        var lastID: Int64?
    }

    /// Marks rolled up, and returns, the given batches that were not, or up to a transaction's
    /// worth of those received before `olderThanUs` (on PostgreSQL skipping any another replica
    /// is claiming).
    private static func claimForRecovery(
        _ batches: [RollupBacklog.Batch]?, olderThanUs: Int64, _ session: ServerDatabase.Session
    ) async throws -> [ClaimedBatch] {
        if let batches { return try await mark(list(batches[...]), session) }
        let skipLocked: SQLQueryString = session.kind == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return try await mark(
            """
            SELECT node_id, sequence FROM event_batches WHERE NOT rolled_up AND received_us < \(bind: olderThanUs)
            ORDER BY received_us LIMIT \(unsafeRaw: String(recoveryBatchesPerTransaction))\(skipLocked)
            """, session)
    }

    /// Marks rolled up the batches of `selection` (rows of node and sequence) that were not.
    private static func mark(_ selection: SQLQueryString, _ session: ServerDatabase.Session) async throws -> [ClaimedBatch] {
        try await session.sql.raw(
            "UPDATE event_batches SET rolled_up = TRUE WHERE NOT rolled_up AND (node_id, sequence) IN (\(selection)) RETURNING node_id, first_id, last_id"
        ).all().map { ClaimedBatch(node: try $0.string("node_id"), firstID: try $0.optionalInt64("first_id"), lastID: try $0.optionalInt64("last_id")) }
    }
}
