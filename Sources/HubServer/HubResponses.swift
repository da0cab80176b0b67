import Foundation
import Hummingbird

extension HTTPFields.Element.Name {
    static let xErrorCode = Self("X-Error-Code")!
    static let xErrorMessage = Self("X-Error-Message")!
    static let xRequestID = Self("X-Request-Id")!
    static let xRepoCommit = Self("X-Repo-Commit")!
    static let xLinkedEtag = Self("X-Linked-Etag")!
    static let xLinkedSize = Self("X-Linked-Size")!
    static let link = Self("Link")!
}

/// The Hub's error answers: status, `X-Error-Code`, `X-Error-Message` and a JSON `{"error": …}` body,
/// exactly as huggingface_hub keys on them (see hub-protocol.md §4).
enum HubErrorResponse {
    /// Missing repository, or private without the right token: anonymous requests get 401 without
    /// an error code ("Invalid username or password."), requests with a token 404 RepoNotFound.
    static func repoNotFound(authenticated: Bool) -> Response {
        authenticated
            ? make(.notFound, code: "RepoNotFound", message: "Repository not found")
            : make(.unauthorized, code: nil, message: "Invalid username or password.")
    }

    static func revisionNotFound(_ revision: String) -> Response {
        make(.notFound, code: "RevisionNotFound", message: "Invalid rev id: \(revision)")
    }

    static func entryNotFound(commit: String) -> Response {
        var response = make(.notFound, code: "EntryNotFound", message: "Entry not found")
        response.headers[.xRepoCommit] = commit
        return response
    }

    static func gated(_ repo: String, authenticated: Bool) -> Response {
        authenticated
            ? make(.forbidden, code: "GatedRepo", message: "Access to model \(repo) is restricted and you are not in the authorized list. Visit https://huggingface.co/\(repo) to ask for access.")
            : make(.unauthorized, code: "GatedRepo", message: "Access to model \(repo) is restricted. You must have access to it and be authenticated to access it. Please log in.")
    }

    static func disabled() -> Response {
        make(.forbidden, code: nil, message: "Access to this resource is disabled.")
    }

    static func invalidCredentials() -> Response {
        make(.unauthorized, code: nil, message: "Invalid credentials in Authorization header")
    }

    static func make(_ status: HTTPResponse.Status, code: String?, message: String) -> Response {
        var headers = HTTPFields()
        if let code { headers[.xErrorCode] = code }
        // A header value cannot hold line breaks or other controls; the JSON body keeps the original.
        headers[.xErrorMessage] = String(message.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : Character($0) })
        headers[.contentType] = "application/json; charset=utf-8"
        let body = (try? JSONSerialization.data(withJSONObject: ["error": message])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// A plain 404 for URLs the Hub does not have.
    static func notFound() -> Response {
        make(.notFound, code: nil, message: "Sorry, we can't find the page you are looking for.")
    }

    static func methodNotAllowed() -> Response {
        make(.methodNotAllowed, code: nil, message: "Method not allowed")
    }
}

enum HubJSON {
    /// A JSON response of `value`, keys sorted so answers are byte-stable.
    static func response<T: Encodable>(_ value: T, headers extra: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var headers = extra
        headers[.contentType] = "application/json; charset=utf-8"
        do {
            let data = try encoder.encode(value)
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
        } catch {
            return HubErrorResponse.make(.internalServerError, code: nil, message: "cannot encode response: \(error)")
        }
    }

    /// `2024-05-01T12:00:00.000Z`, the Hub's date format.
    static func date(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}
