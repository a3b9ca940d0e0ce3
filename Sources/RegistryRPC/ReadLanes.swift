import Dispatch
import Synchronization

/// A few serial queues that the web service's token reads run on, in turn.
///
/// A read waits for one of the pool's reader connections; on GCD's global queue every
/// waiting request would hold a thread blocked on that wait, and under load GCD adds
/// threads that only sleep and wake (measured: 7% of the service's time in futexes). With
/// as many lanes as reader connections, a request waits in its lane's queue instead, and
/// a lane's thread finds a connection free.
final class ReadLanes: Sendable {
    private let queues: [DispatchQueue]
    private let turn = Atomic<Int>(0)

    init(count: Int) {
        queues = (0..<max(1, count)).map { DispatchQueue(label: "registry.read.\($0)") }
    }

    /// The next lane, round robin.
    func next() -> DispatchQueue {
        let n = turn.add(1, ordering: .relaxed).newValue
        return queues[n % queues.count]
    }
}
