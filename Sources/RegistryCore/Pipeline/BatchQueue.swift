import Foundation

/// A bounded hand-off between a thread that reads and prepares work and a thread that
/// writes it: the JSON-RPC server's requests, a bulk import's rows. `put` waits while the
/// queue holds `capacity` weight (bytes of input, or batches), so memory stays bounded
/// however fast the input arrives; `takeAll` hands over everything waiting, which the
/// server then commits as one group. While one group commits, the next one gathers: the
/// slower the disk, the larger the groups.
public final class BatchQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var weight = 0
    private var closed = false
    private var cancelled = false
    private let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds a batch of some weight, waiting while the queue is full (a batch heavier than
    /// the capacity waits for an empty queue).
    /// - Returns: `false` when the taker has cancelled: the batch is dropped, stop putting.
    @discardableResult
    public func put(_ item: Element, weight itemWeight: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while weight > 0 && weight + itemWeight > capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(item)
        weight += itemWeight
        condition.broadcast()
        return true
    }

    /// The taker stops taking: a waiting or later `put` returns `false`, `takeAll` `nil`.
    public func cancel() {
        condition.lock()
        cancelled = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    /// Whether the taker cancelled (rather than the putter closing the queue).
    public var wasCancelled: Bool {
        condition.lock()
        defer { condition.unlock() }
        return cancelled
    }

    /// No more batches will come.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Every waiting batch (waiting for one if none is), or `nil` once closed and empty
    /// (or cancelled).
    public func takeAll() -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed && !cancelled { condition.wait() }
        if items.isEmpty { return nil }
        let taken = items
        items.removeAll()
        weight = 0
        condition.broadcast()
        return taken
    }
}
