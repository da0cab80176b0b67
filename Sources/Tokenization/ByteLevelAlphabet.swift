/// GPT-2's reversible byte → printable-character map used by byte-level BPE.
///
/// Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`, `®`…`ÿ`) stand for themselves; the other 68 bytes map
/// in order to U+0100, U+0101, … so that a space becomes `Ġ` (U+0120) and a newline `Ċ` (U+010A).
/// Vocabulary strings of byte-level tokenizers are written in this alphabet.
public enum ByteLevelAlphabet {
    /// `characters[b]` is the character that stands for byte `b`.
    public static let characters: [Character] = {
        var table = [Character](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Character(Unicode.Scalar(UInt32(b))!)
            } else {
                table[b] = Character(Unicode.Scalar(next)!)
                next += 1
            }
        }
        return table
    }()

    /// The alphabet as unicode scalars, for building strings without grapheme work.
    static let scalars: [Unicode.Scalar] = characters.map { $0.unicodeScalars.first! }

    /// Maps every UTF-8 byte of `text` to its alphabet character.
    public static func encode(_ text: Substring) -> String {
        var out = String.UnicodeScalarView()
        for b in text.utf8 { out.append(scalars[Int(b)]) }
        return String(out)
    }
}
