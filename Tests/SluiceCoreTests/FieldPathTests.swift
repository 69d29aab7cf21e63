import Testing

@testable import SluiceCore

/// Field paths are kept in parts and joined only when read; the text is what joining the parts
/// one by one (`a.b`, `a[0]`) gives.
@Suite struct FieldPathTests {
    enum Part: Sendable {
        case key(String)
        case index(Int)
    }

    /// Joins the way paths were always written.
    static func joined(_ parts: [Part]) -> String {
        parts.reduce("") { path, part in
            switch part {
            case .key(let name): return path.isEmpty ? name : "\(path).\(name)"
            case .index(let index): return "\(path)[\(index)]"
            }
        }
    }

    static func path(_ parts: [Part], from start: FieldPath = FieldPath()) -> FieldPath {
        parts.reduce(start) { path, part in
            switch part {
            case .key(let name): return path.appending(name)
            case .index(let index): return path.appending(index)
            }
        }
    }

    @Test(arguments: [
        [],
        [.key("apiVersion")],
        [.key("spec"), .key("egress"), .index(12), .key("to"), .index(0)],
        [.key("spec"), .key("egress"), .index(12), .key("to"), .index(0), .key("deeper"), .index(3), .key("x"), .index(4)],
        [.key("spec"), .key("subjects"), .index(1), .key("executable")],
        [.key("metadata"), .key("labels"), .key("")],
        [.key("")],
        [.index(3)],
        [.index(3), .index(4), .key("a")],
        [.key("a"), .index(1), .index(2), .index(3)],
        [.key("spec"), .key("egress"), .index(123_456_789), .key("ports"), .index(10)],
    ] as [[Part]])
    func textIsTheJoinedParts(parts: [Part]) {
        #expect(Self.path(parts).text == Self.joined(parts))
        // Starting from the text of an outer path, as `readEgress` does, gives the same.
        let outer = Array(parts.prefix(2))
        #expect(Self.path(Array(parts.dropFirst(2)), from: FieldPath(Self.joined(outer))).text == Self.joined(parts))
    }

    @Test func locatedValuesCompareByTheirFieldText() {
        let location = SourceLocation(file: "p.yaml", line: 3, column: 7)
        let parts: [Part] = [.key("spec"), .key("egress"), .index(0), .key("ports"), .index(1)]
        let parsed = Located(PortRange(443), at: location, path: Self.path(parts))
        let written = Located(PortRange(443), at: location, field: "spec.egress[0].ports[1]")
        #expect(parsed == written)
        #expect(parsed.hashValue == written.hashValue)
        #expect(parsed.field == "spec.egress[0].ports[1]")
        #expect(parsed != Located(PortRange(443), at: location, field: "spec.egress[0].ports[2]"))
        #expect(String(describing: parsed) == String(describing: written))
        #expect(String(describing: parsed).contains("field: \"spec.egress[0].ports[1]\""))

        var changed = parsed
        changed.field = "spec.egress[1].ports[0]"
        #expect(changed.field == "spec.egress[1].ports[0]")
    }
}
