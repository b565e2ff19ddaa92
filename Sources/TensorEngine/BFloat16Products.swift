#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// bfloat16 matrix products with float32 accumulation, through oneDNN's matmul on CPUs with AVX-512 BF16.
///
/// Like OpenBLAS, oneDNN is opened at run time, so the engine builds and runs without it and only the
/// bfloat16 option needs it (Debian 12: `apt-get install libdnnl2`, oneDNN 2.6; its 2.x C API is the one
/// declared here). Each product rounds its operands to bfloat16 while packing them (`BFloat16Rounding`),
/// and oneDNN multiplies them on its own threads (OpenMP, as many as the engine's), one product at a time.
final class BFloat16Products: @unchecked Sendable {
    /// oneDNN loaded and checked, or why not.
    static let shared: Result<BFloat16Products, BFloat16Error> = Result { () throws(BFloat16Error) in try BFloat16Products() }

    /// Library, version and kernels, e.g. "oneDNN 2.6.3 (brg:avx512_core_bf16), 2 OpenMP threads".
    var description: String {
        lock.lock(); defer { lock.unlock() }
        return "oneDNN \(version) (\(kernels ?? "kernels chosen on first product")), \(Parallel.threadCount) OpenMP threads"
    }

    private let api: OneDNN
    private let engine: OpaquePointer
    private let stream: OpaquePointer
    private let version: String
    private var kernels: String?
    private var primitives: [Shape: Primitive] = [:]
    private var openMPThreads = 0
    private let lock = NSLock()

    /// A product's geometry: everything a compiled oneDNN primitive depends on. `laysOutWeights`: B is
    /// given in the layout the kernels prefer (see `LaidOutWeights`), else as rounded.
    private struct Shape: Hashable {
        let transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, ldc: Int, accumulates: Bool, laysOutWeights: Bool
    }

    /// A compiled primitive and its three memory objects, pointed at each product's buffers in turn.
    private struct Primitive {
        let primitive: OpaquePointer
        let a: OpaquePointer, b: OpaquePointer, c: OpaquePointer
        /// B as rounded (row-major, or its transpose) and, when it lays out weights, as the kernels take it
        /// (owned by `descriptor`, which is kept for it).
        let roundedBDescriptor: UnsafeMutableRawPointer, laidOutBDescriptor: UnsafeRawPointer?
        let descriptor: OpaquePointer
    }

    /// Weights laid out as compiled products read them. It keeps a copy of the product's descriptor, which owns
    /// the layout's description, so that every product wanting the same layout (most shapes of a search) shares it.
    final class LaidOutWeights: @unchecked Sendable {
        let storage: UnsafeMutableRawPointer
        /// The layout, owned by `owner`.
        let layout: UnsafeRawPointer
        private let owner: OpaquePointer
        private let release: (OpaquePointer) -> Void

        fileprivate init(bytes: Int, owner: OpaquePointer, layout: UnsafeRawPointer, release: @escaping (OpaquePointer) -> Void) {
            storage = .allocate(byteCount: max(bytes, 1), alignment: 64)
            self.owner = owner
            self.layout = layout
            self.release = release
        }

        deinit {
            storage.deallocate()
            release(owner)
        }
    }

