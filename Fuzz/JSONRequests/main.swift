// libFuzzer target: arbitrary bytes as the JSON body of every API request type, decoded the way
// handlers decode them. Either a value comes out, or an HTTPError with the contract's status
// (400 not JSON, 415 wrong type, 422 naming a field): never another error, never a crash.

import Foundation
import HTTPServer
import HandoffDomain

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONRequests(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let contentTypes = ["application/json", "application/json; charset=utf-8", "text/plain", "application/x+json"]
    let contentType = contentTypes[Int(data[0]) % contentTypes.count]
    let request = HTTPRequest(
        method: .post, target: "/", headers: ["Content-Type": contentType],
        body: Array(UnsafeBufferPointer(start: data + 1, count: size - 1)))
    decode(SessionDetails.self, request)
    decode(NewMessage.self, request)
    decode(HandoffRequest.self, request)
    decode(VerifyRequest.self, request)
    decode(AgentReply.self, request)
    decode(EscalationRequest.self, request)
    decode(ReasonRequest.self, request)
    decode(NewSuppression.self, request)
    decode(SimulatedReply.self, request)
    return 0
}

private func decode<T: Decodable>(_ type: T.Type, _ request: HTTPRequest) {
    do {
        _ = try JSONBody.decode(type, from: request)
    } catch let error as HTTPError {
        precondition([400, 415, 422].contains(error.status.code), "unexpected status \(error.status.code)")
        precondition(error.status.code != 422 || error.field != nil, "a 422 names its field")
    } catch {
        preconditionFailure("decoding threw something other than HTTPError: \(error)")
    }
}
