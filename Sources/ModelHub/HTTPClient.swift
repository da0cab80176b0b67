import Foundation

/// Requests to a Hub endpoint with the rules huggingface_hub follows: the token goes only to the
/// endpoint's own origin (never to a CDN after a redirect), redirects are followed by hand, and
/// failures are retried with backoff where retrying can help.
final class HTTPClient: Sendable {
    let endpoint: String
    let token: HubToken?
    let options: HTTPOptions
    private let endpointOrigin: String?

    init(endpoint: String, token: HubToken?, options: HTTPOptions) {
        self.endpoint = endpoint
        self.token = token
        self.options = options
        endpointOrigin = URLParts(endpoint)?.origin
    }

    /// Header lines for `url`: `Authorization` only when the URL is on the endpoint's origin.
    func headers(for url: String, extra: [String] = []) -> [String] {
        var lines = extra
        if let token, let origin = URLParts(url)?.origin, origin == endpointOrigin {
            lines.append("Authorization: Bearer \(token.secret)")
        }
        return lines
    }

    var authenticated: Bool { token != nil }

    /// A GET or HEAD that follows redirects by hand: relative (same-origin) redirects always,
    /// cross-origin ones only when `followCrossOrigin` (without the token). Retries 5xx, 408, 429
    /// and network errors. Returns the last response and its URL; HTTP errors are thrown as
    /// ``HubError`` using `context`.
    func request(
        _ url: String, method: CurlRequest.Method, context: RequestContext, followCrossOrigin: Bool,
        extraHeaders: [String] = []
    ) throws -> (response: CurlRequest.Response, url: String) {
        var current = url
        var settings = options
        if let t = options.metadataTimeout {
            settings.connectTimeout = t
            settings.stallTimeout = t
        }
        for _ in 0..<10 {
            let response = try withRetries(url: current, stallTimeout: settings.stallTimeout) {
                CurlRequest.perform(url: current, method: method, headers: headers(for: current, extra: extraHeaders), options: settings)
            }
            if (300..<400).contains(response.status), let location = response.headers["Location"], let base = URLParts(current) {
                let next = base.resolve(location)
                let sameOrigin = URLParts(next)?.origin == base.origin
                if sameOrigin || followCrossOrigin {
                    current = next
                    continue
                }
                return (response, current)
            }
            if let error = HubError.from(status: response.status, headers: response.headers, url: current, context: context) {
                throw error
            }
            return (response, current)
        }
        throw HubError.invalidResponse(url: displayURL(url), reason: "more than 10 redirects")
    }

    /// Runs `attempt` until it gives a non-retryable answer, sleeping with backoff between tries
    /// (`Retry-After` / `RateLimit` for 429). After the last retry the last response is returned
    /// (the caller maps its status) or the transport error thrown.
    func withRetries(url: String, stallTimeout: Int? = nil, _ attempt: () -> Result<CurlRequest.Response, CurlRequest.Failure>) throws -> CurlRequest.Response {
        var tries = 0
        while true {
            var pause = options.backoff(attempt: tries)
            switch attempt() {
            case let .success(r):
                guard r.status == 408 || r.status == 429 || [500, 502, 503, 504].contains(r.status), tries < options.retries else { return r }
                if r.status == 429, let ra = retryAfterSeconds(r.headers) { pause = min(ra, options.retryAfterCap) }
            case let .failure(.transport(_, message, stalled)):
                guard tries < options.retries else {
                    throw stalled ? HubError.stalled(url: displayURL(url), seconds: stallTimeout ?? options.stallTimeout)
                                  : HubError.network(url: displayURL(url), message: message)
                }
            case .failure(.aborted):
                throw HubError.network(url: displayURL(url), message: "aborted")
            }
            tries += 1
            Thread.sleep(forTimeInterval: pause)
        }
    }

    /// GETs JSON from the API and decodes it.
    func getJSON<T: Decodable>(_ type: T.Type, url: String, context: RequestContext) throws -> (T, CurlRequest.Response) {
        let (response, finalURL) = try request(url, method: .get, context: context, followCrossOrigin: false)
        guard response.status == 200 else {
            throw HubError.unexpectedStatus(url: displayURL(finalURL), status: response.status, message: nil)
        }
        do {
            return (try JSONDecoder().decode(T.self, from: Data(response.body)), response)
        } catch {
            throw HubError.invalidResponse(url: displayURL(finalURL), reason: "unexpected JSON (\(error))")
        }
    }
}