    /// `rounded` laid out as `primitive` reads its weights: a kept copy in that layout, or one made now with a
    /// oneDNN reorder (the lock is held).
    private func laidOut(_ copies: BFloat16Copies, for primitive: Primitive) throws -> LaidOutWeights {
        guard let target = primitive.laidOutBDescriptor else { throw BFloat16Error.failed("laying out weights for a product that reads them as rounded", -1) }
        if let known = copies.laidOut.first(where: { api.memoryDescriptorEqual($0.layout, target) != 0 }) { return known }
        var owner: OpaquePointer?
        try OneDNN.check(api.primitiveDescriptorClone(&owner, primitive.descriptor), "keeping a weights layout")
        guard let owner, let layout = api.primitiveDescriptorQueryMemory(owner, OneDNN.weightsDescriptorQuery, 0) else {
            throw BFloat16Error.failed("keeping a weights layout", -1)
        }
        let destroy = api.primitiveDescriptorDestroy
        let laidOut = LaidOutWeights(bytes: api.memoryDescriptorGetSize(target), owner: owner, layout: layout) { _ = destroy($0) }
        var reorderDescriptor: OpaquePointer?, reorder: OpaquePointer?, from: OpaquePointer?, to: OpaquePointer?
        try OneDNN.check(api.reorderDescriptorCreate(&reorderDescriptor, primitive.roundedBDescriptor, engine, target, engine, nil), "choosing a weights layout")
        defer { _ = api.primitiveDescriptorDestroy(reorderDescriptor) }
        try OneDNN.check(api.primitiveCreate(&reorder, reorderDescriptor), "compiling a weights layout")
        defer { _ = api.primitiveDestroy(reorder) }
        try OneDNN.check(api.memoryCreate(&to, target, engine, laidOut.storage), "creating memory for laid-out weights")
        defer { _ = api.memoryDestroy(to) }
        try copies.rounded.withUnsafeBytes { rounded in
            try OneDNN.check(api.memoryCreate(&from, primitive.roundedBDescriptor, engine, UnsafeMutableRawPointer(mutating: rounded.baseAddress)),
                             "creating memory for weights")
            defer { _ = api.memoryDestroy(from) }
            try OneDNN.withArguments([(OneDNN.sourceArgument, from!), (OneDNN.destinationArgument, to!)]) { count, arguments in
                try OneDNN.check(api.primitiveExecute(reorder, stream, count, arguments), "laying out weights")
            }
            try OneDNN.check(api.streamWait(stream), "waiting for the weights layout")
        }
        copies.laidOut.append(laidOut)
        return laidOut
    }

    private init() throws(BFloat16Error) {
        api = try OneDNN.load()
        let v = api.version()   // dnnl_version_t: int major, minor, patch; ...
        let major = v.load(as: Int32.self)
        version = "\(major).\(v.load(fromByteOffset: 4, as: Int32.self)).\(v.load(fromByteOffset: 8, as: Int32.self))"
        guard major == 2 else { throw BFloat16Error.unsupportedVersion(version) }
        let isa = api.effectiveCPUISA()
        guard isa & OneDNN.avx512CoreBF16 == OneDNN.avx512CoreBF16 else { throw BFloat16Error.noBF16Instructions }
        var engine: OpaquePointer?, stream: OpaquePointer?
        try OneDNN.check(api.engineCreate(&engine, OneDNN.cpuEngine, 0), "creating the CPU engine")
        try OneDNN.check(api.streamCreate(&stream, engine, OneDNN.defaultStreamFlags), "creating a stream")
        self.engine = engine!
        self.stream = stream!
    }

