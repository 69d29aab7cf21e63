import Foundation

/// The compiled BPF object carried inside the binary (see Tools/EmbedBPF).
public enum EmbeddedObject {
    /// The ELF bytes, decoded once.
    public static let elf: [UInt8] = {
        guard let data = Data(base64Encoded: EmbeddedBPFObject.base64), data.count == EmbeddedBPFObject.byteCount else {
            preconditionFailure("the embedded BPF object is corrupt; rebuild Sluice")
        }
        return [UInt8](data)
    }()
}
