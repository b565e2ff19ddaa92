import Foundation
import RecData
import Tokenization

/// The catalogue a run recommends from: its items, their IDs, and the look-up from item id to index.
///
/// A run serves its own catalogue (the one it was trained on) or, zero-shot, any other catalogue whose IDs its ID
/// design writes from the items' text (see ``RunSession/zeroShotCatalogue(_:name:progress:)``).
public struct ServedCatalogue: Sendable {
    public let items: [Item]
    public let ids: IDDictionary
    /// Where the catalogue came from, for errors ("the run's catalogue", a dataset folder).
    public let origin: String
    private let indexByItemID: [String: Int]

    /// `ids` must name `items`, in their order.
    public init(items: [Item], ids: IDDictionary, origin: String) throws {
        guard ids.itemIDs.elementsEqual(items.lazy.map(\.id)) else {
            throw IDGenRecError.invalidDictionary("the IDs of \(origin) do not name its items in order")
        }
        self.items = items
        self.ids = ids
        self.origin = origin
        indexByItemID = Dictionary(items.enumerated().map { ($0.element.id, $0.offset) }) { first, _ in first }
    }

    public var count: Int { items.count }

    public func contains(_ itemID: String) -> Bool { indexByItemID[itemID] != nil }

    /// The catalogue index of an item id, nil for an id the catalogue does not have.
    public func index(of itemID: String) -> Int? { indexByItemID[itemID] }

    /// The index of each item id; an id the catalogue lacks is an error naming it and the catalogue.
    public func itemIndices(_ itemIDs: [String]) throws -> [Int32] {
        try itemIDs.map { id in
            guard let index = indexByItemID[id] else {
                throw IDGenRecError.invalidInput("unknown item \"\(id)\": it is not in \(origin)")
            }
            return Int32(index)
        }
    }
}

/// The IDs a run's design wrote for a catalogue it was not trained on, kept in a file inside the run folder
/// (`RUN/zero-shot/NAME-FINGERPRINT.jsonl`) so that they are generated once, never in the run's own dictionary.
///
/// The fingerprint covers every item's id and text, in order (the uniqueness procedure depends on it), and the run's
/// configuration and training state, so a changed catalogue or a retrained run gets its IDs written again; the file
/// it replaces is removed. Two catalogues of one name (`a/kitchen`, `b/kitchen`) take turns in one file.
public struct ZeroShotIDCache {
    public let folder: URL

    public init(run: RunDirectory) { folder = run.url.appendingPathComponent("zero-shot") }

    /// The cached file for a catalogue of this name and fingerprint.
    public func fileURL(name: String, fingerprint: String) -> URL {
        folder.appendingPathComponent("\(Self.safeName(name))-\(fingerprint).jsonl")
    }

    /// The catalogue's IDs: read from the cache when its fingerprint matches, else made by `generate` and stored (a
    /// cached file that no longer reads is written again). Returns whether they came from the cache. A run folder
    /// that cannot be written is served without a cache.
    public func ids(name: String, fingerprint: String, catalogue: Catalogue, tokenizer: any Tokenizer,
                    generate: () throws -> IDDictionary) throws -> (ids: IDDictionary, file: URL?, reused: Bool) {
        let url = fileURL(name: name, fingerprint: fingerprint)
        if FileManager.default.fileExists(atPath: url.path),
           let ids = try? IDDictionary.read(from: url, format: .jsonl, tokenizer: tokenizer, catalogue: catalogue).aligned(to: catalogue, source: url.path) {
            return (ids, url, true)
        }
        let ids = try generate()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try ids.write(to: url, format: .jsonl)
        } catch {
            return (ids, nil, false)
        }
        // Earlier IDs of the same catalogue name describe a catalogue (or a run) that no longer is.
        let stale = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for file in stale where file != url.lastPathComponent && Self.name(ofFile: file) == Self.safeName(name) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(file))
        }
        return (ids, url, false)
    }

    /// 16 hexadecimal digits of FNV-1a over `parts` and every item's id and text fields, in order.
    public static func fingerprint(of catalogue: Catalogue, with parts: [Data]) -> String {
        var hash = FNV1a()
        for part in parts { hash.add(part) }
        hash.add("\(catalogue.count) items")
        for item in catalogue.items {
            hash.add(item.id)
            for field in ItemTextField.standardFields { hash.add(item.text(of: field)) }
            hash.add("\(item.extraFields.count) extra fields")
            for (key, value) in item.extraFields.sorted(by: { $0.key < $1.key }) { hash.add(key); hash.add(value) }
        }
        return String(format: "%016llx", hash.value)
    }

    /// A catalogue name as a file name: letters, digits, `-`, `_` and `.` kept, anything else `_`.
    static func safeName(_ name: String) -> String {
        let kept = String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
        return kept.isEmpty ? "catalogue" : kept
    }

    /// The catalogue name of a cache file (`NAME-FINGERPRINT.jsonl`), nil for any other file.
    static func name(ofFile file: String) -> String? {
        guard file.hasSuffix(".jsonl"), let dash = file.lastIndex(of: "-") else { return nil }
        let fingerprint = file[file.index(after: dash)..<file.index(file.endIndex, offsetBy: -6)]
        guard fingerprint.count == 16, fingerprint.allSatisfy(\.isHexDigit) else { return nil }
        return String(file[..<dash])
    }
}

/// 64-bit FNV-1a; each added string ends with 0xFF, a byte UTF-8 never uses, so that ("ab", "c") and ("a", "bc") differ.
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        value = (value ^ 0xff) &* 0x0000_0100_0000_01b3
    }

    mutating func add(_ text: String) { add(text.utf8) }
}
