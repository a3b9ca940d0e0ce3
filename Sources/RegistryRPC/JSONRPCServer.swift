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
/// Three stages on three threads. The reading thread splits standard input into lines,
/// parses them and decodes each request (``PreparedRequest``): work that needs no database.
/// The running thread takes every prepared line waiting, runs them in **one** transaction,
/// each request isolated from the others, and commits with `synchronous = FULL`; only then
/// does it hand their responses to the writing thread, which writes them, in order. A
/// response with a `result` therefore means the change is on disk, and a refused request
/// changed nothing. The server holds no business rule: every method is the core's.
public final class JSONRPCServer: Sendable {
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
        let queue = BatchQueue<[PreparedLine]>(capacity: Self.maxPendingBytes)
        let maxLineBytes = maxLineBytes
        Self.enlargePipeBuffer(input)
        let reading = Thread { [self] in
            var reader = LineReader(fd: input, maxLineBytes: maxLineBytes)
            while let batch = reader.nextBatch() {
                let today = CivilDate.today()
                let bytes = batch.reduce(0) { total, item in
                    if case let .line(data) = item { return total + data.count + 64 }
                    return total + 64
                }
                queue.put(batch.map { prepare($0, today: today) }, weight: bytes)
            }
            queue.close()
        }
        reading.stackSize = 8 << 20
        reading.start()
        // A third thread writes each committed group's responses and lets go of its
        // prepared requests: freeing them (their params, sealed values) and writing the
        // text had been 5% of the running thread's instructions, which sets the pace.
        // Groups reach it in commit order, and only after their commit.
        let written = BatchQueue<Committed>(capacity: Self.committedGroupsWaiting)
        let writerDone = DispatchSemaphore(value: 0)
        let writing = Thread { [self] in
            defer { writerDone.signal() }
            while let groups = written.takeAll() {
                for group in groups where !group.answers.isEmpty {
                    var text = group.answers.map(\.text).joined(separator: "\n")
                    text += "\n"
                    guard writeAll(text, to: output) else { exit(0) }
                }
            }
        }
        writing.start()
        while let batches = queue.takeAll() {
            let answers = answers(batches.flatMap { $0 })
            written.put(Committed(answers: answers, lines: batches), weight: 1)
        }
        // Every response is written before serving ends (the process exits after).
        written.close()
        writerDone.wait()
    }

    /// A committed group on its way to standard output: its answers (written as text
    /// there), and its prepared lines, kept only to be freed on the writing thread.
    private struct Committed: Sendable {
        var answers: [Answer]
        var lines: [[PreparedLine]]
    }

    /// How many committed groups may wait for standard output before the running thread
    /// waits too: a reader that stops reading holds the server back as it did before.
    static let committedGroupsWaiting = 4

    /// How much input (in bytes, lines counted 64 bytes more) may wait prepared for the
    /// running thread: it bounds memory on an endless stream, and the size of one group.
    /// A single longer line still passes, alone.
    static let maxPendingBytes = 4 << 20

    /// Asks for a 1 MiB pipe buffer when standard input is a pipe, so that a writer gets
    /// ahead of the server by more than 64 KiB and each read brings more lines.
    static func enlargePipeBuffer(_ fd: Int32) {
        #if os(Linux)
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFIFO else { return }
        _ = fcntl(fd, 1031 /* F_SETPIPE_SZ */, 1 << 20)
        #endif
    }

    /// The response lines for a group of input lines, after committing their changes.
    public func respond(to items: [LineReader.Item]) -> [String] {
        let today = CivilDate.today()
        return answers(items.map { prepare($0, today: today) }).map(\.text)
    }

    // MARK: - Preparing (no database)

    /// One input line, as far as it can be answered without the database.
    enum PreparedLine: Sendable {
        /// Answered already (a parse error, an invalid request…), or `nil`: no response.
        case answered(String?)
        /// A request to run, with its id (`nil` for a notification).
        case request(id: JSONValue?, PreparedRequest)
        /// A batch: its members, each answered or to run.
        case batch([PreparedLine])
    }

    func prepare(_ item: LineReader.Item, today: CivilDate) -> PreparedLine {
        switch item {
        case .tooLong:
            return .answered(Response.error(id: .null, code: -32600, reason: "line_too_long",
                                            message: "Invalid Request: the line is longer than \(maxLineBytes) bytes"))
        case let .line(data):
            guard data.contains(where: { !Self.isWhitespace($0) }) else { return .answered(nil) }
            let value: JSONValue
            do {
                value = try JSONParser.parse(data)
            } catch {
                return .answered(Response.parseError(error))
            }
            if case let .array(items) = value {
                guard !items.isEmpty else {
                    return .answered(Response.error(id: .null, code: -32600, reason: "invalid_request",
                                                    message: "Invalid Request: an empty batch"))
                }
                return .batch(items.map { prepare(request: $0, today: today) })
            }
            return prepare(request: value, today: today)
        }
    }

    private func prepare(request value: JSONValue, today: CivilDate) -> PreparedLine {
        let envelope = Envelope(value)
        let id = envelope.id ?? .null
        if let problem = envelope.problem {
            return .answered(Response.error(id: envelope.idIsValid ? id : .null, code: -32600, reason: "invalid_request",
                                            message: "Invalid Request: \(problem)"))
        }
        let isNotification = envelope.id == nil
        let method = envelope.method!
        switch PreparedRequest.prepare(method: method, params: envelope.params, today: today, sealingFor: registry) {
        case let .success(prepared):
            return .request(id: envelope.id, prepared)
        case let .failure(error):
            if isNotification { return .answered(nil) }
            if error.reason == .methodNotFound {
                return .answered(Response.error(id: id, code: -32601, reason: "method_not_found", message: "Method not found: \(method)"))
            }
            return .answered(Response.error(id: id, error))
        }
    }

    // MARK: - Running (one transaction)

    /// Runs `lines` in one transaction: their answers, after the commit.
    private func answers(_ lines: [PreparedLine]) -> [Answer] {
        guard lines.contains(where: \.needsDatabase) else { return lines.compactMap(\.earlyAnswer) }
        do {
            // Running only turns prepared lines into answers, so it may run twice
            // (optimistic isolation replays a group with savepoints when it must).
            return try registry.performGroup(as: Principal.localAdmin(actor), isolation: .optimistic) { group in
                lines.compactMap { answer($0, in: group) }
            }
        } catch {
            // The commit failed: nothing of the group is on disk, so no request may claim a
            // result. Answer each request with the storage error instead.
            return lines.compactMap { $0.failure(error) }
        }
    }

    /// The response to one JSON-RPC request or batch (an HTTP body) for `principal`: reads
    /// run on a reader connection, anything that writes goes through `committer`, whose one
    /// transaction serves many callers. `nil` when nothing is to be answered (notifications).
    public func respond(toBody body: Data, as principal: Principal, committer: GroupCommitter) async -> String? {
        let line = prepare(.line(body), today: .today())
        guard line.needsDatabase else { return line.answer }
        if line.isReadOnly {
            do {
                return try await registry.readGroup(as: principal) { group in self.respond(line, in: group) }
            } catch {
                return line.failed(with: error)
            }
        }
        return await committer.run(as: principal, { group in self.respond(line, in: group) }, failed: { line.failed(with: $0) })
    }

    /// The response to an HTTP body whose caller is known by an API token: the token is
    /// looked up and a read-only request answered in one step on a thread that may block
    /// (one hop, two short reads), anything that writes goes through `committer`.
    /// - Returns: `.unauthenticated` when the token does not stand for a live account.
    public func respond(toBody body: Data, token: String, committer: GroupCommitter) async -> TokenCallOutcome {
        let line = prepare(.line(body), today: .today())
        let registry = self.registry
        let first: TokenCallOutcome = await withCheckedContinuation { continuation in
            ReadLanes.shared.run {
                if line.needsDatabase && line.isReadOnly {
                    // The token and the request in one read transaction.
                    do throws(RegistryError) {
                        let answer = try registry.readGroupSync(token: token) { self.respond(line, in: $0) }
                        continuation.resume(returning: answer.map(TokenCallOutcome.answered) ?? .unauthenticated)
                    } catch {
                        continuation.resume(returning: .answered(line.failed(with: error)))
                    }
                    return
                }
                guard let principal = try? registry.principal(forToken: token) else {
                    continuation.resume(returning: .unauthenticated)
                    return
                }
                guard line.needsDatabase else { continuation.resume(returning: .answered(line.answer)); return }
                continuation.resume(returning: .write(principal))
            }
        }
        guard case let .write(principal) = first else { return first }
        return .answered(await committer.run(as: principal, { group in self.respond(line, in: group) }, failed: { line.failed(with: $0) }))
    }

    /// What ``respond(toBody:token:committer:)`` came to.
    public enum TokenCallOutcome: Sendable {
        /// The response (`nil`: nothing to answer).
        case answered(String?)
        /// The token stands for no live account.
        case unauthenticated
        /// Internal: the request writes, for this principal.
        case write(Principal)
    }

    func respond(_ line: PreparedLine, in group: Registry.Group) -> String? {
        answer(line, in: group)?.text
    }

    /// Runs `line` in `group`: its answer, not yet written as text (`nil` when nothing is
    /// to be answered: notifications).
    func answer(_ line: PreparedLine, in group: Registry.Group) -> Answer? {
        switch line {
        case let .answered(text):
            return text.map(Answer.text)
        case let .request(id, prepared):
            let outcome = prepared.run(in: group)
            return id.map { .outcome(id: $0, outcome) }
        case let .batch(members):
            let answers = members.compactMap { answer($0, in: group) }
            return answers.isEmpty ? nil : .batch(answers)
        }
    }

    /// A response before it is written as JSON text. `serve --stdio` runs a group's
    /// requests and commits on the running thread, which sets the pace, and has the
    /// writing thread write the text (callgrind: 1,600 instructions a registration off the
    /// running thread).
    enum Answer: Sendable {
        /// Answered before running (a parse error, an invalid request…).
        case text(String)
        case outcome(id: JSONValue, Result<JSONValue, RegistryError>)
        case batch([Answer])

        /// The response line.
        var text: String {
            switch self {
            case let .text(text): text
            case let .outcome(id, .success(result)): Response.result(id: id, result)
            case let .outcome(id, .failure(error)): Response.error(id: id, error)
            case let .batch(members): "[" + members.map(\.text).joined(separator: ",") + "]"
            }
        }
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

extension JSONRPCServer.PreparedLine {
    /// Whether every request in it writes nothing.
    var isReadOnly: Bool {
        switch self {
        case .answered: true
        case let .request(_, prepared): prepared.isReadOnly
        case let .batch(members): members.allSatisfy(\.isReadOnly)
        }
    }

    var needsDatabase: Bool {
        switch self {
        case .answered: false
        case .request: true
        case let .batch(members): members.contains(where: \.needsDatabase)
        }
    }

    /// The answer when no database work was needed.
    var earlyAnswer: JSONRPCServer.Answer? { answer(failing: nil) }

    /// The response when no database work was needed.
    var answer: String? { earlyAnswer?.text }

    /// The answer after the group's commit failed: errors in place of results.
    func failure(_ error: RegistryError) -> JSONRPCServer.Answer? { answer(failing: error) }

    /// The answer without running anything: what was answered while preparing, and each
    /// request answered with `error` (or not at all when `error` is `nil`).
    private func answer(failing error: RegistryError?) -> JSONRPCServer.Answer? {
        switch self {
        case let .answered(text): return text.map(JSONRPCServer.Answer.text)
        case let .request(id, _):
            guard let id, let error else { return nil }
            return .outcome(id: id, .failure(error))
        case let .batch(members):
            let answers = members.compactMap { $0.answer(failing: error) }
            return answers.isEmpty ? nil : .batch(answers)
        }
    }

    /// The response after the group's commit failed.
    func failed(with error: RegistryError) -> String? { failure(error)?.text }
}
