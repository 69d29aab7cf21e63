/// The version every binary, event and status reports.
public enum SluiceVersion {
    public static let current = "0.1.0"
}
