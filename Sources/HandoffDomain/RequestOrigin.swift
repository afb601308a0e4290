package import DatabaseDriver

/// The request on whose behalf a task's writes run. The access-log middleware sets it around each
/// handler; `Database` carries it to the writer queue (as its `WriteContext`), so the rows a write
/// adds (outbox work, suppression audits) record it, and the dispatcher logs that work and signs
/// its webhooks under the same id.
package enum RequestOrigin {
    @TaskLocal package static var requestID: String?

    /// For `Database(writeContext:)`: the calling task's request, if it has one.
    @Sendable package static func capture() -> (any WriteContext)? { requestID.map(Context.init) }

    struct Context: WriteContext {
        let requestID: String

        func restore<T>(_ body: () throws -> T) rethrows -> T {
            try RequestOrigin.$requestID.withValue(requestID, operation: body)
        }
    }
}
