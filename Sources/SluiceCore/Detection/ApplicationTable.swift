/// The applications the detector tracks: a slot per application holding its baseline, a
/// dictionary from key to slot, and a recency list threaded through the slots so the least
/// recently seen application is found in constant time when the table is full.
struct ApplicationTable: Sendable {
    let capacity: Int
    private(set) var slots: [AppKey: Int32] = [:]
    private(set) var keys: ContiguousArray<AppKey> = []
    var baselines: ContiguousArray<ApplicationBaseline> = []
    /// Towards the more recent neighbour (-1 at the most recent).
    private var newer: ContiguousArray<Int32> = []
    /// Towards the less recent neighbour (-1 at the least recent).
    private var older: ContiguousArray<Int32> = []
    private(set) var mostRecent: Int32 = -1
    private(set) var leastRecent: Int32 = -1
    /// Applications forgotten to make room.
    private(set) var evictions: UInt64 = 0

    init(capacity: Int) {
        precondition(capacity >= 1)
        self.capacity = capacity
    }

    var count: Int { keys.count }

    func slot(of key: AppKey) -> Int? { slots[key].map(Int.init) }

    /// The slot of `key`, now the most recent. A new application gets the baseline `make()`
    /// returns, in a fresh slot or in the least recently seen application's.
    @inline(__always)
    mutating func touch(_ key: AppKey, make: () -> ApplicationBaseline) -> Int {
        if let found = slots[key] {
            moveToFront(found)
            return Int(found)
        }
        let slot: Int32
        if keys.count < capacity {
            slot = Int32(keys.count)
            keys.append(key)
            baselines.append(make())
            newer.append(-1)
            older.append(-1)
        } else {
            slot = leastRecent
            unlink(slot)
            slots[keys[Int(slot)]] = nil
            keys[Int(slot)] = key
            baselines[Int(slot)] = make()
            evictions += 1
        }
        slots[key] = slot
        pushFront(slot)
        return Int(slot)
    }

    @inline(__always)
    private mutating func moveToFront(_ slot: Int32) {
        guard slot != mostRecent else { return }
        unlink(slot)
        pushFront(slot)
    }

    private mutating func unlink(_ slot: Int32) {
        let n = newer[Int(slot)]
        let o = older[Int(slot)]
        if n >= 0 { older[Int(n)] = o } else { mostRecent = o }
        if o >= 0 { newer[Int(o)] = n } else { leastRecent = n }
        newer[Int(slot)] = -1
        older[Int(slot)] = -1
    }

    private mutating func pushFront(_ slot: Int32) {
        older[Int(slot)] = mostRecent
        newer[Int(slot)] = -1
        if mostRecent >= 0 { newer[Int(mostRecent)] = slot }
        mostRecent = slot
        if leastRecent < 0 { leastRecent = slot }
    }

    /// Slots from the least to the most recently seen: the order a snapshot stores them in, so a
    /// restored table evicts in the same order.
    var slotsByRecency: [Int] {
        var result: [Int] = []
        result.reserveCapacity(count)
        var slot = leastRecent
        while slot >= 0 {
            result.append(Int(slot))
            slot = newer[Int(slot)]
        }
        return result
    }
}
