@preconcurrency import CLibbpf

/// Runs and nanoseconds spent by the program behind `descriptor`, counted by the kernel while
/// `kernel.bpf_stats_enabled` is 1 (`name` is for the error).
func programRunStatistics(descriptor: Int32, name: String) throws(KernelError) -> (runs: UInt64, nanoseconds: UInt64) {
    var info = bpf_prog_info()
    var length = UInt32(MemoryLayout<bpf_prog_info>.size)
    try KernelError.check(bpf_obj_get_info_by_fd(descriptor, &info, &length), "bpf_obj_get_info_by_fd", name)
    return (info.run_cnt, info.run_time_ns)
}
