import Testing
@testable import ModelHub

@Suite("HTTP helpers and the status mapping")
struct HTTPTests {
    let ctx = RequestContext(repo: "org/m", revision: "main", path: nil, authenticated: false)

    func headers(_ pairs: [String: String]) -> HTTPHeaders {
        var h = HTTPHeaders()
        for (k, v) in pairs { h[k] = v }
        return h
    }

    @Test("revisions are encoded with no safe characters, paths keep /")
    func encoding() {
        #expect(URLEncoding.encode("refs/pr/35", keepSlash: false) == "refs%2Fpr%2F35")
        #expect(URLEncoding.encode("a b/c+d.json", keepSlash: true) == "a%20b/c%2Bd.json")
    }

    @Test("redirect targets resolve against the request URL")
    func redirects() throws {
        let base = try #require(URLParts("http://127.0.0.1:8080/a/b/resolve/main/x.json?q=1"))
        #expect(base.resolve("/new/name/resolve/main/x.json") == "http://127.0.0.1:8080/new/name/resolve/main/x.json")
        #expect(base.resolve("http://cdn:1/f?sig=2") == "http://cdn:1/f?sig=2")
        #expect(base.resolve("y.json") == "http://127.0.0.1:8080/a/b/resolve/main/y.json")
        #expect(displayURL("http://cdn/f?X-Amz-Signature=secret") == "http://cdn/f")
    }

    @Test("Link headers give the next page")
    func link() {
        #expect(nextLink("<https://h/api/models/a/b/tree/main?cursor=xyz>; rel=\"next\"") == "https://h/api/models/a/b/tree/main?cursor=xyz")
        #expect(nextLink("<https://h/p1>; rel=\"prev\"") == nil)
        #expect(normalizeETag("W/\"abc\"") == "abc")
    }

    @Test("statuses and X-Error-Code map to domain errors")
    func mapping() {
        func map(_ s: Int, _ h: [String: String], path: String? = nil, auth: Bool = false) -> HubError? {
            HubError.from(status: s, headers: headers(h), url: "http://h/x", context: RequestContext(repo: "org/m", revision: "main", path: path, authenticated: auth))
        }
        #expect(map(401, ["X-Error-Message": "Invalid username or password."]) == .repoNotFound(repo: "org/m", authenticated: false))
        #expect(map(404, ["X-Error-Code": "RepoNotFound"], auth: true) == .repoNotFound(repo: "org/m", authenticated: true))
        #expect(map(404, ["X-Error-Code": "RevisionNotFound"]) == .revisionNotFound(repo: "org/m", revision: "main"))
        #expect(map(404, ["X-Error-Code": "EntryNotFound"], path: "a.json") == .entryNotFound(repo: "org/m", revision: "main", path: "a.json"))
        #expect(map(403, ["X-Error-Code": "GatedRepo"]) == .gatedRepo(repo: "org/m", authenticated: false))
        #expect(map(403, ["X-Error-Message": "Access to this resource is disabled."]) == .disabledRepo(repo: "org/m"))
        #expect(map(403, [:]) == .forbidden(repo: "org/m", what: "the repository", authenticated: false))
        #expect(map(416, [:]) == .rangeNotSatisfiable(url: "http://h/x"))
        #expect(map(429, ["Retry-After": "3"]) == .rateLimited(url: "http://h/x", retryAfter: 4))
        #expect(map(503, ["X-Request-Id": "r1"]) == .serverError(url: "http://h/x", status: 503, requestID: "r1"))
        #expect(map(200, [:]) == nil)
    }

    @Test("429 waits follow RateLimit, then Retry-After")
    func retryAfter() {
        #expect(retryAfterSeconds(headers(["Retry-After": "2"])) == 3)
        #expect(retryAfterSeconds(headers(["RateLimit": "\"api\";r=0;t=5", "Retry-After": "2"])) == 6)
        #expect(retryAfterSeconds(headers(["Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"])) == nil)
    }

    @Test("error messages say what to do and never show a query string")
    func messages() {
        #expect(HubError.gatedRepo(repo: "a/b", authenticated: false).description.contains("accept its licence"))
        #expect(HubError.repoNotFound(repo: "a/b", authenticated: false).description.contains("--token"))
        #expect(HubError.insufficientDiskSpace(path: "/c", needed: 2 << 30, available: 1 << 30).description.contains("need 2.0 GiB, available 1.0 GiB"))
    }
}
