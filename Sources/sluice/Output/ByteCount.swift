/// Byte counts for people: `0 B`, `812 B`, `1.5 KiB`, `97.7 MiB`, `1.2 GiB` (binary units, as
/// policy quotas are written).
enum ByteCount {
    static func text(_ bytes: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return "\(bytes) B" }
        let tenths = (value * 10).rounded() / 10
        return "\(tenths) \(units[unit])"
    }

    /// A rate over `seconds`: `1.5 MiB/s`.
    static func rate(_ bytes: UInt64, seconds: Double) -> String {
        guard seconds > 0 else { return "-" }
        return text(UInt64(Double(bytes) / seconds)) + "/s"
    }
}
