/// Turns an importer's raw interactions and metadata into a ``Dataset``: groups by user, orders each user's
/// interactions by time (stable on ties: input order decides), applies the missing-metadata and
/// duplicate-interaction policies, and builds the catalogue.
enum DatasetBuilder {
    /// - Parameter metadata: `nil` when the format has no metadata file; items then have no text and are not
    ///   counted as missing.
    static func build(
        log: InteractionLog, metadata: MetadataTable?, options: LoadOptions, report: inout ImportReport
    ) throws(DatasetError) -> Dataset {
        guard log.count > 0 else {
            throw .emptyFile(path: log.path, expected: "at least one interaction")
        }
        let itemCount = log.itemIDs.count

        // 1. Which logged items have a metadata record, and the policy for those that do not.
        var metadataPosition = [Int](repeating: -1, count: itemCount)
        var keepItem = [Bool](repeating: true, count: itemCount)
        if let metadata {
            var missingInteractions = [Int](repeating: 0, count: itemCount)
            for (number, id) in log.itemIDs.enumerated() {
                metadataPosition[number] = metadata.position(of: id) ?? -1
            }
            for item in log.items where metadataPosition[Int(item)] < 0 { missingInteractions[Int(item)] += 1 }
            if let first = (0..<itemCount).filter({ missingInteractions[$0] > 0 }).min(by: { log.itemFirstLine[$0] < log.itemFirstLine[$1] }) {
                let distinct = missingInteractions.filter { $0 > 0 }.count
                let total = missingInteractions.reduce(0, +)
                report.itemsWithMissingMetadata = distinct
                report.interactionsWithMissingMetadata = total
                let example = "\(log.path):\(log.itemFirstLine[first]), item '\(log.itemIDs[first])'"
                switch options.missingMetadata {
                case .reject:
                    throw .itemMissingFromMetadata(path: log.path, line: log.itemFirstLine[first], itemID: log.itemIDs[first], metadataPath: metadata.path)
                case .keep:
                    report.note("items without metadata (kept, no text): \(distinct) items, \(total) interactions; first at \(example)")
                case .drop:
                    for number in 0..<itemCount where missingInteractions[number] > 0 { keepItem[number] = false }
                    report.interactionsDroppedForMissingMetadata = total
                    report.note("items without metadata (interactions dropped): \(distinct) items, \(total) interactions; first at \(example)")
                }
            }
        }

        // 2. Group by user (counting sort keeps input order within a user), then order each user by time.
        let userCount = log.userIDs.count
        var starts = [Int](repeating: 0, count: userCount + 1)
        for user in log.users { starts[Int(user) + 1] += 1 }
        for user in 0..<userCount { starts[user + 1] += starts[user] }
        var order = [Int](repeating: 0, count: log.count)
        var next = starts
        for (row, user) in log.users.enumerated() {
            order[next[Int(user)]] = row
            next[Int(user)] += 1
        }
        log.times.withUnsafeBufferPointer { times in
            for user in 0..<userCount {
                let range = starts[user]..<starts[user + 1]
                let isSorted = range.dropFirst().allSatisfy { times[order[$0 - 1]] <= times[order[$0]] }
                if !isSorted {
                    // Ties go to the earlier row, so equal timestamps keep file order.
                    order[range].sort { (times[$0], $0) < (times[$1], $1) }
                }
            }
        }

        // 3. Duplicates and dropped items, user by user; `lastUserWith` marks items seen for the current user.
        var lastUserWith = [Int32](repeating: -1, count: itemCount)
        var keptRows: [Int] = []
        keptRows.reserveCapacity(log.count)
        var userStarts = [0]
        var keptUsers: [Int32] = []
        var duplicatesRemoved = 0
        var firstDuplicate: (user: Int32, item: Int32)?
        for user in 0..<userCount {
            var rows = order[starts[user]..<starts[user + 1]].filter { keepItem[Int(log.items[$0])] }
            if options.duplicateInteractions != .keepAll {
                if options.duplicateInteractions == .keepLast { rows.reverse() }
                let before = rows.count
                rows = rows.filter { row in
                    let item = log.items[row]
                    if lastUserWith[Int(item)] == Int32(user) {
                        if firstDuplicate == nil { firstDuplicate = (Int32(user), item) }
                        return false
                    }
                    lastUserWith[Int(item)] = Int32(user)
                    return true
                }
                duplicatesRemoved += before - rows.count
                if options.duplicateInteractions == .keepLast { rows.reverse() }
            }
            guard !rows.isEmpty else {
                report.usersWithoutInteractions += 1
                continue
            }
            keptRows.append(contentsOf: rows)
            keptUsers.append(Int32(user))
            userStarts.append(keptRows.count)
        }
        report.duplicateInteractionsRemoved = duplicatesRemoved
        if let firstDuplicate {
            let policy = options.duplicateInteractions.rawValue
            report.note("repeated interactions removed (\(policy)): \(duplicatesRemoved); first: user '\(log.userIDs[Int(firstDuplicate.user)])', item '\(log.itemIDs[Int(firstDuplicate.item)])'")
        }
        guard !keptRows.isEmpty else {
            throw .emptyDataset(reason: "every interaction in \(log.path) was removed by the missing-metadata policy")
        }

        // 4. The catalogue: items with metadata in metadata order, then items without it in order of first use.
        var used = [Bool](repeating: false, count: itemCount)
        for row in keptRows { used[Int(log.items[row])] = true }
        var catalogueIndex = [Int32](repeating: -1, count: itemCount)
        var catalogueItems: [Item] = []
        if let metadata {
            var logNumberAtPosition = [Int](repeating: -1, count: metadata.items.count)
            for number in 0..<itemCount where used[number] && metadataPosition[number] >= 0 {
                logNumberAtPosition[metadataPosition[number]] = number
            }
            for (position, number) in logNumberAtPosition.enumerated() where number >= 0 {
                catalogueIndex[number] = Int32(catalogueItems.count)
                catalogueItems.append(metadata.items[position])
            }
            report.metadataItemsWithoutInteractions += metadata.items.count - catalogueItems.count
        }
        for number in 0..<itemCount where used[number] && catalogueIndex[number] < 0 {
            catalogueIndex[number] = Int32(catalogueItems.count)
            catalogueItems.append(Item(id: log.itemIDs[number]))
        }

        let sequenceItems = keptRows.map { catalogueIndex[Int(log.items[$0])] }
        return try Dataset(
            catalogue: Catalogue(items: catalogueItems),
            userIDs: keptUsers.map { log.userIDs[Int($0)] },
            sequenceItems: sequenceItems,
            sequenceOffsets: userStarts
        )
    }
}
