import Testing
@testable import ModelHub

@Suite("Glob and FileSelection")
struct GlobTests {
    @Test("* crosses / like fnmatch", arguments: [
        ("*.json", "a/b/config.json", true), ("*.json", "config.json", true), ("model-?.bin", "model-1.bin", true),
        ("model-[0-9].bin", "model-7.bin", true), ("model-[!0-9].bin", "model-7.bin", false), ("original/", "original/x/y.pth", true),
        ("original/", "a/original/x", false), ("*.safetensors", "model.safetensors.index.json", false), ("[", "[", true),
    ])
    func globs(_ pattern: String, _ path: String, _ expected: Bool) {
        #expect(Glob(pattern).matches(path) == expected)
    }

    @Test("the default set skips other weight formats only when safetensors exist")
    func defaults() {
        let paths = ["config.json", "model.safetensors", "pytorch_model.bin", "original/consolidated.00.pth", "flax.msgpack", "tf.h5", "m.onnx"]
        #expect(FileSelection().select(paths) == ["config.json", "model.safetensors", "original/consolidated.00.pth"].filter { !$0.hasPrefix("original/") })
        #expect(FileSelection().select(["config.json", "pytorch_model.bin"]) == ["config.json", "pytorch_model.bin"])
        #expect(FileSelection(include: ["*.bin"]).select(paths) == ["pytorch_model.bin"])
        #expect(FileSelection(include: ["*.json", "*.safetensors"], exclude: ["config*"]).select(paths) == ["model.safetensors"])
    }
}
