#if canImport(Glibc)
import CBrigadeLibPQ  // posix_spawn_file_actions_addclosefrom_np (see its shim)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a command to completion with `posix_spawn`, its output sent to a file.
///
/// Plain C calls only, so it also works inside an `atexit` handler.
enum ProcessRunner {
    /// Runs `arguments` (the first is looked up in `PATH`) and waits for it.
    /// - Parameter output: A file to receive stdout and stderr; `/dev/null` when `nil`.
    /// - Returns: The exit status, or -1 when it could not be started or was killed.
    @discardableResult
    static func run(_ arguments: [String], output: String? = nil) -> Int32 {
        guard let program = arguments.first else { return -1 }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output ?? "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else crosses into the child: SwiftNIO's accepted sockets are not
        // close-on-exec, and a PostgreSQL server started from here would otherwise keep
        // copies of this process's connections open (a connection the server closes would
        // stay open for its client).
        #if os(Linux)
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)
        #endif
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawnp(&pid, program, &actions, nil, argv, environ)
        guard rc == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            if errno != EINTR { return -1 }
        }
        // WIFEXITED / WEXITSTATUS, which Swift does not import as macros.
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return -1
    }

    /// The whole content of a text file, or "" when it cannot be read.
    static func read(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: buffer.prefix(count))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Runs a command and returns its first line of output (`pg_config --bindir`).
    static func firstLine(of arguments: [String], scratch: String) -> String? {
        let path = scratch + "/brigade-cmd-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).out"
        defer { unlink(path) }
        guard run(arguments, output: path) == 0 else { return nil }
        let line = read(path).split(separator: "\n").first.map(String.init)
        return line?.isEmpty == false ? line : nil
    }
}
