@preconcurrency import CLibbpf
@preconcurrency import Glibc
import Logging
import Synchronization

/// Routes libbpf's own messages (verifier logs, pin reuse problems) into swift-log.
public enum LibbpfLog {
    private static let installed = Mutex(false)
    private static let target = Mutex(Logger(label: "sluice.libbpf"))

    /// Sends libbpf's warnings to `logger` (debug messages only when it logs at debug level).
    public static func use(_ logger: Logger) {
        target.withLock { $0 = logger }
        install()
    }

    static func install() {
        installed.withLock { done in
            guard !done else { return }
            done = true
            _ = libbpf_set_print { level, format, arguments in
                guard let format, let arguments else { return 0 }
                var buffer = [CChar](repeating: 0, count: 4096)
                let length = vsnprintf(&buffer, buffer.count, format, arguments)
                let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.trimmingCharacters(in: "\n")
                let logger = LibbpfLog.target.withLock { $0 }
                switch level {
                case LIBBPF_WARN: logger.warning("\(text)", metadata: ["libbpf.level": "warn"])
                case LIBBPF_INFO: logger.info("\(text)", metadata: ["libbpf.level": "info"])
                default: logger.trace("\(text)", metadata: ["libbpf.level": "debug"])
                }
                return length
            }
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.last == set { text = text.dropLast() }
        return String(text)
    }
}
