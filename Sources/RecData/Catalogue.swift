/// The items of a dataset and the map between each item's id and its dense index.
///
/// Dense indices (`Int32`, from 0) are what sequences, splits and models use; the ids stay for input and output.
public struct Catalogue: Sendable {
    public let items: [Item]
    private let indexByID: [String: Int32]

    /// Builds the index; item ids must be unique.
    public init(items: [Item]) throws(DatasetError) {
        guard items.count < Int(Int32.max) else {
            throw .invalidArgument(name: "catalogue", reason: "more than \(Int32.max) items cannot be indexed")
        }
        var indexByID = [String: Int32](minimumCapacity: items.count)
        for (position, item) in items.enumerated() {
            if let first = indexByID.updateValue(Int32(position), forKey: item.id) {
                throw .invalidArgument(
                    name: "catalogue",
                    reason: "item id '\(item.id)' appears at positions \(first) and \(position); ids must be unique"
                )
            }
        }
        self.items = items
        self.indexByID = indexByID
    }

    public var count: Int { items.count }

    /// The dense index of the item with this id, or `nil` when the catalogue lacks it.
    public func index(of itemID: String) -> Int32? { indexByID[itemID] }

    public subscript(index: Int32) -> Item { items[Int(index)] }

    public subscript(index: Int) -> Item { items[index] }
}
