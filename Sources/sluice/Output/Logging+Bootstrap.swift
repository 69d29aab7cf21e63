import Logging

/// Long-running commands (agent, server) log with swift-log to stderr at the level given; a
/// supervisor (systemd, the kubelet) keeps stderr.
func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
