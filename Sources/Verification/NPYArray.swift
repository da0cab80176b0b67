import Foundation
import TensorCore

/// A float32 array in NumPy's `.npy` format (version 1.0, little-endian `<f4`, C order), so other
/// implementations (numpy, transformers, llama.cpp dumps) can be compared with hubkit directly.
public struct NPYArray: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    /// The file contents: magic, version 1.0, a header dict padded with spaces to a 64-byte boundary.
    public func serialized() -> [UInt8] {
        let dims = shape.count == 1 ? "\(shape[0])," : shape.map(String.init).joined(separator: ", ")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(dims)), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var w = ByteWriter(reservingCapacity: 10 + header.utf8.count + 4 * values.count)
        w.write(bytes: [0x93] + Array("NUMPY".utf8) + [1, 0])
        w.write(UInt16(header.utf8.count))
        w.write(bytes: Array(header.utf8))
        for v in values { w.write(v) }
        return w.bytes
    }

    /// Writes atomically (temporary name, then rename).
    public func write(to path: String) throws {
        let out = try AtomicOutputFile(destination: path, overwrite: true)
        try out.handle.write(contentsOf: serialized())
        try out.commit()
    }

    /// Reads a `<f4` C-order array (versions 1.0–3.0).
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw VerificationError.io(path: path, reason: "cannot read") }
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw VerificationError.io(path: path, reason: "not a .npy file")
        }
        let major = bytes[6]
        var headerLength: Int, start: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        } else {
            guard bytes.count >= 12 else { throw VerificationError.io(path: path, reason: "truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        }
        guard start + headerLength <= bytes.count else { throw VerificationError.io(path: path, reason: "truncated .npy header") }
        let header = String(decoding: bytes[start..<(start + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw VerificationError.io(path: path, reason: "only little-endian float32 C-order arrays are supported (header \(header))")
        }
        let dims = header[open.upperBound..<close].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        var count = 1
        for d in dims {
            let (m, overflow) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow, m <= bytes.count else { throw VerificationError.io(path: path, reason: "absurd shape \(dims)") }
            count = m
        }
        let dataStart = start + headerLength
        guard bytes.count - dataStart == 4 * count else {
            throw VerificationError.io(path: path, reason: "holds \(bytes.count - dataStart) data bytes, shape \(dims) needs \(4 * count)")
        }
        shape = dims
        values = (0..<count).map { i in
            let o = dataStart + 4 * i
            return Float(bitPattern: UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24)
        }
    }
}
