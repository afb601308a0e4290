// bench/curl.sh's subject: N form POSTs with 32 in flight through Handoff's HTTPClient
// (Gateway module, libcurl multi). Usage: CurlBench URL N. Prints requests/s.
import Foundation
import Gateway

let url = CommandLine.arguments[1]
let total = Int(CommandLine.arguments[2]) ?? 20_000
var body = Array("To=%2B14155552671&From=%2B15005550006&Body=".utf8)
body += [UInt8](repeating: UInt8(ascii: "a"), count: 400 - body.count)
let request = HTTPClientRequest(
    method: "POST", url: url, headers: [("Content-Type", "application/x-www-form-urlencoded")], body: body)
let client = HTTPClient()
let perWorker = total / 32
let clock = ContinuousClock()
let start = clock.now
/// Runs 32 workers of `perWorker` POSTs each; returns how many failed.
nonisolated func run(_ client: HTTPClient, _ request: HTTPClientRequest, perWorker: Int) async -> Int {
    await withTaskGroup(of: Int.self) { group in
        for _ in 0..<32 {
            group.addTask {
                var failed = 0
                for _ in 0..<perWorker {
                    let response = try? await client.send(request)
                    if response?.status != 200 { failed += 1 }
                }
                return failed
            }
        }
        return await group.reduce(0, +)
    }
}
let failures = await run(client, request, perWorker: perWorker)
let elapsed = clock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print(String(format: "%.0f", Double(perWorker * 32) / seconds))
if failures > 0 { FileHandle.standardError.write(Data("\(failures) failed\n".utf8)) }
client.shutdown()