    /// C = op(A) op(B) (beta 0) or C += op(A) op(B) (beta 1), row-major, as `BLAS.gemm` reads its arguments.
    /// `weights`, when given, holds B's values whole (ldb its row length): its rounded copy is reused, and
    /// while gradients are not recorded (a search), so is a copy laid out as the product prefers, which
    /// spares oneDNN re-laying B out on every call.
    func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int, roundedA: [UInt16]?, b: UnsafePointer<Float>, ldb: Int, roundedB: [UInt16]?, weights: Tensor?,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(beta == 0 || beta == 1, "bfloat16 products take beta 0 or 1, got \(beta)")
        precondition(weights == nil || (weights!.count == k * n && ldb == (transposeB ? k : n)), "bfloat16 product: B is not its weights tensor")
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if beta == 0 { for row in 0..<m { (c + row * ldc).update(repeating: 0, count: n) } }
            return
        }
        // Operands as stored (op(A) is A or Aᵀ), packed without their leading dimensions: rounded here, or given
        // rounded by a caller that feeds them to several products; B from its weights' copies.
        precondition(roundedA == nil || roundedA!.count == m * k, "bfloat16 product: A's rounded copy is not A")
        precondition(roundedB == nil || roundedB!.count == k * n, "bfloat16 product: B's rounded copy is not B")
        let packedA = roundedA ?? BFloat16Rounding.pack(rows: transposeA ? k : m, columns: transposeA ? m : k, from: a, stride: lda)
        let copies: BFloat16Copies? = weights.map { w in Tensor.bfloat16Lock.withLock { w.bfloat16 } }
        let packedB = copies?.rounded ?? roundedB ?? BFloat16Rounding.pack(rows: transposeB ? n : k, columns: transposeB ? k : n, from: b, stride: ldb)
        let shape = Shape(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, ldc: ldc, accumulates: beta == 1,
                          laysOutWeights: copies != nil && !GradientMode.isRecording)
        lock.lock(); defer { lock.unlock() }
        do {
            if openMPThreads != Parallel.threadCount {
                openMPThreads = Parallel.threadCount
                api.setOpenMPThreads?(Int32(openMPThreads))
            }
            let primitive = try self.primitive(for: shape)
            var laidOut: LaidOutWeights?
            if shape.laysOutWeights, let copies {
                laidOut = try Tensor.bfloat16Lock.withLock { try self.laidOut(copies, for: primitive) }
            }
            // Read only: a mutable view of a shared rounded copy would copy it on every call.
            try packedA.withUnsafeBytes { pa in
                try packedB.withUnsafeBytes { pb in
                    try OneDNN.check(api.memorySetDataHandle(primitive.a, UnsafeMutableRawPointer(mutating: pa.baseAddress)), "binding A")
                    try OneDNN.check(api.memorySetDataHandle(primitive.b, laidOut?.storage ?? UnsafeMutableRawPointer(mutating: pb.baseAddress)), "binding B")
                    try OneDNN.check(api.memorySetDataHandle(primitive.c, UnsafeMutableRawPointer(c)), "binding C")
                    try OneDNN.withArguments([(OneDNN.sourceArgument, primitive.a), (OneDNN.weightsArgument, primitive.b),
                                              (OneDNN.destinationArgument, primitive.c)]) { count, arguments in
                        try OneDNN.check(api.primitiveExecute(primitive.primitive, stream, count, arguments), "running the product")
                    }
                    try OneDNN.check(api.streamWait(stream), "waiting for the product")
                }
            }
        } catch {
            // Every input was checked by the caller; a failure here is oneDNN's, and no result exists to return.
            fatalError("bfloat16 product \(m)x\(k)x\(n): \(error)")
        }
    }

    /// The compiled product for `shape`, made on first use (the lock is held).
    private func primitive(for shape: Shape) throws -> Primitive {
        if let known = primitives[shape] { return known }
        // Searches and evaluations meet many row counts; past a few hundred shapes, start the cache afresh.
        if primitives.count >= OneDNN.keptPrimitives { forgetPrimitives() }
        let (m, n, k) = (Int64(shape.m), Int64(shape.n), Int64(shape.k))
        // Packed operands: A is (m, k) or, transposed, stored (k, m); B is (k, n) or stored (n, k).
        let aDescriptor = try describe([m, k], strides: shape.transposeA ? [1, m] : [k, 1], type: OneDNN.bfloat16)
        let bDescriptor = try describe([k, n], strides: shape.transposeB ? [1, k] : [n, 1], type: OneDNN.bfloat16)
        let cDescriptor = try describe([m, n], strides: [Int64(shape.ldc), 1], type: OneDNN.float32)
        defer { [aDescriptor, cDescriptor].forEach { $0.deallocate() } }   // B's is kept: weights are laid out from it
        let anyLayout = UnsafeMutableRawPointer.allocate(byteCount: OneDNN.memoryDescriptorBytes, alignment: 64)
        defer { anyLayout.deallocate() }
        try OneDNN.check(api.memoryDescriptorInitByTag(anyLayout, 2, [k, n] + [Int64](repeating: 0, count: OneDNN.maxDimensions - 2),
                                                       OneDNN.bfloat16, OneDNN.anyLayout), "describing laid-out weights")
        let operation = UnsafeMutableRawPointer.allocate(byteCount: OneDNN.operationDescriptorBytes, alignment: 64)
        defer { operation.deallocate() }
        try OneDNN.check(api.matmulDescriptorInit(operation, aDescriptor, shape.laysOutWeights ? anyLayout : bDescriptor, nil, cDescriptor),
                         "describing the product")

        var attributes: OpaquePointer?
        try OneDNN.check(api.attributesCreate(&attributes), "creating attributes")
        defer { _ = api.attributesDestroy(attributes) }
        if shape.accumulates {
            var postOperations: OpaquePointer?
            try OneDNN.check(api.postOperationsCreate(&postOperations), "creating post-ops")
            defer { _ = api.postOperationsDestroy(postOperations) }
            try OneDNN.check(api.postOperationsAppendSum(postOperations, 1), "accumulating into C")
            try OneDNN.check(api.attributesSetPostOperations(attributes, postOperations), "setting post-ops")
        }
        var descriptor: OpaquePointer?
        try OneDNN.check(api.primitiveDescriptorCreate(&descriptor, operation, attributes, engine, nil), "choosing kernels")
        let laidOutB = shape.laysOutWeights ? api.primitiveDescriptorQueryMemory(descriptor, OneDNN.weightsDescriptorQuery, 0) : nil
        if kernels == nil {
            var name: UnsafePointer<CChar>?
            if api.primitiveDescriptorQuery(descriptor, OneDNN.implementationQuery, 0, &name) == OneDNN.success, let name {
                kernels = String(cString: name)
            }
        }
        var primitive: OpaquePointer?
        try OneDNN.check(api.primitiveCreate(&primitive, descriptor), "compiling the product")
        var a: OpaquePointer?, b: OpaquePointer?, c: OpaquePointer?
        try OneDNN.check(api.memoryCreate(&a, aDescriptor, engine, nil), "creating memory for A")
        try OneDNN.check(api.memoryCreate(&b, laidOutB ?? UnsafeRawPointer(bDescriptor), engine, nil), "creating memory for B")
        try OneDNN.check(api.memoryCreate(&c, cDescriptor, engine, nil), "creating memory for C")
        let made = Primitive(primitive: primitive!, a: a!, b: b!, c: c!,
                             roundedBDescriptor: bDescriptor, laidOutBDescriptor: laidOutB, descriptor: descriptor!)
        primitives[shape] = made
        return made
    }

    /// Destroys every compiled product (the lock is held). Laid-out weights keep their own descriptors.
    private func forgetPrimitives() {
        for made in primitives.values {
            _ = api.primitiveDestroy(made.primitive)
            [made.a, made.b, made.c].forEach { _ = api.memoryDestroy($0) }
            _ = api.primitiveDescriptorDestroy(made.descriptor)
            made.roundedBDescriptor.deallocate()
        }
        primitives = [:]
    }

    /// A 2-D memory descriptor in a buffer the caller frees.
    private func describe(_ dimensions: [Int64], strides: [Int64], type: Int32) throws -> UnsafeMutableRawPointer {
        let descriptor = UnsafeMutableRawPointer.allocate(byteCount: OneDNN.memoryDescriptorBytes, alignment: 64)
        let padded = { (values: [Int64]) in values + [Int64](repeating: 0, count: OneDNN.maxDimensions - values.count) }
        try OneDNN.check(api.memoryDescriptorInitByStrides(descriptor, Int32(dimensions.count), padded(dimensions), type, padded(strides)),
                         "describing a \(dimensions) operand")
        return descriptor
    }
}

