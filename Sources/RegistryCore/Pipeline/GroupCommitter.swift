import Foundation

/// One writer thread that runs the writing requests of many callers in one transaction
/// and one durable commit, then answers each: the JSON-RPC stdio server's group commit,
/// for callers that `await` (the web service's handlers).
///
/// A caller's work waits until the thread is free; the thread then takes everything
/// waiting, runs it in one IMMEDIATE transaction (each request isolated, each for its own
/// principal), commits with `synchronous = FULL`, and only then resumes every caller. Under
/// load, one commit serves many clients.
///
/// ```swift
/// let committer = GroupCommitter(registry: registry)
/// let result = await registry.call(method: "unit.add", params: params, as: clerk, committer: committer)
/// ```
public final class GroupCommitter: @unchecked Sendable {
    /// One caller's work: run inside the group's transaction (possibly twice, when an
    /// optimistic group is replayed with savepoints), then told whether the commit held.
    private struct Job {
        var principal: Principal
        var run: (Registry.Group) -> Void
        var finish: (RegistryError?) -> Void
    }

    private let registry: Registry
    private let condition = NSCondition()
    private var pending: [Job] = []
    private var closed = false

    public init(registry: Registry) {
        self.registry = registry
        let thread = Thread { [self] in self.loop() }
        thread.name = "registry-group-commit"
        thread.start()
    }

    /// Runs `body` for `principal` in the next group and returns what it made once the
    /// group is on disk, or `failed(error)` when the commit failed (nothing of it is stored).
    public func run<T: Sendable>(as principal: Principal, _ body: @escaping @Sendable (Registry.Group) -> T,
                                 failed: @escaping @Sendable (RegistryError) -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let made = Box<T>()
            let job = Job(principal: principal, run: { group in made.value = body(group) }, finish: { error in
                continuation.resume(returning: error.map(failed) ?? made.value!)
            })
            condition.lock()
            if closed {
                condition.unlock()
                job.finish(RegistryError.storage("the service is stopping"))
                return
            }
            pending.append(job)
            condition.signal()
            condition.unlock()
        }
    }

    /// Stops taking work once what is waiting has run.
    public func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while pending.isEmpty && !closed { condition.wait() }
            if pending.isEmpty && closed {
                condition.unlock()
                return
            }
            let jobs = pending
            pending.removeAll(keepingCapacity: true)
            condition.unlock()
            do {
                try registry.performGroup(as: jobs[0].principal, isolation: .optimistic) { group in
                    for job in jobs { job.run(group.acting(as: job.principal)) }
                }
                for job in jobs { job.finish(nil) }
            } catch {
                for job in jobs { job.finish(error) }
            }
        }
    }

    private final class Box<T>: @unchecked Sendable {
        var value: T?
    }
}

extension Registry {
    /// Runs the request `method` for `principal` from async code: a read-only request on a
    /// reader connection, anything that writes through `committer`'s group commit. The
    /// result once it is on disk, or the refusal.
    public func call(method: String, params: JSONValue?, as principal: Principal,
                     committer: GroupCommitter) async -> Result<JSONValue, RegistryError> {
        let prepared: PreparedRequest
        switch PreparedRequest.prepare(method: method, params: params) {
        case let .success(request): prepared = request
        case let .failure(error): return .failure(error)
        }
        if prepared.isReadOnly {
            do {
                return try await readGroup(as: principal) { group in prepared.run(in: group) }
            } catch {
                return .failure(error)
            }
        }
        return await committer.run(as: principal, { group in prepared.run(in: group) }, failed: { .failure($0) })
    }
}
