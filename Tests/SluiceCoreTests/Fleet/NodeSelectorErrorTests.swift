import Testing

@testable import SluiceCore

/// Label and selector errors are cases a caller can match on, with the text at fault.
@Suite struct NodeSelectorErrorTests {
    @Test(arguments: [
        ("role", NodeSelector.LabelError.notKeyValue("role")),
        ("zone=a, zone=b", .conflictingValues(key: "zone")),
        ("-x=1", .keyStart(key: "-x")),
        ("=1", .keyStart(key: "")),
        ("a b=1", .invalidKey(key: "a b")),
        ("zone=a/b", .invalidValue(key: "zone", value: "a/b")),
    ])
    func parseNamesWhatIsWrong(text: String, expected: NodeSelector.LabelError) {
        guard case .failure(let error) = NodeSelector.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(error == expected)
        #expect(!error.description.isEmpty)
    }

    @Test func tooManyLabels() {
        let labels = Dictionary(uniqueKeysWithValues: (0...NodeSelector.maximumLabels).map { ("k\($0)", "v") })
        #expect(NodeSelector.validate(labels) == .tooManyLabels(count: NodeSelector.maximumLabels + 1))
        #expect(NodeSelector.validate(["sluice.io/role": "web"]) == nil)
        #expect(NodeSelector.LabelError.tooManyLabels(count: 65).description == "65 labels; at most 64 are allowed")
    }
}
