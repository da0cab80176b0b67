#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Errors raised while opening or slicing a memory-mapped file.
public enum MappedFileError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, errno: Int32)
    case cannotMap(path: String, errno: Int32)
    case outOfBounds(path: String, offset: UInt64, length: UInt64, fileSize: UInt64)

    public var description: String {
        switch self {
        case let .cannotOpen(path, code):
            return "cannot open \(path): \(String(cString: strerror(code)))"
        case let .cannotMap(path, code):
            return "cannot memory-map \(path): \(String(cString: strerror(code)))"
        case let .outOfBounds(path, offset, length, size):
            return "\(path): range \(offset)..<\(offset &+ length) lies outside the file (\(size) bytes); the file is truncated or corrupt"
        }
    }
}

/// A read-only memory map of a whole file. Every slice is bounds-checked against the file size,
/// so a hostile header can make us throw but never read out of bounds.
///
/// The mapping lives as long as the object; views handed out must not outlive it.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let size: UInt64
    private let base: UnsafeRawPointer?

    /// Maps `path` read-only. An empty file is valid and has no bytes.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MappedFileError.cannotOpen(path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw MappedFileError.cannotOpen(path: path, errno: errno) }
        size = UInt64(st.st_size)
        if size == 0 {
            base = nil
            return
        }
        let p = mmap(nil, Int(size), PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw MappedFileError.cannotMap(path: path, errno: errno) }
        base = UnsafeRawPointer(p)
    }

    /// An anonymous read-only mapping holding a copy of `bytes`, named `name` in messages: lets
    /// file readers run on data that never was a file (fuzzing, tests).
    public init(copying bytes: UnsafeRawBufferPointer, name: String) throws {
        path = name
        size = UInt64(bytes.count)
        guard bytes.count > 0 else {
            base = nil
            return
        }
        let p = mmap(nil, bytes.count, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let p, p != MAP_FAILED else { throw MappedFileError.cannotMap(path: name, errno: errno) }
        p.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        mprotect(p, bytes.count, PROT_READ)
        base = UnsafeRawPointer(p)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), Int(size)) }
    }

    /// The bytes `[offset, offset + length)`, or `outOfBounds` if any part lies past the end.
    public func bytes(at offset: UInt64, count length: UInt64) throws -> UnsafeRawBufferPointer {
        let (end, overflow) = offset.addingReportingOverflow(length)
        guard !overflow, end <= size else {
            throw MappedFileError.outOfBounds(path: path, offset: offset, length: length, fileSize: size)
        }
        guard let base, length > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + Int(offset), count: Int(length))
    }

    /// All bytes of the file.
    public var allBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base, count: base == nil ? 0 : Int(size))
    }

    /// Access pattern hints for the kernel.
    /// Access pattern hints for the kernel. `populate` maps a range in one call
    /// (`MADV_POPULATE_READ`, Linux ≥ 5.14; ignored elsewhere) instead of a fault per page.
    public enum Advice { case sequential, willNeed, dontNeed, populate }

    /// Advises the kernel about a byte range. `dontNeed` drops pages already consumed, which keeps
    /// the resident set (as `/usr/bin/time` counts it) flat while streaming a file larger than memory.
    public func advise(_ advice: Advice, offset: UInt64 = 0, count: UInt64? = nil) {
        guard let base, offset < size else { return }
        let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))
        let start = offset / pageSize * pageSize
        let end = min(size, offset + (count ?? size - offset))
        guard end > start else { return }
        let flag: Int32
        switch advice {
        case .sequential: flag = MADV_SEQUENTIAL
        case .willNeed: flag = MADV_WILLNEED
        case .dontNeed: flag = MADV_DONTNEED
        case .populate: flag = 22 // MADV_POPULATE_READ
        }
        madvise(UnsafeMutableRawPointer(mutating: base + Int(start)), Int(end - start), flag)
    }
}
