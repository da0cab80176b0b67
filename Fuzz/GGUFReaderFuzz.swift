// libFuzzer target: the GGUF reader's validation. Built by scripts/fuzz.
import GGUF

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUFReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? GGUFFile.validate(bytes: UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
