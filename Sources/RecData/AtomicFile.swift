import Foundation

/// Writes a file so that readers see either the old content or the complete new one, never a half-written file:
/// the bytes go to a temporary file in the same folder, which is then renamed over the target.
enum AtomicFile {
    static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(at: temporary)
                throw DatasetError.unwritable(path: path, reason: reason)
            }
        } catch let error as DatasetError {
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw DatasetError.unwritable(path: path, reason: error.localizedDescription)
        }
    }
}
