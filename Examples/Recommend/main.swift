// Opens a trained run and prints the next items for a history, through the library rather than the CLI.
//
//   swift run -c release recommend-example RUN_DIR ITEM_ID [ITEM_ID ...]
import Foundation
import IDGenRec

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    print("usage: recommend-example RUN_DIR ITEM_ID [ITEM_ID ...]")
    exit(2)
}
do {
    let session = try RunSession(run: RunDirectory(URL(fileURLWithPath: arguments[1])))
    let history = Array(arguments.dropFirst(2))
    for id in history {
        print("had   \(id)  [\(session.ids.textualIDs[Int(try session.itemIndices([id])[0])])]")
    }
    for recommendation in try session.recommend(history: history, count: 10, beams: 20) {
        let item = session.items[recommendation.item]
        print(String(format: "%.3f  %@  [%@]  %@", recommendation.score, item.id, session.ids.textualIDs[recommendation.item],
                     item.title ?? item.keywords ?? ""))
    }
} catch {
    print("error: \(error)")
    exit(1)
}
