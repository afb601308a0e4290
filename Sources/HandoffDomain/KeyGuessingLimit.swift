package import DatabaseDriver
import Storage

/// How many wrong keys one client address may send per minute before every wrong or missing key
/// from it is refused for the rest of that minute. Counted in the database (`key_failures`), so
/// the limit holds across all the nodes that share it. A right key is never refused: keys are long
/// enough not to be guessed, and a guesser sharing an address must not lock the integration out.
package struct KeyGuessingLimit: Sendable {
    private let database: any Database
    /// Which keys: `api`, `admin` or `metrics` (each has its own count).
    private let scope: String
    private let perMinute: Int
    private let now: @Sendable () -> Int64
    static let window: Int64 = 60_000

    package init(
        database: any Database, scope: String, perMinute: Int = 20,
        now: @escaping @Sendable () -> Int64 = ChatService.currentMilliseconds
    ) {
        self.database = database
        self.scope = scope
        self.perMinute = perMinute
        self.now = now
    }

    /// Seconds until `address` may try again, or nil when it is not locked out.
    package func lockout(of address: String) async throws -> Int? {
        let now = now()
        let current = try await database.read { [scope] in
            try KeyFailureRepository($0).current(scope: scope, address: address, now: now, window: Self.window)
        }
        return current.flatMap { wait(after: $0, now: now) }
    }

    /// Counts a wrong key from `address`; returns the seconds it must now wait, or nil. An address
    /// already locked out is not counted again (nothing is written for it).
    package func countWrongKey(from address: String) async throws -> Int? {
        if let wait = try await lockout(of: address) { return wait }
        let now = now()
        let counted = try await database.write { [scope] in
            try KeyFailureRepository($0).record(scope: scope, address: address, now: now, window: Self.window)
        }
        return wait(after: counted, now: now)
    }

    /// Past `perMinute` wrong keys, the rest of the window (at least a second).
    private func wait(after count: (failures: Int, windowStart: Int64), now: Int64) -> Int? {
        guard count.failures > perMinute else { return nil }
        return max(1, Int((count.windowStart + Self.window - now + 999) / 1000))
    }
}
