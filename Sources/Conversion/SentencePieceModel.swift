/// The pieces of a SentencePiece `tokenizer.model` (protobuf `ModelProto`): field 1 holds repeated
/// `SentencePiece { 1: piece (string), 2: score (float), 3: type (enum, default NORMAL = 1) }`.
/// Piece types equal GGUF token types (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
/// 6 byte). Other fields are skipped. Every read is bounds-checked.
public struct SentencePieceModel: Sendable {
    public struct Piece: Sendable, Equatable {
        public let piece: String
        public let score: Float
        public let type: Int32
    }

    public let pieces: [Piece]

    struct Malformed: Error { let offset: Int }

    public init(bytes: [UInt8]) throws {
        var pieces: [Piece] = []
        var i = 0
        while i < bytes.count {
            let (field, wire) = try Self.tag(bytes, &i)
            if field == 1, wire == 2 {
                let len = try Self.length(bytes, &i)
                pieces.append(try Self.piece(Array(bytes[i..<(i + len)])))
                i += len
            } else {
                try Self.skip(bytes, &i, wire: wire)
            }
        }
        self.pieces = pieces
    }

    static func piece(_ b: [UInt8]) throws -> Piece {
        var text = "", score: Float = 0, type: Int32 = 1
        var i = 0
        while i < b.count {
            let (field, wire) = try tag(b, &i)
            switch (field, wire) {
            case (1, 2):
                let len = try length(b, &i)
                guard let s = String(validating: b[i..<(i + len)], as: UTF8.self) else { throw Malformed(offset: i) }
                text = s
                i += len
            case (2, 5):
                guard i + 4 <= b.count else { throw Malformed(offset: i) }
                score = Float(bitPattern: UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24)
                i += 4
            case (3, 0):
                type = Int32(truncatingIfNeeded: try varint(b, &i))
            default:
                try skip(b, &i, wire: wire)
            }
        }
        return Piece(piece: text, score: score, type: type)
    }

    static func varint(_ b: [UInt8], _ i: inout Int) throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard i < b.count, shift < 64 else { throw Malformed(offset: i) }
            let c = b[i]
            i += 1
            v |= UInt64(c & 0x7F) << shift
            if c & 0x80 == 0 { return v }
            shift += 7
        }
    }

    static func tag(_ b: [UInt8], _ i: inout Int) throws -> (UInt64, UInt64) {
        let t = try varint(b, &i)
        return (t >> 3, t & 7)
    }

    static func length(_ b: [UInt8], _ i: inout Int) throws -> Int {
        let n = try varint(b, &i)
        guard n <= UInt64(b.count - i) else { throw Malformed(offset: i) }
        return Int(n)
    }

    static func skip(_ b: [UInt8], _ i: inout Int, wire: UInt64) throws {
        switch wire {
        case 0: _ = try varint(b, &i)
        case 1: guard i + 8 <= b.count else { throw Malformed(offset: i) }; i += 8
        case 2: i += try length(b, &i)
        case 5: guard i + 4 <= b.count else { throw Malformed(offset: i) }; i += 4
        default: throw Malformed(offset: i)
        }
    }
}
