import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file or folder that could not be written; says which and why.
public struct AtomicWriteError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    public var reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "\(path): cannot be written (\(reason))" }
}

/// The package's one way to replace a file or a folder: readers (and a process restarted after a crash or a power
/// cut) see the old version whole or the new one whole, never a mix, never an empty file.
///
/// Writes go to a temporary name beside the target, are flushed to the disk (`fsync` of the file), renamed over
/// the target, and the rename itself is made durable (`fsync` of the folder). A crash before the rename leaves the
/// old version and at worst a stray temporary (`.NAME.UUID.tmp`).
public enum AtomicFile {
    /// The moments of a write where a crash is worth testing.
    public enum Moment: Sendable {
        /// The new version is complete and flushed under its temporary name; the target still holds the old one.
        case beforeRename
        /// A folder's old version has been moved aside and the new one not yet moved in: the target is absent.
        case betweenFolderRenames
    }

    /// Called at each ``Moment`` with the target's URL; tests set it to stand in for a crash there (a hook that
    /// throws, or kills the process). `nil` outside tests.
    nonisolated(unsafe) public static var faultHook: ((Moment, URL) throws -> Void)?

    /// Replaces `url` with `data`, creating its folder if needed.
    public static func write(_ data: Data, to url: URL) throws(AtomicWriteError) {
        let folder = url.deletingLastPathComponent()
        let temporary = temporaryURL(for: url)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try data.write(to: temporary)
            try synchronize(temporary)
            try faultHook?(.beforeRename, url)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error as? AtomicWriteError ?? AtomicWriteError(path: url.path, reason: describe(error))
        }
        do { try rename(temporary, over: url) } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Replaces the folder `url` with one that `fill` writes into `staging`: `url` holds the old folder whole until
    /// the new one is complete and flushed; the old one then waits at `retired` for the moment between the two
    /// renames, and is deleted. A crash in that moment leaves both copies whole, for the owner to restore (see
    /// `RunDirectory.recoverInterruptedSwap`).
    public static func replaceFolder(_ url: URL, staging: URL, retired: URL, fill: (URL) throws -> Void) throws {
        let fileManager = FileManager.default
        try? fileManager.removeItem(at: staging)
        do {
            try fileManager.createDirectory(at: staging, withIntermediateDirectories: true)
            try fill(staging)
            try synchronizeTree(staging)
            try faultHook?(.beforeRename, url)
        } catch {
            try? fileManager.removeItem(at: staging)
            throw error
        }
        try? fileManager.removeItem(at: retired)
        if fileManager.fileExists(atPath: url.path) {
            do { try fileManager.moveItem(at: url, to: retired) } catch {
                throw AtomicWriteError(path: url.path, reason: describe(error))
            }
        }
        try faultHook?(.betweenFolderRenames, url)
        try rename(staging, over: url)
        try? fileManager.removeItem(at: retired)
    }

    /// Flushes a file's (or a folder's entries') bytes to the disk.
    public static func synchronize(_ url: URL) throws(AtomicWriteError) {
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { throw AtomicWriteError(path: url.path, reason: lastError()) }
        defer { close(descriptor) }
        // Some file systems refuse fsync on a folder (EINVAL); the rename is as durable as they allow.
        guard fsync(descriptor) == 0 || errno == EINVAL else { throw AtomicWriteError(path: url.path, reason: lastError()) }
    }

    /// Moves `source` over `target` and makes the move durable; a failed move leaves `source` where it was.
    static func rename(_ source: URL, over target: URL) throws(AtomicWriteError) {
        #if canImport(Glibc)
        let status = Glibc.rename(source.path, target.path)
        #else
        let status = Darwin.rename(source.path, target.path)
        #endif
        guard status == 0 else { throw AtomicWriteError(path: target.path, reason: lastError()) }
        try synchronize(target.deletingLastPathComponent())
    }

    /// Flushes every file and folder under `folder`, the folder itself last.
    static func synchronizeTree(_ folder: URL) throws(AtomicWriteError) {
        let entries = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for entry in entries { try synchronize(entry) }
        try synchronize(folder)
    }

    static func temporaryURL(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }

    private static func describe(_ error: any Error) -> String {
        (error as NSError).localizedFailureReason ?? error.localizedDescription
    }
}
