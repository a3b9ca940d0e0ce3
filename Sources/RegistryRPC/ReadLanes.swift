import Foundation
import RegistryCore

/// A few threads that the web service's token requests run on, taking them from one queue.
///
/// A read waits for one of the pool's reader connections; on GCD's global queue every
/// waiting request held a thread blocked on that wait, and under load GCD added threads that
/// only slept and woke (measured: 7% of the service's time in futexes, 7.5% in the pool's
/// locks). With one thread fewer than the reader connections, a request waits in the queue
/// instead, a thread always finds a connection free, and one connection stays for the
/// pages' own reads. The threads share the queue, so a slow report holds up one thread, not
/// the requests that came after it.
final class ReadLanes: @unchecked Sendable {
    /// The process's lanes, started with the first token request (a process serves one
    /// registry; `serve --stdio` never starts them).
    static let shared = ReadLanes(count: Registry.readerCount - 1)

    // Guarded by `condition`.
    private var jobs: [@Sendable () -> Void] = []
    private let condition = NSCondition()

    init(count: Int) {
        for index in 0..<max(1, count) {
            let thread = Thread { self.work() }
            thread.name = "registry.read.\(index)"
            thread.start()
        }
    }

    /// Runs `work` on the first thread free.
    func run(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(work)
        condition.signal()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}
