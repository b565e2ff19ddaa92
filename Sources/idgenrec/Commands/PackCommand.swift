import ArgumentParser
import Foundation
import IDGenRec
import TensorEngine

/// `idgenrec pack`: a trained run copied for serving and shipping.
struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack", abstract: "Copy a trained run for serving: no optimizer state, weights optionally in half precision.",
        discussion: "The copy keeps the configuration (rewritten in today's form: packing converts a run folder of an earlier version), the record of training catalogues, the log and the checkpoint; it leaves out "
            + "evaluation files, cached zero-shot IDs and the optimizer's moments (so it cannot be resumed). With --half the weights "
            + "are stored as float16, half the bytes; they load back as exactly those values, so evaluate the packed copy.")

    @OptionGroup var runFolder: RunFolderOption
    @Option(help: "Folder for the copy (must not hold a run).", completion: .directory) var out: String
    @Flag(help: "Store the weights in half precision (float16).") var half = false

    func run() throws {
        let target = RunDirectory(URL(fileURLWithPath: out))
        try RunDirectory(URL(fileURLWithPath: runFolder.path)).pack(into: target, weights: half ? .float16 : .float32)
        print("\(out): packed from \(runFolder.path)\(half ? ", weights in float16" : "") (\(Self.megabytes(target.url)) MB)")
    }

    /// The size of a folder's files, in MB with one decimal.
    static func megabytes(_ folder: URL) -> String {
        let files = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.fileSizeKey])?.compactMap { $0 as? URL } ?? []
        let bytes = files.reduce(0) { $0 + ((try? $1.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0) }
        return String(format: "%.1f", Double(bytes) / 1_000_000)
    }
}
