@preconcurrency import CLibbpf

extension BPFProgram {
    /// Runs the program once on `frame` (`BPF_PROG_TEST_RUN`) and returns what it returned. For
    /// socket-buffer programs the frame starts with an Ethernet header, which the kernel strips;
    /// the program then sees a socket of the calling process's cgroup.
    public func testRun(frame: [UInt8]) throws(KernelError) -> UInt32 {
        try testRun(frame: frame, repeating: 1).result
    }

    /// Runs the program `count` times on `frame`; its last result and the kernel's mean time per
    /// run in nanoseconds.
    public func testRun(frame: [UInt8], repeating count: UInt32) throws(KernelError) -> (result: UInt32, nanoseconds: UInt32) {
        var options = bpf_test_run_opts()
        options.sz = MemoryLayout<bpf_test_run_opts>.size
        options.repeat = Int32(count)
        let result = frame.withUnsafeBytes { bytes -> Int32 in
            options.data_in = bytes.baseAddress
            options.data_size_in = UInt32(bytes.count)
            return bpf_prog_test_run_opts(descriptor, &options)
        }
        try KernelError.check(result, "bpf_prog_test_run_opts", name)
        return (options.retval, options.duration)
    }
}
