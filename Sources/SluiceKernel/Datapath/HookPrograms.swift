/// The program of each hook in a loaded object, looked up once after load (a missing one fails
/// the load, naming it). Each `BPFProgram` keeps the object alive.
struct HookPrograms {
    let connect4: BPFProgram
    let connect6: BPFProgram
    let sendmsg4: BPFProgram
    let sendmsg6: BPFProgram
    let sockCreate: BPFProgram
    let dnsAnswers: BPFProgram

    init(of object: BPFObject) throws(KernelError) {
        connect4 = try object.program(named: Hook.connect4.programName)
        connect6 = try object.program(named: Hook.connect6.programName)
        sendmsg4 = try object.program(named: Hook.sendmsg4.programName)
        sendmsg6 = try object.program(named: Hook.sendmsg6.programName)
        sockCreate = try object.program(named: Hook.sockCreate.programName)
        dnsAnswers = try object.program(named: Hook.dnsAnswers.programName)
    }

    subscript(hook: Hook) -> BPFProgram {
        switch hook {
        case .connect4: return connect4
        case .connect6: return connect6
        case .sendmsg4: return sendmsg4
        case .sendmsg6: return sendmsg6
        case .sockCreate: return sockCreate
        case .dnsAnswers: return dnsAnswers
        }
    }
}
