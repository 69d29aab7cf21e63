import SluiceABI

extension Datapath {
    /// The iterator programs in BPF/sluice_flows.h.
    static let flowReaderNames = ["sluice_flows_tcp", "sluice_flows_udp"]

    /// The open connections' flow records as they stand now (`final` false), read with the
    /// socket iterators: TCP connections and connected UDP sockets the connect hooks allowed,
    /// in this process's network namespace.
    public func openFlows() throws(KernelError) -> [RawEvent] {
        try Self.openFlows(readers: flowReaders)
    }

    /// A reader of open flows that another thread may own (the event pipeline's), so that the
    /// datapath's owner is not asked every few seconds.
    public var flowSweeper: FlowSweeper { FlowSweeper(readers: flowReaders, closers: closers) }

    static func openFlows(readers: [BPFProgram]) throws(KernelError) -> [RawEvent] {
        var records: [RawEvent] = []
        let size = MemoryLayout<sluice_flow_event>.size
        for reader in readers {
            var output: [UInt8] = []
            try reader.runIterator { output.append(contentsOf: $0) }
            output.withUnsafeBytes { bytes in
                for offset in stride(from: 0, through: bytes.count - size, by: size) {
                    records.append(RawEvent(bytes.loadUnaligned(fromByteOffset: offset, as: sluice_flow_event.self)))
                }
            }
        }
        return records
    }
}

/// Reads open connections' flow records (`Datapath.openFlows`) and ends the connections a
/// quota cut. Holds the iterator programs, which keep the loaded object alive.
///
/// `@unchecked Sendable`: a sweep only attaches a new iterator link to each loaded program and
/// reads it (`BPFProgram.runIterator`), which leaves libbpf's program as it is; what changes a
/// program (pins, autoload) is done before load, by the datapath, never through a sweeper.
public struct FlowSweeper: @unchecked Sendable {
    let readers: [BPFProgram]
    let closers: [BPFProgram]

    /// The open connections' records now.
    public func sweep() throws(KernelError) -> [RawEvent] {
        try Datapath.openFlows(readers: readers)
    }

    /// Ends the connections a quota cut (their packets are dropped from the cut on): a reset to
    /// the peer, ECONNABORTED to the application. The closing iterators do it as they pass, and
    /// end nothing else that the generation in force allows. Returns how many they ended; 0 on
    /// a kernel that cannot end sockets, where cut connections stay stalled until they time out.
    public func endCutConnections() throws(KernelError) -> Int {
        var ended = 0
        for closer in closers {
            ended += try closer.runIterator()
        }
        return ended
    }
}
