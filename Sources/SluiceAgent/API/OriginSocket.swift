import CSystemShims
import Foundation
@preconcurrency import Glibc
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceKernel
import Synchronization

/// Tells a redirect target, root or not, where a connection it was handed meant to go: the
/// target passes its end of the connection over this Unix socket (SCM_RIGHTS) and reads one
/// JSON line back. Holding the connection is the permission, as for SO_ORIGINAL_DST, so the
/// socket is open to every local user; nothing else can be asked. README: "Redirects".
struct OriginSocket: Service {
    let path: String
    let origins: RedirectOrigins
    let logger: Logger

    func run() async throws {
        let listener: Int32
        do {
            listener = try Self.listen(path)
        } catch {
            // Enforcement goes on without it; a service that returned would stop the agent.
            logger.error("redirect targets cannot learn original destinations", metadata: ["origin.socket": "\(path)", "error": "\(error)"])
            try? await gracefulShutdown()
            return
        }
        // The listener is closed once, here, after the serving thread has returned.
        defer {
            close(listener)
            unlink(path)
        }
        let stop = Mutex(false)
        async let serving: Void = DedicatedThread.run(name: "sluice-origins") { [origins, logger] in
            while !stop.withLock({ $0 }) {
                var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 200) == 1 else { continue }
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { continue }
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                Self.answer(connection, origins: origins, logger: logger)
                close(connection)
            }
        }
        logger.info("redirect targets may ask for original destinations", metadata: ["origin.socket": "\(path)"])
        try? await gracefulShutdown()
        stop.withLock { $0 = true }
        await serving
    }

    /// A stream socket at `path` that every local user may connect to.
    static func listen(_ path: String) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw AgentError.originSocket(path: path, reason: "the path is longer than \(capacity - 1) bytes") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && access(folder, F_OK) != 0 && mkdir(folder, 0o755) != 0 {
            throw AgentError.originSocket(path: path, reason: "cannot make \(folder): \(ErrnoName.describe(errno))")
        }
        unlink(path)  // left behind by an agent that was killed
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw AgentError.originSocket(path: path, reason: "socket: \(ErrnoName.describe(errno))") }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, chmod(path, 0o666) == 0, Glibc.listen(listener, 64) == 0 else {
            let reason = ErrnoName.describe(errno)
            close(listener)
            throw AgentError.originSocket(path: path, reason: reason)
        }
        return listener
    }

    /// Reads one passed socket from `connection` and writes its answer. A client that sends
    /// nothing holds the loop for at most the receive timeout.
    static func answer(_ connection: Int32, origins: RedirectOrigins, logger: Logger) {
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let passed = sluice_receive_descriptor(connection)
        let reply: OriginAnswer
        if passed < 0 {
            reply = OriginAnswer(error: "send one TCP or UDP socket with SCM_RIGHTS (\(ErrnoName.of(-passed)))")
        } else {
            // The passed descriptor is ours now; closed once, here.
            defer { close(passed) }
            do {
                if let origin = try origins.original(ofSocket: passed) {
                    reply = OriginAnswer(origin)
                } else {
                    reply = OriginAnswer(error: "not redirected: no redirected connection has this socket's peer")
                }
            } catch {
                reply = OriginAnswer(error: "\(error)")
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var line = (try? encoder.encode(reply)) ?? Data("{\"error\":\"encoding\"}".utf8)
        line.append(0x0a)
        let written = line.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if written < 0 {
            logger.debug("an origin answer was not delivered", metadata: ["error": "\(ErrnoName.of(errno))"])
        }
    }
}

/// The origin socket's one line: the original destination in the event stream's names, or why
/// there is none.
struct OriginAnswer: Encodable {
    var dstIP: String?
    var dstPort: UInt16?
    var `protocol`: String?
    var flowID: UInt64?
    var error: String?

    enum CodingKeys: String, CodingKey {
        case dstIP = "dst_ip", dstPort = "dst_port", `protocol`, flowID = "flow_id", error
    }

    init(_ origin: RedirectOrigin) {
        dstIP = origin.address.description
        dstPort = origin.port
        `protocol` = origin.transport.rawValue
        flowID = origin.cookie
    }

    init(error: String) {
        self.error = error
    }
}
