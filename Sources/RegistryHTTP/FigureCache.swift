import Foundation

/// The dashboard's figures (aggregates, no personal data), kept for half a minute per set
/// of areas: the rates and shares of a county change with each registration, but a page
/// that 500 people open in a minute need not compute them 500 times. Concurrent requests
/// for the same figures wait for one computation.
actor FigureCache {
    private var entries: [String: (made: Date, task: Task<String, Never>)] = [:]
    private let lifetime: TimeInterval

    init(lifetime: TimeInterval = 30) {
        self.lifetime = lifetime
    }

    /// The figures under `key`, computed by `make` when missing or older than the lifetime.
    func figures(_ key: String, make: @escaping @Sendable () async -> String) async -> String {
        let now = Date()
        if let entry = entries[key], now.timeIntervalSince(entry.made) < lifetime {
            return await entry.task.value
        }
        let task = Task { await make() }
        entries[key] = (now, task)
        if entries.count > 1000 { entries = entries.filter { now.timeIntervalSince($0.value.made) < lifetime } }
        return await task.value
    }
}
