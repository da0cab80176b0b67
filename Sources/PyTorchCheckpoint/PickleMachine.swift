import TensorCore

/// A pickle interpreter that *describes* a PyTorch state dict instead of executing it.
///
/// It understands the opcodes `torch.save` emits (protocols 2–4) and resolves only the globals a
/// state dict needs (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
/// `_rebuild_parameter`, the `torch.*Storage` types). Any other global — `os.system`,
/// `builtins.eval`, a model class — is refused on sight, so no code from a file ever runs.
struct PickleMachine {
    let path: String
    private var reader: ByteReader
    private var stack: [PickleValue] = []
    private var memo: [Int: PickleValue] = [:]
    /// Arena of lists and dictionaries (insertion-ordered, like `OrderedDict`).
    private(set) var lists: [[PickleValue]] = []
    private(set) var dicts: [[(key: PickleValue, value: PickleValue)]] = []
    /// Deepest tuple nesting accepted; state dicts need 3.
    static let maxDepth = 32

    init(path: String, bytes: UnsafeRawBufferPointer) {
        self.path = path
        reader = ByteReader(bytes)
    }

    /// Runs to STOP and returns the top of the stack.
    mutating func run() throws -> PickleValue {
        while true {
            let at = reader.offset
            let op: UInt8
            do { op = try reader.read(UInt8.self) } catch { throw fail("no STOP opcode before the end", at) }
            do {
                if let result = try step(op, at: at) { return result }
            } catch let e as UnexpectedEndOfData {
                throw fail("truncated (\(e.description))", at)
            }
        }
    }

    private func fail(_ reason: String, _ offset: Int) -> TorchCheckpointError {
        .malformedPickle(path: path, reason: reason, offset: offset)
    }

    private mutating func pop(_ at: Int) throws -> PickleValue {
        guard let v = stack.popLast() else { throw fail("stack underflow", at) }
        if case .mark = v { throw fail("unexpected MARK", at) }
        return v
    }

    /// Pops everything above the last MARK (and the mark).
    private mutating func popToMark(_ at: Int) throws -> [PickleValue] {
        guard let i = stack.lastIndex(where: { if case .mark = $0 { return true } else { return false } }) else {
            throw fail("no MARK on the stack", at)
        }
        let items = Array(stack[(i + 1)...])
        stack.removeSubrange(i...)
        return items
    }

    private mutating func string(_ count: Int) throws -> String {
        String(decoding: try reader.readBytes(count), as: UTF8.self)
    }

