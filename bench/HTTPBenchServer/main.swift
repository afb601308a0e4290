// A minimal server on the HTTPServer module for bench/http.sh: GET /healthz answers "ok",
// POST /form answers with the body length. Usage: HTTPBenchServer [host:port]
import HTTPServer

let address = CommandLine.arguments.dropFirst().first ?? "127.0.0.1:8081"
let separator = address.lastIndex(of: ":") ?? address.endIndex
let host = String(address[..<separator])
let port = Int(address[address.index(after: separator)...]) ?? 8081
var router = Router()
router.get("/healthz") { _ in HTTPResponse(contentType: "text/plain", body: Array("ok".utf8)) }
router.post("/form") { request in
    HTTPResponse(contentType: "text/plain", body: Array("received \(request.body.count) bytes".utf8))
}
let server = HTTPServer(configuration: HTTPServerConfiguration(host: host, port: port), responder: router)
try server.start()
print("listening on \(host):\(server.port)")
while true { try await Task.sleep(for: .seconds(3600)) }
