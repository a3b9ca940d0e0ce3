import GRDB

/// The `population` shares (sex, year of birth, origin) of a group's new residences, added
/// up in memory and written once per touched row, instead of one upsert per share.
///
/// A group commit of registrations into a few grids touches the same rows again and again
/// (two sexes, some seventy years of birth, a few provinces per grid): written as they
/// come, those upserts were 15% of the durable write rate. Held here, they are written
/// (``flush(_:)``) before the group commits, and before anything else that reads the
/// counts or changes them through the schema's triggers runs in the group: every request
/// except a registration (``RegistryRequest/leavesSharesPending``), and a registration of
/// a person already known before it writes (it may close a residence, whose trigger
/// subtracts from a row that must be there).
///
/// A request refused after adding shares takes them back (``discardRequest(rolledBack:)``),
/// as its savepoint takes back its rows; and if it flushed, the savepoint took back the
/// other requests' shares it wrote too, so those are held again.
///
/// ```swift
/// shares.beginRequest(holding: true)
/// try PopulationShare.add(person: person, unit: unit, pending: shares, in: context)
/// shares.acceptRequest()
/// try shares.flush(db)   // before the commit
/// ```
final class PendingShares {
    struct Key: Hashable {
        var grid: String
        var facet: String
        var value: String
    }

    /// Shares not written yet.
    private var counts: [Key: Int64] = [:]
    /// The running request's own shares (held or flushed), to take back if it is refused.
    private var added: [Key] = []
    /// What the running request's flushes wrote, to hold again if its savepoint is rolled back.
    private var flushedInRequest: [Key: Int64] = [:]
    private var inRequest = false
    /// Whether the running request may leave shares here (``RegistryRequest/leavesSharesPending``);
    /// any other request's shares are written at once, so that a request run inside
    /// another (an import row's registration) never leaves one behind.
    private(set) var holding = false

    func add(_ key: Key) {
        counts[key, default: 0] += 1
        added.append(key)
    }

    func beginRequest(holding: Bool) {
        self.holding = holding
        inRequest = true
        added.removeAll(keepingCapacity: true)
        flushedInRequest.removeAll(keepingCapacity: true)
    }

    func acceptRequest() {
        endRequest()
    }

    /// Takes back the refused request's shares. `rolledBack`: its savepoint was rolled back,
    /// so what it flushed is unwritten and held again. (Without a savepoint the group is
    /// run again or rolled back whole, and these counts thrown away.)
    func discardRequest(rolledBack: Bool) {
        if rolledBack {
            for (key, people) in flushedInRequest { counts[key, default: 0] += people }
        }
        for key in added {
            let left = counts[key, default: 0] - 1
            counts[key] = left == 0 ? nil : left
        }
        endRequest()
    }

    private func endRequest() {
        holding = false
        inRequest = false
        added.removeAll(keepingCapacity: true)
        flushedInRequest.removeAll(keepingCapacity: true)
    }

    private static let upsert = """
        INSERT INTO population (grid, facet, value, people) VALUES (?, ?, ?, ?)
        ON CONFLICT (grid, facet, value) DO UPDATE SET people = people + excluded.people
        """

    /// Writes every share held.
    func flush(_ db: Database) throws {
        guard !counts.isEmpty else { return }
        // Found once in the statement cache for the whole flush; all four parameters are
        // bound again for every row.
        let statement = try RawStatement(db, Self.upsert)
        for (key, people) in counts {
            statement.bind(1, key.grid)
            statement.bind(2, key.facet)
            statement.bind(3, key.value)
            statement.bind(4, people)
            try statement.run()
            if inRequest { flushedInRequest[key, default: 0] += people }
        }
        counts.removeAll(keepingCapacity: true)
    }
}
