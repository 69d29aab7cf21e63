/// Finds the known word a person most likely meant when they wrote an unknown one.
enum NameSuggestion {
    /// The closest of `known` to `written`, or nil when none is close enough to be a likely typo.
    static func closest(to written: String, among known: [String]) -> String? {
        let lowered = written.lowercased()
        var best: (name: String, distance: Int)?
        for candidate in known {
            let target = candidate.lowercased()
            if target == lowered { return candidate }
            // A shortened name (`proto`, `desc`) is as likely a slip as a typo.
            let isAbbreviation = lowered.count >= 3 && target.hasPrefix(lowered)
            let distance = isAbbreviation ? 1 : editDistance(lowered, target)
            let allowed = max(1, min(2, target.count / 3))
            if distance <= allowed, distance < best?.distance ?? .max {
                best = (candidate, distance)
            }
        }
        return best?.name
    }

    /// Levenshtein distance, counting one adjacent swap (`porst`) as one edit.
    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs.unicodeScalars)
        let b = Array(rhs.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousRow: [Int] = []
        var row = Array(0...b.count)
        for i in 1...a.count {
            let beforePrevious = previousRow
            previousRow = row
            row = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                row[j] = min(previousRow[j] + 1, row[j - 1] + 1, previousRow[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    row[j] = min(row[j], beforePrevious[j - 2] + 1)
                }
            }
        }
        return row[b.count]
    }

    /// `a, b or c`, the way messages list what is allowed.
    static func list(_ names: [String], conjunction: String = "or") -> String {
        guard let last = names.last else { return "" }
        guard names.count > 1 else { return last }
        return names.dropLast().joined(separator: ", ") + " \(conjunction) " + last
    }
}