    private mutating func line(_ at: Int) throws -> String {
        var bytes: [UInt8] = []
        while true {
            let b = try reader.read(UInt8.self)
            if b == 0x0A { break }
            bytes.append(b)
            if bytes.count > 256 { throw fail("GLOBAL name too long", at) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private func length(_ n: UInt64, _ at: Int) throws -> Int {
        guard n <= UInt64(reader.remaining) else { throw fail("length \(n) runs past the end", at) }
        return Int(n)
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private mutating func step(_ op: UInt8, at: Int) throws -> PickleValue? {
        switch op {
        case 0x80: _ = try reader.read(UInt8.self)                                  // PROTO
        case 0x95: _ = try reader.read(UInt64.self)                                 // FRAME
        case 0x2E: return try pop(at)                                               // STOP
        case 0x28: stack.append(.mark)                                              // MARK
        case 0x7D: stack.append(newDict())                                          // EMPTY_DICT
        case 0x5D: stack.append(newList())                                          // EMPTY_LIST
        case 0x29: stack.append(try tuple([], at))                                  // EMPTY_TUPLE
        case 0x4E: stack.append(.none)                                              // NONE
        case 0x88: stack.append(.bool(true))                                        // NEWTRUE
        case 0x89: stack.append(.bool(false))                                       // NEWFALSE
        case 0x4B: stack.append(.int(Int64(try reader.read(UInt8.self))))          // BININT1
        case 0x4D: stack.append(.int(Int64(try reader.read(UInt16.self))))         // BININT2
        case 0x4A: stack.append(.int(Int64(try reader.read(Int32.self))))          // BININT
        case 0x8A, 0x8B:                                                            // LONG1, LONG4
            let n = op == 0x8A ? Int(try reader.read(UInt8.self)) : try length(UInt64(try reader.read(UInt32.self)), at)
            guard n <= 8 else { throw fail("integer wider than 64 bits", at) }
            let raw = try reader.readBytes(n)
            var value: Int64 = 0
            for (i, b) in raw.enumerated() { value |= Int64(b) << (8 * i) }
            if n > 0, n < 8, raw[n - 1] & 0x80 != 0 { value -= Int64(1) << (8 * n) }
            stack.append(.int(value))
        case 0x47:                                                                  // BINFLOAT (big-endian)
            stack.append(.float(Double(bitPattern: UInt64(bigEndian: try reader.read(UInt64.self).littleEndian))))
        case 0x58: stack.append(.string(try string(try length(UInt64(try reader.read(UInt32.self)), at))))   // BINUNICODE
        case 0x8C: stack.append(.string(try string(Int(try reader.read(UInt8.self)))))                       // SHORT_BINUNICODE
        case 0x8D: stack.append(.string(try string(try length(try reader.read(UInt64.self), at))))           // BINUNICODE8
        case 0x55: stack.append(.string(try string(Int(try reader.read(UInt8.self)))))                       // SHORT_BINSTRING
        case 0x54: stack.append(.string(try string(try length(UInt64(try reader.read(UInt32.self)), at))))   // BINSTRING
        case 0x43: stack.append(.bytes(Array(try reader.readBytes(Int(try reader.read(UInt8.self))))))      // SHORT_BINBYTES
        case 0x42: stack.append(.bytes(Array(try reader.readBytes(try length(UInt64(try reader.read(UInt32.self)), at)))))
        case 0x74: stack.append(try tuple(try popToMark(at), at))                   // TUPLE
        case 0x85: stack.append(try tuple([try pop(at)], at))                       // TUPLE1
        case 0x86: let b = try pop(at), a = try pop(at); stack.append(try tuple([a, b], at))     // TUPLE2
        case 0x87: let c = try pop(at), b = try pop(at), a = try pop(at); stack.append(try tuple([a, b, c], at))
        case 0x6C:                                                                  // LIST
            let items = try popToMark(at)
            let l = newList()
            if case let .list(i) = l { lists[i] = items }
            stack.append(l)
        case 0x64:                                                                  // DICT
            let items = try popToMark(at)
            let d = newDict()
            if case let .dict(i) = d { try setItems(i, items, at) }
            stack.append(d)
        case 0x30: _ = try pop(at)                                                  // POP
        case 0x31: _ = try popToMark(at)                                            // POP_MARK
        case 0x32: let v = try pop(at); stack.append(v); stack.append(v)            // DUP
        case 0x71: memo[Int(try reader.read(UInt8.self))] = try top(at)             // BINPUT
        case 0x72: memo[Int(try reader.read(UInt32.self))] = try top(at)            // LONG_BINPUT
        case 0x94: memo[memo.count] = try top(at)                                   // MEMOIZE
        case 0x68: stack.append(try recall(Int(try reader.read(UInt8.self)), at))  // BINGET
        case 0x6A: stack.append(try recall(Int(try reader.read(UInt32.self)), at)) // LONG_BINGET
        case 0x63:                                                                  // GLOBAL
            let module = try line(at), name = try line(at)
            stack.append(.global(try allow(module, name)))
        case 0x93:                                                                  // STACK_GLOBAL
            guard case let .string(name) = try pop(at), case let .string(module) = try pop(at) else {
                throw fail("STACK_GLOBAL needs two strings", at)
            }
            stack.append(.global(try allow(module, name)))
        case 0x51:                                                                  // BINPERSID
            stack.append(try persistentLoad(try pop(at), at))
        case 0x52:                                                                  // REDUCE
            let args = try pop(at), callable = try pop(at)
            guard case let .global(g) = callable, case let .tuple(a, _) = args else { throw fail("REDUCE needs a global and a tuple", at) }
            let result = try call(g, a, at)
            stack.append(result)
        case 0x81:                                                                  // NEWOBJ
            let args = try pop(at), cls = try pop(at)
            guard case .global(.orderedDict) = cls, case .tuple = args else { throw fail("NEWOBJ of an unsupported class", at) }
            stack.append(newDict())
        case 0x62:                                                                  // BUILD: state of an OrderedDict (_metadata) is ignored
            _ = try pop(at)
            guard case .dict = try top(at) else { throw fail("BUILD on something other than a dict", at) }
        case 0x73:                                                                  // SETITEM
            let v = try pop(at), k = try pop(at)
            guard case let .dict(d) = try top(at) else { throw fail("SETITEM on a non-dict", at) }
            dicts[d].append((k, v))
        case 0x75:                                                                  // SETITEMS
            let items = try popToMark(at)
            guard case let .dict(d) = try top(at) else { throw fail("SETITEMS on a non-dict", at) }
            try setItems(d, items, at)
        case 0x61:                                                                  // APPEND
            let v = try pop(at)
            guard case let .list(l) = try top(at) else { throw fail("APPEND on a non-list", at) }
            lists[l].append(v)
        case 0x65:                                                                  // APPENDS
            let items = try popToMark(at)
            guard case let .list(l) = try top(at) else { throw fail("APPENDS on a non-list", at) }
            lists[l].append(contentsOf: items)
        default:
            throw TorchCheckpointError.unsupportedOpcode(path: path, opcode: op, offset: at)
        }
        return nil
    }

    private func top(_ at: Int) throws -> PickleValue {
        guard let v = stack.last else { throw fail("stack underflow", at) }
        if case .mark = v { throw fail("unexpected MARK", at) }
        return v
    }

    private func recall(_ key: Int, _ at: Int) throws -> PickleValue {
        guard let v = memo[key] else { throw fail("memo key \(key) was never stored", at) }
        return v
    }

    private mutating func setItems(_ d: Int, _ items: [PickleValue], _ at: Int) throws {
        guard items.count % 2 == 0 else { throw fail("odd number of dictionary items", at) }
        for i in stride(from: 0, to: items.count, by: 2) { dicts[d].append((items[i], items[i + 1])) }
    }

    private mutating func newList() -> PickleValue {
        lists.append([])
        return .list(lists.count - 1)
    }

    private mutating func newDict() -> PickleValue {
        dicts.append([])
        return .dict(dicts.count - 1)
    }

    private func tuple(_ items: [PickleValue], _ at: Int) throws -> PickleValue {
        let depth = 1 + (items.map(\.depth).max() ?? 0)
        guard depth <= PickleMachine.maxDepth else { throw fail("tuples nested deeper than \(PickleMachine.maxDepth)", at) }
        return .tuple(items, depth: depth)
    }

    private func allow(_ module: String, _ name: String) throws -> AllowedGlobal {
        guard let g = AllowedGlobal(module: module, name: name) else {
            throw TorchCheckpointError.forbiddenGlobal(path: path, module: module, name: name)
        }
        return g
    }

    /// `('storage', torch.FloatStorage, '0', 'cpu', numel)` → a storage reference.
    private func persistentLoad(_ pid: PickleValue, _ at: Int) throws -> PickleValue {
        guard case let .tuple(t, _) = pid, t.count >= 5, case .string("storage") = t[0],
              case let .global(.storageType(dtype, _)) = t[1], case let .string(key) = t[2],
              case let .int(numel) = t[4], numel >= 0
        else { throw fail("unsupported persistent id (expected ('storage', type, key, location, numel))", at) }
        return .storage(StorageRef(dtype: dtype, key: key, elementCount: numel))
    }

    private mutating func call(_ g: AllowedGlobal, _ args: [PickleValue], _ at: Int) throws -> PickleValue {
        switch g {
        case .orderedDict:
            return newDict()
        case .rebuildParameter:
            guard let first = args.first, case .tensor = first else { throw fail("_rebuild_parameter without a tensor", at) }
            return first
        case .rebuildTensorV2:
            guard args.count >= 4, case let .storage(s) = args[0], case let .int(offset) = args[1],
                  let shape = ints(args[2]), let stride = ints(args[3]), shape.count == stride.count, offset >= 0
            else { throw fail("_rebuild_tensor_v2 arguments are not (storage, offset, size, stride, …)", at) }
            return .tensor(TensorRecord(storage: s, storageOffset: offset, shape: shape, stride: stride))
        case let .storageType(_, name):
            throw TorchCheckpointError.forbiddenGlobal(path: path, module: "torch", name: name)
        }
    }

    private func ints(_ v: PickleValue) -> [Int64]? {
        guard case let .tuple(items, _) = v else { return nil }
        var out: [Int64] = []
        for item in items {
            guard case let .int(i) = item else { return nil }
            out.append(i)
        }
        return out
    }
}