/// Why bfloat16 products are unavailable.
public enum BFloat16Error: Error, CustomStringConvertible {
    case notFound([String])
    case missingSymbol(String)
    case unsupportedVersion(String)
    case noBF16Instructions
    case failed(String, Int32)

    public var description: String {
        switch self {
        case .notFound(let names):
            return "bfloat16 products need oneDNN 2.x (tried \(names.joined(separator: ", "))): install it (Debian 12: apt-get install libdnnl2), or use float32"
        case .missingSymbol(let symbol):
            return "the oneDNN found has no \(symbol): bfloat16 products need oneDNN 2.x (Debian 12: libdnnl2), or use float32"
        case .unsupportedVersion(let version):
            return "oneDNN \(version) found; bfloat16 products speak oneDNN 2.x's C API (Debian 12: libdnnl2), or use float32"
        case .noBF16Instructions:
            return "this CPU has no AVX-512 BF16 instructions: bfloat16 products would be emulated, slower than float32; use float32"
        case .failed(let what, let status):
            return "oneDNN failed \(what) (status \(status))"
        }
    }
}

/// The slice of oneDNN 2.x's C API the bfloat16 products use, looked up at run time.
private struct OneDNN {
    typealias Status = Int32
    typealias Handle = UnsafeMutablePointer<OpaquePointer?>

