import Foundation
import Testing
@testable import ModelHub

@Suite("HubEnvironment and TokenProvider")
struct HubEnvironmentTests {
    @Test("defaults follow huggingface_hub")
    func defaults() {
        let env = HubEnvironment(["HOME": "/home/u"])
        #expect(env.endpoint == "https://huggingface.co")
        #expect(env.home == "/home/u/.cache/huggingface")
        #expect(env.hubCache == "/home/u/.cache/huggingface/hub")
        #expect(!env.offline && !env.noColor)
    }

    @Test("HF_* variables override, with ~ and $VAR expanded and the endpoint's trailing slash dropped")
    func overrides() {
        let env = HubEnvironment([
            "HOME": "/h", "BASE": "/data", "HF_ENDPOINT": "http://127.0.0.1:9/", "HF_HOME": "~/hf",
            "HF_HUB_CACHE": "$BASE/cache", "HF_HUB_OFFLINE": "yes", "NO_COLOR": "1",
        ])
        #expect(env.endpoint == "http://127.0.0.1:9")
        #expect(env.home == "/h/hf")
        #expect(env.hubCache == "/data/cache")
        #expect(env.offline && env.noColor)
        #expect(HubEnvironment(["HOME": "/h", "XDG_CACHE_HOME": "/x"]).hubCache == "/x/huggingface/hub")
        #expect(HubEnvironment(["HOME": "/h", "HF_HOME": "/f"]).hubCache == "/f/hub")
        #expect(!HubEnvironment(["HF_HUB_OFFLINE": "0"]).offline)
    }

    @Test("token precedence: --token > HF_TOKEN > HUGGING_FACE_HUB_TOKEN > HF_TOKEN_PATH > $HF_HOME/token")
    func precedence() throws {
        let dir = try TempDir("tok")
        defer { dir.remove() }
        try "hf_file\r\n".write(toFile: dir.path + "/token", atomically: true, encoding: .utf8)
        try " hf_path \n".write(toFile: dir.path + "/other", atomically: true, encoding: .utf8)
        var vars = ["HOME": "/h", "HF_HOME": dir.path]
        #expect(TokenProvider.token(explicit: nil, environment: HubEnvironment(vars))?.secret == "hf_file")
        vars["HF_TOKEN_PATH"] = dir.path + "/other"
        #expect(TokenProvider.token(explicit: nil, environment: HubEnvironment(vars))?.secret == "hf_path")
        vars["HUGGING_FACE_HUB_TOKEN"] = "hf_legacy"
        #expect(TokenProvider.token(explicit: nil, environment: HubEnvironment(vars))?.secret == "hf_legacy")
        vars["HF_TOKEN"] = "hf_env"
        #expect(TokenProvider.token(explicit: nil, environment: HubEnvironment(vars))?.secret == "hf_env")
        #expect(TokenProvider.token(explicit: "hf_flag", environment: HubEnvironment(vars))?.secret == "hf_flag")
        try "\n".write(toFile: dir.path + "/token", atomically: true, encoding: .utf8)
        #expect(TokenProvider.token(explicit: nil, environment: HubEnvironment(["HOME": "/h", "HF_HOME": dir.path])) == nil)
    }

    @Test("a token never shows in its description")
    func redacted() {
        let t = HubToken("hf_supersecret", source: "HF_TOKEN")
        #expect(!"\(t)".contains("supersecret"))
        #expect(!String(reflecting: t).contains("supersecret"))
    }
}
