extension Components.Schemas.AlertInfo {
    /// `name (address):port` where the node knew the name the destination was looked up by,
    /// else `address:port`: what people read in notifications and the CLI.
    public var destinationText: String {
        domain.map { "\($0) (\(destination)):\(port)" } ?? "\(destination):\(port)"
    }
}
