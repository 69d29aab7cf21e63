extension KernelSandbox {
    /// Runs `command` (through /bin/sh) in the sandbox cgroup, in a mount namespace whose
    /// /etc/resolv.conf is the file `resolvConf`: glibc's resolver there asks the test's server.
    public func runWithResolver(_ resolvConf: String, _ command: String) throws -> ChildProcess.Output {
        try ChildProcess.run(
            "/usr/bin/unshare",
            [
                "--mount", "--propagation", "private", "/bin/sh", "-c",
                "mount --bind \(resolvConf) /etc/resolv.conf && echo $$ > \(cgroupPath)/cgroup.procs && exec \(command)",
            ])
    }
}
