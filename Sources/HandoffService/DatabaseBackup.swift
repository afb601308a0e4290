import Foundation
import Storage

/// `handoff backup FILE`: a consistent copy of the database while the daemon keeps serving.
public enum DatabaseBackup {
    /// Writes the backup to `path` (which must not exist yet) and checks it opens and is migrated.
    public static func run(_ configuration: Configuration, to path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw HandoffServiceError(code: "backup_exists", message: "\(path) already exists; choose a new file")
        }
        let source = try Connection(path: configuration.databasePath)
        try source.backup(to: path)
        let copy = try Connection(path: path, readOnly: true)
        let migrator = try Migrator(directory: configuration.migrationsDirectory)
        guard migrator.isUpToDate(copy) else {
            throw HandoffServiceError(code: "backup_incomplete", message: "the backup at \(path) is not fully migrated")
        }
    }
}
