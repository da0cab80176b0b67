import Crypto
import Foundation

/// Signs and checks the CDN URLs that LFS downloads are redirected to, like a pre-signed CDN URL:
/// `/lfs/<sha256>/<file name>?Expires=<unix s>&Nonce=<n>&Signature=<hmac>`. Every redirect gets a
/// fresh nonce, so a revoked (expired) URL can be replaced by resolving the file again.
final class CDNSigner: Sendable {
    private let keyBytes: [UInt8] = (0..<32).map { _ in UInt8.random(in: 0...255) }
    private let lifetime: TimeInterval
    private let nonce = Locked(0)
    private let revoked = Locked(Set<String>())
    /// sha256 → the file the CDN serves under it (registered when a redirect is issued).
    private let objects = Locked([String: ServedFile]())

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    /// Registers `file` and returns its signed path and query (`/lfs/…?…`).
    func signedPath(for file: ServedFile) -> String {
        guard let sha256 = file.lfsSHA256 else { return "/" }
        objects.withLock { $0[sha256] = file }
        let expires = Int(Date().timeIntervalSince1970 + lifetime)
        let n = nonce.withLock { value -> Int in value += 1; return value }
        let name = (file.path.split(separator: "/").last.map(String.init) ?? "file")
            .addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#&=+"))) ?? "file"
        return "/lfs/\(sha256)/\(name)?Expires=\(expires)&Nonce=\(n)&Signature=\(signature(sha256, expires, n))"
    }

    enum Verdict { case ok(ServedFile), expired, forbidden, unknown }

    /// Checks the signature and expiry of a CDN request for `sha256`.
    func check(sha256: String, query: [String: String]) -> Verdict {
        guard let expiresText = query["Expires"], let expires = Int(expiresText),
              let nonceText = query["Nonce"], let n = Int(nonceText),
              let given = query["Signature"], given == signature(sha256, expires, n)
        else { return .forbidden }
        if revoked.withLock({ $0.contains(given) }) || Double(expires) < Date().timeIntervalSince1970 { return .expired }
        guard let file = objects.withLock({ $0[sha256] }) else { return .unknown }
        return .ok(file)
    }

    /// Makes the URL with this signature expire now (the fault "CDN URL expires mid-download").
    func revoke(signature: String) {
        _ = revoked.withLock { $0.insert(signature) }
    }

    private func signature(_ sha256: String, _ expires: Int, _ nonce: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(sha256)|\(expires)|\(nonce)".utf8), using: SymmetricKey(data: keyBytes))
        return GitObjects.hex(mac)
    }
}

extension HubServer {
    /// Makes every CDN URL carrying this `Signature` expire now (used by the test hub's
    /// "CDN URL expires mid-download" fault).
    public func revokeCDNSignature(_ signature: String) {
        cdn.revoke(signature: signature)
    }
}
