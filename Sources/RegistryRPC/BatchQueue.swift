import Foundation

/// A bounded hand-off between the thread that reads and prepares requests and the thread
/// that runs them. `put` waits while the queue holds `capacity` weight (bytes of input), so memory
/// stays bounded however fast the input arrives; `takeAll` hands over everything waiting,
/// which the running thread then commits as one group. While one group commits, the next
/// one gathers: the slower the disk, the larger the groups.
final class BatchQueue<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var weight = 0
    private var closed = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds a batch of some weight, waiting while the queue is full (a batch heavier than
    /// the capacity waits for an empty queue).
    func put(_ item: Element, weight itemWeight: Int) {
        condition.lock()
        while weight > 0 && weight + itemWeight > capacity { condition.wait() }
        items.append(item)
        weight += itemWeight
        condition.broadcast()
        condition.unlock()
    }

    /// No more batches will come.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Every waiting batch (waiting for one if none is), or `nil` once closed and empty.
    func takeAll() -> [Element]? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        if items.isEmpty { return nil }
        let taken = items
        items.removeAll()
        weight = 0
        condition.broadcast()
        return taken
    }
}
