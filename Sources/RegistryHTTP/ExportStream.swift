import Foundation
import RegistryCore

/// An export streamed into an HTTP response: the export (synchronous, on a thread of its
/// own) writes blocks here; the response body takes them as the client reads. At most
/// eight blocks (about 512 KiB) wait, so memory stays bounded however long the ledger;
/// a client that goes away makes the next write fail, and the export records
/// `export_failed`.
final class ExportStream: ExportDestination, @unchecked Sendable {
    private let condition = NSCondition()
    private var blocks: [[UInt8]] = []
    private var done = false
    private var cancelled = false
    private var waiting: CheckedContinuation<[UInt8]?, Never>?
    private static let maxWaiting = 8

    func write(_ bytes: UnsafeRawBufferPointer) throws(RegistryError) {
        condition.lock()
        defer { condition.unlock() }
        while blocks.count >= Self.maxWaiting && !cancelled { condition.wait() }
        if cancelled { throw RegistryError.storage("the client went away") }
        if let waiting {
            self.waiting = nil
            waiting.resume(returning: Array(bytes))
        } else {
            blocks.append(Array(bytes))
        }
    }

    func finish() throws(RegistryError) { end() }
    func abandon() { end() }

    private func end() {
        condition.lock()
        done = true
        if let waiting, blocks.isEmpty {
            self.waiting = nil
            waiting.resume(returning: nil)
        }
        condition.unlock()
    }

    /// The client stopped reading.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next block, or `nil` at the end.
    func next() async -> [UInt8]? {
        await withCheckedContinuation { continuation in
            condition.lock()
            if !blocks.isEmpty {
                let block = blocks.removeFirst()
                condition.signal()
                condition.unlock()
                continuation.resume(returning: block)
            } else if done {
                condition.unlock()
                continuation.resume(returning: nil)
            } else {
                waiting = continuation
                condition.signal()
                condition.unlock()
            }
        }
    }
}
