import SluiceCore
import Testing

@Suite struct LineDiffTests {
    /// The old and new texts an edit script spells.
    static func sides(_ edits: [LineDiff.Edit]) -> (old: [String], new: [String]) {
        var old: [String] = []
        var new: [String] = []
        for edit in edits {
            switch edit {
            case .keep(let line):
                old.append(line)
                new.append(line)
            case .delete(let line): old.append(line)
            case .insert(let line): new.append(line)
            }
        }
        return (old, new)
    }

    static func longestCommonSubsequence(_ a: [String], _ b: [String]) -> Int {
        var row = [Int](repeating: 0, count: b.count + 1)
        for x in a {
            var diagonal = 0
            for j in 1...max(1, b.count) where !b.isEmpty {
                let saved = row[j]
                row[j] = x == b[j - 1] ? diagonal + 1 : Swift.max(row[j], row[j - 1])
                diagonal = saved
            }
        }
        return row[b.count]
    }

    @Test func scriptsAreShortestAndSpellBothTexts() {
        var generator = SplitMix64(seed: 11)
        for _ in 0..<300 {
            let old = (0..<Int(generator.next() % 25)).map { _ in "line \(generator.next() % 6)" }
            let new = (0..<Int(generator.next() % 25)).map { _ in "line \(generator.next() % 6)" }
            let edits = LineDiff.edits(old, new)
            let spelled = Self.sides(edits)
            #expect(spelled.old == old && spelled.new == new)
            let kept = edits.filter { if case .keep = $0 { true } else { false } }.count
            #expect(kept == Self.longestCommonSubsequence(old, new), "\(old) -> \(new)")
        }
    }

    @Test func hugeDifferencesStayWithinTheBudgetAndAreStillCorrect() {
        // Two texts with nothing in common but their first and last lines: a shortest script
        // would need about (n + m)^2 cells; the search gives up and replaces the middle.
        let old = ["apiVersion: sluice/v1"] + (0..<6000).map { "# old \($0)" } + ["end"]
        let new = ["apiVersion: sluice/v1"] + (0..<6000).map { "# new \($0)" } + ["end"]
        let edits = LineDiff.edits(old, new)
        let spelled = Self.sides(edits)
        #expect(spelled.old == old && spelled.new == new)
        #expect(edits.first == .keep("apiVersion: sluice/v1") && edits.last == .keep("end"))
    }
}
