import Foundation

/// JSON shapes of the Hub API, field names as the Hub spells them.
enum APIModels {
    /// `gated` is `false` or the gating mode ("auto"/"manual").
    enum Gated: Encodable {
        case no, mode(String)
        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .no: try container.encode(false)
            case let .mode(mode): try container.encode(mode)
            }
        }
    }

    struct SiblingLFS: Encodable {
        let size: Int64
        let sha256: String
        let pointerSize: Int
    }

    struct Sibling: Encodable {
        let rfilename: String
        let size: Int64?
        let blobId: String?
        let lfs: SiblingLFS?
    }

    struct ModelInfo: Encodable {
        let _id: String
        let id: String
        let modelId: String
        let author: String?
        let sha: String
        let lastModified: String
        let createdAt: String
        let `private`: Bool
        let disabled: Bool
        let gated: Gated
        let downloads: Int
        let likes: Int
        let tags: [String]
        let siblings: [Sibling]
        let usedStorage: Int64
    }

    struct TreeLFS: Encodable {
        let oid: String
        let size: Int64
        let pointerSize: Int
    }

    struct LastCommit: Encodable {
        let id: String
        let title: String
        let date: String
    }

    struct TreeEntry: Encodable {
        let type: String
        let oid: String
        let size: Int64
        let path: String
        let lfs: TreeLFS?
        let lastCommit: LastCommit?
    }

    struct Ref: Encodable {
        let name: String
        let ref: String
        let targetCommit: String
    }

    struct Refs: Encodable {
        let branches: [Ref]
        let converts: [Ref]
        let tags: [Ref]
        let pullRequests: [Ref]?
    }
}
