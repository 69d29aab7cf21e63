extension Sequence {
    /// The first `count` elements in the order `precedes` gives, without ordering the rest: a
    /// report's few hundred rows out of as many as a million kept in one pass, most elements
    /// compared once, with the last one kept.
    func best(_ count: Int, by precedes: (Element, Element) -> Bool) -> [Element] {
        guard count > 0 else { return [] }
        var kept: [Element] = []
        kept.reserveCapacity(count)
        for element in self {
            if kept.count == count {
                guard precedes(element, kept[count - 1]) else { continue }
                kept.removeLast()
            }
            // Binary search for the first kept element `element` precedes.
            var low = 0
            var high = kept.count
            while low < high {
                let middle = (low + high) / 2
                if precedes(element, kept[middle]) { high = middle } else { low = middle + 1 }
            }
            kept.insert(element, at: low)
        }
        return kept
    }
}
