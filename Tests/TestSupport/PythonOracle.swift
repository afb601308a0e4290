public import Foundation

/// Runs an independent Python implementation (Twilio's SDK, `phonenumbers`, `smsutil`, `h11`)
/// as a test oracle.
///
/// `make test` creates `.venv` from `Tests/Oracles/requirements.txt` and exports its interpreter
/// as `HANDOFF_TEST_PYTHON`. Tests that need an oracle use `.enabled(if: PythonOracle.isAvailable)`;
/// `make test` fails if the variable is missing, so CI never skips them silently.
public enum PythonOracle {
    public static var interpreter: String? {
        guard let path = ProcessInfo.processInfo.environment["HANDOFF_TEST_PYTHON"], !path.isEmpty else { return nil }
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    public static var isAvailable: Bool { interpreter != nil }

    /// The folder holding the oracle scripts (`Tests/Oracles`).
    public static var scriptsDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Oracles")
    }

    /// Runs `Tests/Oracles/<script>` with `input` on standard input and returns standard output.
    /// Throws when the script exits non-zero, with its standard error in the message.
    public static func run(script: String, input: Data, arguments: [String] = []) throws -> Data {
        guard let python = interpreter else { throw OracleError(message: "HANDOFF_TEST_PYTHON is not set") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [scriptsDirectory.appendingPathComponent(script).path] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        // Write and read concurrently so a large input or output cannot deadlock the pipes.
        let writer = Thread {
            stdin.fileHandleForWriting.write(input)
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        let errors = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OracleError(
                message: "\(script) exited \(process.terminationStatus): " + String(decoding: errors, as: UTF8.self))
        }
        return output
    }

    /// JSON in, JSON out convenience over `run`.
    public static func runJSON<Input: Encodable, Output: Decodable>(
        script: String, input: Input, as: Output.Type = Output.self
    ) throws -> Output {
        let data = try run(script: script, input: JSONEncoder().encode(input))
        return try JSONDecoder().decode(Output.self, from: data)
    }
}

/// A failure to run an oracle script.
public struct OracleError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
