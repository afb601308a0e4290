// A minimal server on the HTTPServer module for bench/http.sh: GET /plaintext answers
// "Hello, World!", POST /form echoes the body length. Usage: HTTPBenchServer [port]
import HTTPServer

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8081 : 8081
var router = Router()
router.get("/plaintext") { _ in HTTPResponse(contentType: "text/plain", body: Array("Hello, World!".utf8)) }
router.post("/form") { request in
    HTTPResponse(contentType: "text/plain", body: Array("received \(request.body.count) bytes".utf8))
}
let server = HTTPServer(configuration: HTTPServerConfiguration(port: port), responder: router)
try server.start()
print("listening on 127.0.0.1:\(server.port)")
while true { try await Task.sleep(for: .seconds(3600)) }
