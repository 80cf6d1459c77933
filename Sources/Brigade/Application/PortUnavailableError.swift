import BrigadeExecutors
import BrigadeHTTP

/// The server could not listen on its main port or on its management port.
public struct PortUnavailableError: Error, Sendable, CustomStringConvertible {
    /// Which of the server's ports.
    public enum Port: Sendable, Hashable {
        /// The application's port (`server.port`).
        case main
        /// The management port (`management.port`, by default `server.port` + 1).
        case management
    }

    /// Which port failed.
    public let port: Port
    /// The connector's error: the address, the port and the system's reason.
    public let bindError: BindError
    /// Whether the port was configured (`false`: the management port's default, main + 1).
    public let configured: Bool

    /// Creates an error.
    public init(port: Port, bindError: BindError, configured: Bool = true) {
        self.port = port
        self.bindError = bindError
        self.configured = configured
    }

    public var description: String { diagnosis.problem }

    /// The key that sets this port.
    var portKey: String { port == .main ? "server.port" : "management.port" }
    /// The key that sets this port's address.
    var hostKey: String { port == .main ? "server.host" : "management.host" }
}

extension PortUnavailableError: StartupFailure {
    /// Exit status 69 (`EX_UNAVAILABLE`) for a port in use, 77 (`EX_NOPERM`) for a port the
    /// process may not bind, 78 (`EX_CONFIG`) for an address that is not this machine's.
    public var diagnosis: StartupDiagnosis {
        let number = bindError.port
        let which = port == .main ? "port \(number) (\(portKey))" : "the management port \(number) (\(portKey)\(configured ? "" : ", by default server.port + 1"))"
        let setting = "\(portKey) (\(ConfigKeys.environmentName(of: portKey)), \(ConfigKeys.argumentName(of: portKey)))"
        if bindError.isAddressInUse {
            var action = "stop the process listening on port \(number), or set \(setting) to a free port"
            if port == .management {
                action += " (two instances on neighbouring ports collide this way), or switch it off with management.enabled=false"
            }
            return StartupDiagnosis(problem: "\(which) is already in use", action: action, exitStatus: .unavailable)
        }
        if bindError.isPermissionDenied {
            return StartupDiagnosis(
                problem: "permission denied to listen on \(which)",
                action: "set \(setting) to a port above 1023, or give the process the CAP_NET_BIND_SERVICE capability",
                exitStatus: .permissionDenied)
        }
        return StartupDiagnosis(
            problem: "\(bindError) (\(hostKey), \(portKey))",
            action: "set \(hostKey) (\(ConfigKeys.environmentName(of: hostKey))) to an address of this machine: 0.0.0.0 for every interface, 127.0.0.1 for this machine only",
            exitStatus: .configuration)
    }
}
