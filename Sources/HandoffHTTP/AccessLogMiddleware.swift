import DatabaseDriver
package import HTTPServer
import HTTPValues
import HandoffDomain
package import Logging

/// Logs one line per request (method, route, status, bytes, latency, request id) and records metrics.
///
/// The path is logged as its route pattern, so ids and phone numbers in paths stay out of logs.
/// Errors thrown by handlers are turned into their responses here, so they are logged with the
/// status the client sees (499 when the client closed the connection before its answer, as nginx
/// logs it); every response carries `X-Request-Id`. The handler runs with the id as its
/// `RequestOrigin`, so outbox work it queues logs (and signs its webhooks) under the same id.
package struct AccessLogMiddleware: HTTPMiddleware {
    let logger: Logger
    let metrics: HTTPMetrics

    /// The status logged and counted for a request whose client went before its answer (nginx's).
    static let clientClosedRequest = HTTPStatus(code: 499, reasonPhrase: "Client Closed Request")

    package init(logger: Logger, metrics: HTTPMetrics) {
        self.logger = logger
        self.metrics = metrics
    }

    package func respond(to request: HTTPRequest, next: any HTTPResponder) async throws -> HTTPResponse {
        let clock = ContinuousClock()
        let start = clock.now
        var response: HTTPResponse
        var failure: (any Error)?
        do {
            response = try await RequestOrigin.$requestID.withValue(request.requestID) {
                try await next.respond(to: request)
            }
        } catch let error as any HTTPResponseError {
            response = error.response
        } catch is CancellationError where Task.isCancelled {
            // The client closed (or half-closed) its connection before the answer: the server
            // cancels the request's task then. Not a server error; a half-closed client still
            // reading gets this status.
            response = HTTPResponse(status: Self.clientClosedRequest)
        } catch let error as StorageError where error.isTemporary {
            // Busy (another process holds the lock), disk full, I/O: nothing was stored, and the
            // client (a browser, a bot, the gateway) is told to retry.
            failure = error
            response =
                HTTPError(
                    .serviceUnavailable, code: "storage_unavailable",
                    message: "The service cannot store this right now; retry shortly.",
                    headers: [("Retry-After", error.kind == .busy ? "1" : "5")]
                ).response
        } catch {
            failure = error
            response =
                HTTPError(.internalServerError, code: "internal_error", message: "The server failed to respond.")
                .response
        }
        let elapsed = clock.now - start
        let seconds = elapsed.inSeconds
        let route = request.routePattern ?? "unmatched"
        metrics.record(method: request.method, route: route, status: response.status.code, seconds: seconds)
        // Most responses are fresh or shared (a prebuilt answer) and have no id yet: adding
        // spares the copy that removing nothing from a shared header list would make.
        if response.headers.contains("X-Request-Id") {
            response.headers.replaceOrAdd(name: "X-Request-Id", value: request.requestID)
        } else {
            response.headers.add(name: "X-Request-Id", value: request.requestID)
        }
        let level: Logger.Level = failure == nil ? .info : response.status == .serviceUnavailable ? .warning : .error
        // Metadata is built only when the line will be written: this runs on every request.
        guard logger.logLevel <= level else { return response }
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "route": .string(route),
            "status": .string(String(response.status.code)),
            "bytes": .string(response.bodyByteCount.map(String.init) ?? "stream"),
            "duration_ms": .string(String(format3: seconds * 1000)), "request_id": .string(request.requestID),
            "remote": .string(request.clientAddress),
        ]
        if let failure { metadata["error"] = "\(failure)" }
        logger.log(level: level, failure == nil ? "request" : "request failed", metadata: metadata)
        return response
    }
}

extension HTTPResponse {
    /// The size of a complete body; nil for a streamed one.
    var bodyByteCount: Int? {
        if case .bytes(let bytes) = body { return bytes.count }
        return nil
    }
}

extension String {
    /// A number with three decimals, without Foundation's formatter.
    init(format3 value: Double) {
        let thousandths = Int((value * 1000).rounded())
        let fraction = String(thousandths % 1000)
        self = "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
