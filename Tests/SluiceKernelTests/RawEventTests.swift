import SluiceABI
import SluiceCore
import Testing

@testable import SluiceKernel

/// Decoding a record's destination, without a kernel: the same address `IPAddress(bytes:)` gives.
struct RawEventTests {
    static func record(family: UInt8, address bytes: [UInt8]) -> RawEvent {
        var event = sluice_event()
        event.family = family
        withUnsafeMutableBytes(of: &event.dst_addr) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        return RawEvent(event)
    }

    static let cases: [(family: UInt8, bytes: [UInt8], expected: String)] = [
        (4, [192, 0, 2, 7], "192.0.2.7"),
        (4, [127, 0, 0, 1, 0xee, 0xee, 0xee, 0xee], "127.0.0.1"),
        (6, [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], "2001:db8::1"),
        (6, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3], "10.1.2.3"),
    ]

    @Test(arguments: cases)
    func theDestinationIsReadInNetworkOrder(_ example: (family: UInt8, bytes: [UInt8], expected: String)) {
        let (family, bytes, expected) = example
        let raw = Self.record(family: family, address: bytes)
        #expect(raw.destination == IPAddress(expected))
        #expect(raw.destination.description == expected)
    }
}