    static let success: Status = 0
    static let cpuEngine: Int32 = 1                 // dnnl_cpu
    static let defaultStreamFlags: UInt32 = 0x1     // dnnl_stream_default_flags (in order)
    static let float32: Int32 = 3, bfloat16: Int32 = 2
    static let sourceArgument: Int32 = 1, weightsArgument: Int32 = 33, destinationArgument: Int32 = 17
    static let implementationQuery: Int32 = 8       // dnnl_query_impl_info_str
    static let weightsDescriptorQuery: Int32 = 131  // dnnl_query_weights_md
    static let anyLayout: Int32 = 1                 // dnnl_format_tag_any
    /// Compiled products kept before the cache starts afresh.
    static let keptPrimitives = 256
    static let avx512CoreBF16: Int32 = 0xe7         // dnnl_cpu_isa_avx512_core_bf16, a superset of the ISAs below it
    static let maxDimensions = 12                   // DNNL_MAX_NDIMS
    // Caller-allocated descriptors: 696 and 2,800 bytes in oneDNN 2.6; room to spare for any 2.x.
    static let memoryDescriptorBytes = 4096
    static let operationDescriptorBytes = 16384

    let version: @convention(c) () -> UnsafeRawPointer
    let effectiveCPUISA: @convention(c) () -> Int32
    let engineCreate: @convention(c) (Handle, Int32, Int) -> Status
    let streamCreate: @convention(c) (Handle, OpaquePointer?, UInt32) -> Status
    let memoryDescriptorInitByStrides: @convention(c) (UnsafeMutableRawPointer, Int32, UnsafePointer<Int64>, Int32, UnsafePointer<Int64>) -> Status
    let memoryDescriptorInitByTag: @convention(c) (UnsafeMutableRawPointer, Int32, UnsafePointer<Int64>, Int32, Int32) -> Status
    let memoryDescriptorGetSize: @convention(c) (UnsafeRawPointer) -> Int
    let matmulDescriptorInit: @convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer?, UnsafeRawPointer) -> Status
    let attributesCreate: @convention(c) (Handle) -> Status
    let attributesDestroy: @convention(c) (OpaquePointer?) -> Status
    let postOperationsCreate: @convention(c) (Handle) -> Status
    let postOperationsDestroy: @convention(c) (OpaquePointer?) -> Status
    let postOperationsAppendSum: @convention(c) (OpaquePointer?, Float) -> Status
    let attributesSetPostOperations: @convention(c) (OpaquePointer?, OpaquePointer?) -> Status
    let primitiveDescriptorCreate: @convention(c) (Handle, UnsafeRawPointer, OpaquePointer?, OpaquePointer?, OpaquePointer?) -> Status
    let primitiveDescriptorDestroy: @convention(c) (OpaquePointer?) -> Status
    let primitiveDescriptorQuery: @convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Status
    let primitiveDescriptorQueryMemory: @convention(c) (OpaquePointer?, Int32, Int32) -> UnsafeRawPointer?
    let reorderDescriptorCreate: @convention(c) (Handle, UnsafeRawPointer, OpaquePointer?, UnsafeRawPointer, OpaquePointer?, OpaquePointer?) -> Status
    let primitiveDescriptorClone: @convention(c) (Handle, OpaquePointer?) -> Status
    let memoryDescriptorEqual: @convention(c) (UnsafeRawPointer, UnsafeRawPointer) -> Int32
    let primitiveDestroy: @convention(c) (OpaquePointer?) -> Status
    let memoryDestroy: @convention(c) (OpaquePointer?) -> Status
    let primitiveCreate: @convention(c) (Handle, OpaquePointer?) -> Status
    let memoryCreate: @convention(c) (Handle, UnsafeRawPointer, OpaquePointer?, UnsafeMutableRawPointer?) -> Status
    let memorySetDataHandle: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Status
    let primitiveExecute: @convention(c) (OpaquePointer?, OpaquePointer?, Int32, UnsafeRawPointer) -> Status
    let streamWait: @convention(c) (OpaquePointer?) -> Status
    /// OpenMP's thread count, through the runtime oneDNN brought in (absent if it uses another).
    let setOpenMPThreads: (@convention(c) (Int32) -> Void)?

    /// Lays `arguments` out as an array of `dnnl_exec_arg_t` (an int role, then the memory's pointer).
    static func withArguments(_ arguments: [(Int32, OpaquePointer)], _ body: (Int32, UnsafeRawPointer) throws -> Void) rethrows {
        let stride = MemoryLayout<Int>.size * 2
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: stride * arguments.count, alignment: 8)
        defer { buffer.deallocate() }
        for (index, (role, memory)) in arguments.enumerated() {
            buffer.storeBytes(of: role, toByteOffset: index * stride, as: Int32.self)
            buffer.storeBytes(of: memory, toByteOffset: index * stride + MemoryLayout<Int>.size, as: OpaquePointer.self)
        }
        try body(Int32(arguments.count), buffer)
    }

    static func check(_ status: Status, _ what: String) throws(BFloat16Error) {
        if status != success { throw BFloat16Error.failed(what, status) }
    }

    static func load() throws(BFloat16Error) -> OneDNN {
        #if canImport(Glibc)
        let candidates = ["libdnnl.so.2", "libdnnl.so"]
        #else
        let candidates = ["libdnnl.2.dylib", "libdnnl.dylib"]
        #endif
        // The engine's own loops share oneDNN's OpenMP threads; the runtime is loaded (and its spinning set) first.
        _ = OpenMPTeam.runtime
        guard let handle = candidates.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            throw BFloat16Error.notFound(candidates)
        }
        func symbol<F>(_ name: String, as type: F.Type) throws(BFloat16Error) -> F {
            guard let address = dlsym(handle, name) else { throw BFloat16Error.missingSymbol(name) }
            return unsafeBitCast(address, to: type)
        }
        let openMP = dlsym(handle, "omp_set_num_threads")   // a handle's lookup covers the libraries it brought in
        return OneDNN(
            version: try symbol("dnnl_version", as: (@convention(c) () -> UnsafeRawPointer).self),
            effectiveCPUISA: try symbol("dnnl_get_effective_cpu_isa", as: (@convention(c) () -> Int32).self),
            engineCreate: try symbol("dnnl_engine_create", as: (@convention(c) (Handle, Int32, Int) -> Status).self),
            streamCreate: try symbol("dnnl_stream_create", as: (@convention(c) (Handle, OpaquePointer?, UInt32) -> Status).self),
            memoryDescriptorInitByStrides: try symbol("dnnl_memory_desc_init_by_strides", as: (@convention(c) (UnsafeMutableRawPointer, Int32, UnsafePointer<Int64>, Int32, UnsafePointer<Int64>) -> Status).self),
            memoryDescriptorInitByTag: try symbol("dnnl_memory_desc_init_by_tag", as: (@convention(c) (UnsafeMutableRawPointer, Int32, UnsafePointer<Int64>, Int32, Int32) -> Status).self),
            memoryDescriptorGetSize: try symbol("dnnl_memory_desc_get_size", as: (@convention(c) (UnsafeRawPointer) -> Int).self),
            matmulDescriptorInit: try symbol("dnnl_matmul_desc_init", as: (@convention(c) (UnsafeMutableRawPointer, UnsafeRawPointer, UnsafeRawPointer, UnsafeRawPointer?, UnsafeRawPointer) -> Status).self),
            attributesCreate: try symbol("dnnl_primitive_attr_create", as: (@convention(c) (Handle) -> Status).self),
            attributesDestroy: try symbol("dnnl_primitive_attr_destroy", as: (@convention(c) (OpaquePointer?) -> Status).self),
            postOperationsCreate: try symbol("dnnl_post_ops_create", as: (@convention(c) (Handle) -> Status).self),
            postOperationsDestroy: try symbol("dnnl_post_ops_destroy", as: (@convention(c) (OpaquePointer?) -> Status).self),
            postOperationsAppendSum: try symbol("dnnl_post_ops_append_sum", as: (@convention(c) (OpaquePointer?, Float) -> Status).self),
            attributesSetPostOperations: try symbol("dnnl_primitive_attr_set_post_ops", as: (@convention(c) (OpaquePointer?, OpaquePointer?) -> Status).self),
            primitiveDescriptorCreate: try symbol("dnnl_primitive_desc_create", as: (@convention(c) (Handle, UnsafeRawPointer, OpaquePointer?, OpaquePointer?, OpaquePointer?) -> Status).self),
            primitiveDescriptorDestroy: try symbol("dnnl_primitive_desc_destroy", as: (@convention(c) (OpaquePointer?) -> Status).self),
            primitiveDescriptorQuery: try symbol("dnnl_primitive_desc_query", as: (@convention(c) (OpaquePointer?, Int32, Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>) -> Status).self),
            primitiveDescriptorQueryMemory: try symbol("dnnl_primitive_desc_query_md", as: (@convention(c) (OpaquePointer?, Int32, Int32) -> UnsafeRawPointer?).self),
            reorderDescriptorCreate: try symbol("dnnl_reorder_primitive_desc_create", as: (@convention(c) (Handle, UnsafeRawPointer, OpaquePointer?, UnsafeRawPointer, OpaquePointer?, OpaquePointer?) -> Status).self),
            primitiveDescriptorClone: try symbol("dnnl_primitive_desc_clone", as: (@convention(c) (Handle, OpaquePointer?) -> Status).self),
            memoryDescriptorEqual: try symbol("dnnl_memory_desc_equal", as: (@convention(c) (UnsafeRawPointer, UnsafeRawPointer) -> Int32).self),
            primitiveDestroy: try symbol("dnnl_primitive_destroy", as: (@convention(c) (OpaquePointer?) -> Status).self),
            memoryDestroy: try symbol("dnnl_memory_destroy", as: (@convention(c) (OpaquePointer?) -> Status).self),
            primitiveCreate: try symbol("dnnl_primitive_create", as: (@convention(c) (Handle, OpaquePointer?) -> Status).self),
            memoryCreate: try symbol("dnnl_memory_create", as: (@convention(c) (Handle, UnsafeRawPointer, OpaquePointer?, UnsafeMutableRawPointer?) -> Status).self),
            memorySetDataHandle: try symbol("dnnl_memory_set_data_handle", as: (@convention(c) (OpaquePointer?, UnsafeMutableRawPointer?) -> Status).self),
            primitiveExecute: try symbol("dnnl_primitive_execute", as: (@convention(c) (OpaquePointer?, OpaquePointer?, Int32, UnsafeRawPointer) -> Status).self),
            streamWait: try symbol("dnnl_stream_wait", as: (@convention(c) (OpaquePointer?) -> Status).self),
            setOpenMPThreads: openMP.map { unsafeBitCast($0, to: (@convention(c) (Int32) -> Void).self) }
        )
    }
}
