// libFuzzer target: the PyTorch zip reader and the restricted pickle machine. Built by scripts/fuzz.
import PyTorchCheckpoint
import TensorCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTorchCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let file = try? MappedFile(copying: UnsafeRawBufferPointer(start: data, count: size), name: "<fuzz>") else { return 0 }
    if let checkpoint = try? TorchCheckpoint(file: file) {
        // Every accepted tensor must lie inside the input, and reading it must not trap.
        for t in checkpoint.tensors {
            if t.end > file.size { fatalError("accepted an out-of-bounds tensor") }
            _ = try? checkpoint.view(t.name).floats()
        }
    }
    // The planner pull runs on a remote file's pieces: hostile input must not trap it either.
    _ = try? TorchCheckpoint.plannedTensors(source: file)
    return 0
}
