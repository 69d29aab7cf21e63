/// Flows from Zeek's `conn.log`: `id.orig_h` opened the connection (the application side),
/// `id.resp_h`/`id.resp_p` is where it went, `proto` its protocol; `label` (and the more precise
/// `detailedlabel`, preferred when set) are the Stratosphere labelled logs' ground truth.
enum ZeekConn {
    static func flows(_ records: [ZeekRecord]) throws(CaptureInputError) -> [Flow] {
        var flows: [Flow] = []
        flows.reserveCapacity(records.count)
        for record in records {
            let protocolName = try record.required("proto")
            guard let transport = CaptureMapping.transport(protocolName) else {
                throw record.error("proto", "'\(protocolName)' is not an IP protocol Sluice knows")
            }
            flows.append(
                Flow(
                    time: try record.time("ts"), source: try record.address("id.orig_h"),
                    destination: try record.address("id.resp_h"), port: try record.port("id.resp_p"),
                    transport: transport, domain: nil, label: label(record)))
        }
        return flows
    }

    /// `detailedlabel` where it says more than `label`, else `label`; nil without either.
    static func label(_ record: ZeekRecord) -> String? {
        let detailed = record.text("detailedlabel").flatMap { $0.isEmpty || $0 == "(empty)" ? nil : $0 }
        let plain = record.text("label").flatMap { $0.isEmpty ? nil : $0 }
        guard let plain else { return detailed }
        return isAttack(plain) ? (detailed ?? plain) : plain
    }

    /// Whether a Stratosphere label names malicious traffic: `Malicious` in Zeek labels,
    /// `Botnet`, `Malware` or `Attack` in binetflow's `flow=…` labels. Anything else (`Benign`,
    /// `Background`, `Normal`, `LEGITIMATE`) is normal traffic.
    static func isAttack(_ label: String) -> Bool {
        let lowered = label.lowercased()
        return ["malicious", "botnet", "malware", "attack"].contains { lowered.contains($0) }
            && !lowered.hasPrefix("benign")
    }
}
