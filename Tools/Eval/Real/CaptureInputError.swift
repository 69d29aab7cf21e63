/// Input a capture reader cannot use, with where it is: the file, the 1-based line and the field,
/// so a person can open the file at the line and see what is wrong.
struct CaptureInputError: Error, CustomStringConvertible, Equatable {
    var file: String
    var line: Int
    /// The column's name (`id.resp_h`, `StartTime`), or nil when the line as a whole is wrong.
    var field: String?
    var problem: String

    var description: String {
        "\(file):\(line)" + (field.map { ":\($0)" } ?? "") + ": \(problem)"
    }
}
