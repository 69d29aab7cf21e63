/// The maps of a loaded object that the datapath uses, each looked up once after load: a map
/// the object lacks fails the load then (naming it), not a later write.
///
/// Each `BPFMap` borrows its fd from the object, which it keeps alive.
struct DatapathMaps {
    let state: BPFMap
    let config: BPFMap
    let subjects: BPFMap
    let rules4: BPFMap
    let rules6: BPFMap
    let ports: BPFMap
    let counters: BPFMap
    let events: BPFMap
    let execs: BPFMap
    let taskExecutables: BPFMap
    let governedNames: BPFMap
    let owners: BPFMap
    let tcpOwners: BPFMap
    let dnsAddresses: BPFMap
    let dnsNames: BPFMap
    let nameRules: BPFMap
    let namePatterns: BPFMap
    let ruleParams: BPFMap
    let rateBuckets: BPFMap
    let redirects: BPFMap
    let intel4: BPFMap
    let intel6: BPFMap
    let intelNames: BPFMap

    init(of object: BPFObject) throws(KernelError) {
        func map(_ name: MapName) throws(KernelError) -> BPFMap {
            try object.map(named: name.rawValue).descriptor
        }
        state = try map(.state)
        config = try map(.config)
        subjects = try map(.subjects)
        rules4 = try map(.rules4)
        rules6 = try map(.rules6)
        ports = try map(.ports)
        counters = try map(.counters)
        events = try map(.events)
        execs = try map(.execs)
        taskExecutables = try map(.taskExecutables)
        governedNames = try map(.governedNames)
        owners = try map(.owners)
        tcpOwners = try map(.tcpOwners)
        dnsAddresses = try map(.dnsAddresses)
        dnsNames = try map(.dnsNames)
        nameRules = try map(.nameRules)
        namePatterns = try map(.namePatterns)
        ruleParams = try map(.ruleParams)
        rateBuckets = try map(.rateBuckets)
        redirects = try map(.redirects)
        intel4 = try map(.intel4)
        intel6 = try map(.intel6)
        intelNames = try map(.intelNames)
    }

    /// The map pinned as `name`.
    subscript(name: MapName) -> BPFMap {
        switch name {
        case .state: return state
        case .config: return config
        case .subjects: return subjects
        case .rules4: return rules4
        case .rules6: return rules6
        case .ports: return ports
        case .counters: return counters
        case .events: return events
        case .execs: return execs
        case .taskExecutables: return taskExecutables
        case .governedNames: return governedNames
        case .owners: return owners
        case .tcpOwners: return tcpOwners
        case .dnsAddresses: return dnsAddresses
        case .dnsNames: return dnsNames
        case .nameRules: return nameRules
        case .namePatterns: return namePatterns
        case .ruleParams: return ruleParams
        case .rateBuckets: return rateBuckets
        case .redirects: return redirects
        case .intel4: return intel4
        case .intel6: return intel6
        case .intelNames: return intelNames
        }
    }
}
