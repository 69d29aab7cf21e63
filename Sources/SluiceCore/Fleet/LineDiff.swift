/// Line diffs of policy versions: Myers' O(ND) algorithm ("An O(ND) Difference Algorithm and Its
/// Variations", 1986) for a shortest edit script, printed as a unified diff like `diff -u`.
public enum LineDiff {
    public enum Edit: Hashable, Sendable {
        case keep(String)
        case delete(String)
        case insert(String)
    }

    /// Most frontier cells the search keeps (8 bytes each) before it settles for a longer script.
    public static let searchBudget = 4_000_000

    /// A shortest edit script turning `old` into `new`: deletions before insertions where they
    /// meet, as `diff` prints them. Lines the two share at the start and the end are kept as they
    /// are; when the rest differs so much that a shortest script would cost more than
    /// `searchBudget` cells of memory, the rest is replaced whole (a correct, longer script):
    /// request bodies decide the sizes here, and memory must stay bounded.
    public static func edits(_ old: [String], _ new: [String]) -> [Edit] {
        var prefix = 0
        while prefix < old.count, prefix < new.count, old[prefix] == new[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < old.count - prefix, suffix < new.count - prefix, old[old.count - 1 - suffix] == new[new.count - 1 - suffix] {
            suffix += 1
        }
        let oldMiddle = Array(old[prefix..<(old.count - suffix)])
        let newMiddle = Array(new[prefix..<(new.count - suffix)])
        let middle =
            shortest(oldMiddle, newMiddle)
            ?? (oldMiddle.map(Edit.delete) + newMiddle.map(Edit.insert))
        return old[..<prefix].map(Edit.keep) + middle + old[(old.count - suffix)...].map(Edit.keep)
    }

    /// Myers' search, keeping per step only the band of diagonals it reached; nil past the budget.
    private static func shortest(_ old: [String], _ new: [String]) -> [Edit]? {
        let n = old.count
        let m = new.count
        let max = n + m
        if max == 0 { return [] }
        // v[k + offset]: the furthest x on diagonal k. Before step d only diagonals -(d-1)...(d-1)
        // are set, and that band is what the walk back needs of it.
        let offset = max
        var v = [Int](repeating: 0, count: 2 * max + 2)
        var trace: [[Int]] = []
        var cells = 0
        var found = false
        for d in 0...max {
            trace.append(d == 0 ? [] : Array(v[(offset - d + 1)...(offset + d - 1)]))
            cells += 2 * d
            if cells > searchBudget { return nil }
            var k = -d
            while k <= d {
                var x: Int
                if k == -d || (k != d && v[k - 1 + offset] < v[k + 1 + offset]) {
                    x = v[k + 1 + offset]
                } else {
                    x = v[k - 1 + offset] + 1
                }
                var y = x - k
                while x < n, y < m, old[x] == new[y] {
                    x += 1
                    y += 1
                }
                v[k + offset] = x
                if x >= n && y >= m {
                    found = true
                    break
                }
                k += 2
            }
            if found { break }
        }
        // Walk back through the kept bands: diagonal k of step d's band is at index k + d - 1.
        var result: [Edit] = []
        var x = n
        var y = m
        for d in stride(from: trace.count - 1, through: 0, by: -1) {
            let band = trace[d]
            let k = x - y
            let previousK: Int
            if k == -d || (k != d && band[k - 1 + d - 1] < band[k + 1 + d - 1]) {
                previousK = k + 1
            } else {
                previousK = k - 1
            }
            let previousX = d == 0 ? 0 : band[previousK + d - 1]
            let previousY = previousX - previousK
            while x > previousX, y > previousY {
                x -= 1
                y -= 1
                result.append(.keep(old[x]))
            }
            if d > 0 {
                if x == previousX {
                    y -= 1
                    result.append(.insert(new[y]))
                } else {
                    x -= 1
                    result.append(.delete(old[x]))
                }
            }
        }
        return result.reversed()
    }

    /// `diff -u` output of two texts (empty when they are equal), with `context` lines around
    /// each change.
    public static func unified(old: String, new: String, oldName: String, newName: String, context: Int = 3) -> String {
        let oldLines = lines(of: old)
        let newLines = lines(of: new)
        let script = edits(oldLines, newLines)
        guard script.contains(where: { if case .keep = $0 { false } else { true } }) else { return "" }
        var output = "--- \(oldName)\n+++ \(newName)\n"
        // Positions of the changes in the script, grouped into hunks that share context.
        var index = 0
        var oldLine = 0
        var newLine = 0
        // Line numbers before each script entry.
        var positions: [(old: Int, new: Int)] = []
        for edit in script {
            positions.append((oldLine, newLine))
            switch edit {
            case .keep:
                oldLine += 1
                newLine += 1
            case .delete: oldLine += 1
            case .insert: newLine += 1
            }
        }
        let changed = script.indices.filter { if case .keep = script[$0] { false } else { true } }
        while index < changed.count {
            let first = changed[index]
            var last = first
            var next = index + 1
            while next < changed.count, changed[next] - last <= 2 * context + 1 {
                last = changed[next]
                next += 1
            }
            let start = Swift.max(0, first - context)
            let end = Swift.min(script.count - 1, last + context)
            var oldCount = 0
            var newCount = 0
            var body = ""
            for entry in script[start...end] {
                switch entry {
                case .keep(let line):
                    body += " \(line)\n"
                    oldCount += 1
                    newCount += 1
                case .delete(let line):
                    body += "-\(line)\n"
                    oldCount += 1
                case .insert(let line):
                    body += "+\(line)\n"
                    newCount += 1
                }
            }
            let oldStart = oldCount == 0 ? positions[start].old : positions[start].old + 1
            let newStart = newCount == 0 ? positions[start].new : positions[start].new + 1
            output += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n" + body
            index = next
        }
        return output
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(start),\(count)"
    }

    /// The text's lines without their line ends; a final line end adds no empty line.
    static func lines(of text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
