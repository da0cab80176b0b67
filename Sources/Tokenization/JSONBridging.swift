import Foundation

/// `JSONSerialization` returns `NSNull` and `NSNumber`; these aliases keep the parsing code short.
typealias NSNullLike = NSNull
typealias NSNumberLike = NSNumber
