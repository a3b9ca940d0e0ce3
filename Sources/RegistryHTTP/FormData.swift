import Foundation
import Hummingbird

/// A submitted `application/x-www-form-urlencoded` form: its fields by name (the last
/// value wins, `+` is a space, `%XX` is decoded).
struct FormData: Sendable {
    var fields: [String: String] = [:]

    init(body: ByteBuffer) {
        let text = String(buffer: body)
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            fields[name] = parts.count > 1 ? decode(parts[1]) : ""
        }
    }

    /// The field's value, trimmed; `nil` when absent or empty.
    subscript(_ name: String) -> String? {
        guard let value = fields[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// Reads the request's body as a form (at most the context's upload size: else 413).
    static func read(_ request: Request, context: RegistryRequestContext) async throws -> FormData {
        var request = request
        return FormData(body: try await request.collectBody(upTo: context.maxUploadSize))
    }
}
