/// The program of each hook in a loaded object, looked up once after load (a missing one fails
/// the load, naming it). Each `BPFProgram` keeps the object alive.
struct HookPrograms {
    private let programs: [Hook: BPFProgram]

    init(of object: BPFObject) throws(KernelError) {
        var programs: [Hook: BPFProgram] = [:]
        for hook in Hook.allCases {
            programs[hook] = try object.program(named: hook.programName)
        }
        self.programs = programs
    }

    subscript(hook: Hook) -> BPFProgram { programs[hook]! }
}
