import CSystemShims

/// The agent's own memory, as the C library holds it.
public enum ProcessMemory {
    /// Returns pages malloc has freed to the system, so a large transient allocation (a big
    /// policy that was rejected) does not keep the process at its high-water mark.
    public static func returnFreedPages() {
        sluice_return_freed_memory()
    }
}
