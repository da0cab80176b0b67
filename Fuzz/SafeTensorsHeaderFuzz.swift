// libFuzzer target: the safetensors header parser and validator. Built by scripts/fuzz.
import SafeTensors

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeTensorsHeader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    if let header = try? SafeTensorsHeader.parse(bytes, fileSize: UInt64(size), path: "<fuzz>") {
        // Every accepted tensor must lie inside the input.
        for t in header.tensors where header.dataStart + t.end > UInt64(size) { fatalError("accepted an out-of-bounds tensor") }
    }
    _ = try? parseStrictJSON(bytes)
    return 0
}
