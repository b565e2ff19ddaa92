import ArgumentParser
import DurableFiles
import Foundation

/// `train --crash-at checkpoint-swap:N` (hidden; for tests of crash recovery): the process kills itself with SIGKILL at
/// the worst moment of its Nth checkpoint save — the old checkpoint moved aside, the new one not yet in its place.
struct FaultPoint: ExpressibleByArgument {
    let occurrence: Int

    init?(argument: String) {
        guard argument.hasPrefix("checkpoint-swap:"), let count = Int(argument.dropFirst("checkpoint-swap:".count)), count >= 1 else { return nil }
        occurrence = count
    }

    func install() {
        nonisolated(unsafe) var seen = 0
        let occurrence = self.occurrence
        AtomicFile.faultHook = { moment, url in
            guard moment == .betweenFolderRenames, url.lastPathComponent == "checkpoint" else { return }
            seen += 1
            if seen == occurrence { kill(getpid(), SIGKILL) }
        }
    }
}
