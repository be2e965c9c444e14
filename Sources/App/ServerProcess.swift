import Foundation
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A `weijian serve` child process on a loopback port: for the tests that kill the real binary and start it again
/// (`WeijianTesting` finds the binary), and for `weijian bench scale`, which measures the server's start-up and memory
/// from outside. Its output goes to a log file.
public final class ServerProcess: Sendable {
    /// The port it listens on.
    public let port: Int
    /// Its process id.
    public let pid: Int32
    /// Where its standard output and error go.
    public let logFile: String
    private let exitStatus: ExitStatus

    /// The exit status once the process has ended.
    final class ExitStatus: Sendable {
        let value = Mutex<Int32?>(nil)
        func withLock<T>(_ body: (inout Int32?) -> T) -> T { value.withLock { body(&$0) } }
    }

    /// The binary could not be started.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
        /// Creates the error.
        public init(description: String) { self.description = description }
    }

    private init(port: Int, pid: Int32, logFile: String, exitStatus: ExitStatus) {
        self.port = port
        self.pid = pid
        self.logFile = logFile
        self.exitStatus = exitStatus
    }

    /// Starts `binary serve` on `database` (a URL) with the key file `keyFile`, on a free port unless `port` is given.
    public static func start(binary: String, database: String, keyFile: String, logFile: String, port: Int? = nil, environment extra: [String: String] = [:]) throws -> ServerProcess {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw Unavailable(description: "no server binary at \(binary): build it first (swift build --product weijian), or set WEIJIAN_BIN")
        }
        let port = try port ?? freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--database", database, "--host", "127.0.0.1", "--port", String(port)]
        var environment = ProcessInfo.processInfo.environment
        environment["WEIJIAN_KEY_FILE"] = keyFile
        environment["WEIJIAN_BCRYPT_COST"] = "4"
        environment["WEIJIAN_WRITE_BURST"] = "100000"
        environment["LOG_LEVEL"] = "warning"
        environment.removeValue(forKey: "DATABASE_URL")
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        if !FileManager.default.fileExists(atPath: logFile) { FileManager.default.createFile(atPath: logFile, contents: nil) }
        guard let log = FileHandle(forWritingAtPath: logFile) else { throw Unavailable(description: "cannot write the server log \(logFile)") }
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        let exitStatus = ExitStatus()
        process.terminationHandler = { finished in exitStatus.withLock { $0 = finished.terminationStatus } }
        try process.run()
        try? log.close()
        return ServerProcess(port: port, pid: process.processIdentifier, logFile: logFile, exitStatus: exitStatus)
    }

    /// Sends `signal` (SIGKILL: no shutdown of any kind).
    public func kill(_ signal: Int32 = SIGKILL) {
        if exitStatus.withLock({ $0 }) == nil { _ = Glibc.kill(pid, signal) }
    }

    /// The process's peak resident set (`VmHWM` of `/proc/<pid>/status`) in KiB; nil when it cannot be read (ended, not Linux).
    public var peakResidentKiB: Int? { statusKiB("VmHWM") }

    /// The process's resident set now (`VmRSS`) in KiB.
    public var residentKiB: Int? { statusKiB("VmRSS") }

    /// Of the resident set now, the private memory (`RssAnon`: heaps, stacks, SQLite's page caches) and the mapped
    /// files' pages (`RssFile`: the binary, libraries, a memory-mapped database file; the kernel may drop them).
    public var anonymousKiB: Int? { statusKiB("RssAnon") }
    public var fileKiB: Int? { statusKiB("RssFile") }

    private func statusKiB(_ field: String) -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        }
        return nil
    }

    /// Whether the process has ended.
    public var exited: Bool { exitStatus.withLock { $0 } != nil }

    /// Waits until the process has ended (killing it after `timeout`).
    public func waitForExit(timeout: Duration = .seconds(20)) async {
        let deadline = ContinuousClock.now + timeout
        while !exited {
            if ContinuousClock.now > deadline { kill(SIGKILL) }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Stops the server gracefully (SIGTERM) and waits for it.
    public func stop() async {
        kill(SIGTERM)
        await waitForExit()
    }

    /// The end of the server's log, for a failure message.
    public func logTail(_ characters: Int = 3000) -> String {
        let text = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
        return String(text.suffix(characters))
    }

    /// A loopback port nobody listens on now.
    public static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress?.port ?? 0
        try channel.close().wait()
        return port
    }
}
