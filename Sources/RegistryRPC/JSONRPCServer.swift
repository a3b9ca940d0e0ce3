#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import RegistryCore

/// `registry serve --stdio`: JSON-RPC 2.0, one request (or batch) per line on standard
/// input, one response line per answered request line on standard output.
///
/// Durable group commit: all the lines that one read of standard input completes are
/// run in one transaction, each request in its own savepoint, and their responses are
/// written (in order, flushed) only after that transaction is committed with
/// `synchronous = FULL`. A response with a `result` therefore means the change is on disk,
/// and a refused request changed nothing. The server holds no business rule: every method
/// is the core's, through ``Registry/Group/perform(method:params:)``.
public final class JSONRPCServer {
    public static let defaultMaxLineBytes = 8 << 20

    private let registry: Registry
    private let actor: String
    private let maxLineBytes: Int

    public init(registry: Registry, operator actor: String, maxLineBytes: Int = defaultMaxLineBytes) {
        self.registry = registry
        self.actor = actor
        self.maxLineBytes = maxLineBytes
    }

    /// Serves `input` until its end, writing responses to `output`.
    public func serve(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        var reader = LineReader(fd: input, maxLineBytes: maxLineBytes)
        while let batch = reader.nextBatch() {
            let responses = respond(to: batch)
            if !responses.isEmpty {
                var text = responses.joined(separator: "\n")
                text += "\n"
                guard writeAll(text, to: output) else { return }
            }
        }
    }

    /// The response lines for a group of input lines, after committing their changes.
    public func respond(to items: [LineReader.Item]) -> [String] {
        do {
            return try registry.performGroup(operator: actor) { group in
                items.compactMap { respond(to: $0, in: group) }
            }
        } catch {
            // The commit failed: nothing of the group is on disk, so no request may claim a
            // result. Answer each with the storage error instead.
            return items.compactMap { item in
                guard case let .line(data) = item, let id = Self.requestID(in: data) else { return nil }
                return Response.error(id: id, error)
            }
        }
    }

    private func respond(to item: LineReader.Item, in group: Registry.Group) -> String? {
        switch item {
        case .tooLong:
            return Response.error(id: .null, code: -32600, reason: "line_too_long",
                                  message: "Invalid Request: the line is longer than \(maxLineBytes) bytes")
        case let .line(data):
            return respond(toLine: data, in: group)
        }
    }

    private func respond(toLine data: Data, in group: Registry.Group) -> String? {
        guard let first = data.first(where: { !Self.isWhitespace($0) }) else { return nil }
        switch first {
        case UInt8(ascii: "{"):
            return respond(toRequest: data, in: group)
        case UInt8(ascii: "["):
            guard let items = try? JSONDecoder().decode([JSONValue].self, from: data) else {
                return Response.parseError()
            }
            guard !items.isEmpty else {
                return Response.error(id: .null, code: -32600, reason: "invalid_request", message: "Invalid Request: an empty batch")
            }
            let answers = items.compactMap { item -> String? in
                guard case .object = item else {
                    return Response.error(id: .null, code: -32600, reason: "invalid_request",
                                          message: "Invalid Request: a batch member must be an object")
                }
                return respond(toRequest: Data(JSONWriter.string(item).utf8), in: group)
            }
            return answers.isEmpty ? nil : "[" + answers.joined(separator: ",") + "]"
        default:
            if (try? JSONDecoder().decode(JSONValue.self, from: data)) != nil {
                return Response.error(id: .null, code: -32600, reason: "invalid_request",
                                      message: "Invalid Request: a request must be a JSON object")
            }
            return Response.parseError()
        }
    }

    private func respond(toRequest data: Data, in group: Registry.Group) -> String? {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: data)
        } catch {
            // Valid JSON that Foundation cannot hold (a number beyond Double, say) is an
            // invalid request, not a parse error.
            if (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
                return Response.error(id: .null, code: -32600, reason: "invalid_request",
                                      message: "Invalid Request: a member could not be read (a number out of range?)")
            }
            return Response.parseError()
        }
        let id = envelope.id ?? .null
        if let problem = envelope.problem {
            return Response.error(id: envelope.idIsValid ? id : .null, code: -32600, reason: "invalid_request",
                                  message: "Invalid Request: \(problem)")
        }
        let isNotification = envelope.id == nil
        let method = envelope.method!
        guard Methods.named(method) != nil else {
            return isNotification ? nil : Response.error(id: id, code: -32601, reason: "method_not_found",
                                                         message: "Method not found: \(method)")
        }
        if envelope.paramsAreArray {
            return isNotification ? nil : Response.error(id: id, RegistryError.invalid("params", "must be an object: params are by name only"))
        }
        let outcome = group.perform(method: method, params: data)
        if isNotification { return nil }
        switch outcome {
        case let .success(result): return Response.result(id: id, result)
        case let .failure(error): return Response.error(id: id, error)
        }
    }

    /// The id of a request line, for answering it after a failed commit (`nil` for a
    /// notification or a line that is not a single request).
    static func requestID(in data: Data) -> JSONValue? {
        guard let envelope = try? JSONDecoder().decode(Envelope.self, from: data), envelope.problem == nil else { return nil }
        return envelope.id
    }

    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private func writeAll(_ text: String, to fd: Int32) -> Bool {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
