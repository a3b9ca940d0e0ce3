import Foundation

/// `registry generate`: a synthetic county whose `areas.csv`, `units.csv` and
/// `residents.csv` import cleanly in that order.
///
/// The same seed gives the same bytes. Output is streamed: the only state kept grows with
/// the number of grids (about one per thousand people) and with the residents whose next
/// move is pending (at most a year ahead), not with the number of people, so ten million
/// residents need little more memory than ten thousand.
///
/// The story follows Gushi County: five subdistricts and towns with their own profiles
/// (see ``GushiGazetteer``), 18 months of history from ``windowStart`` to ``windowEnd``
/// in which 秀水街道's rental registration rate climbs from about 55% to about 92% while
/// about 80% of its residents are migrants, mostly from Henan, then Anhui and Hubei.
public struct CountyGenerator {
    /// The first day of the 18 months of history.
    public static let windowStart = CivilDate(year: 2025, month: 4, day: 1)!
    /// The last day of the 18 months of history.
    public static let windowEnd = CivilDate(year: 2026, month: 10, day: 1)!
    /// The earliest moves and discoveries.
    static let historyStart = CivilDate(year: 2017, month: 1, day: 1)!

    public var residents: Int
    public var seed: UInt64
    public var countyCode: String
    public var countyName: String

    public init(residents: Int, seed: UInt64 = 1, countyCode: String = "411525", countyName: String = "固始县") {
        self.residents = residents
        self.seed = seed
        self.countyCode = countyCode
        self.countyName = countyName
    }

    /// What was written.
    public struct Summary: Sendable {
        public var areas = 0
        public var units = 0
        public var rentalUnits = 0
        public var people = 0
        public var residenceRows = 0
    }

    /// Writes the three files into `directory` (created when missing).
    public func write(to directory: String) throws(RegistryError) -> Summary {
        guard residents >= 1 else { throw .invalid("residents", "must be at least 1") }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .invalid("out", "cannot create \(directory): \(error.localizedDescription)")
        }
        let layout = Layout(generator: self)
        var summary = Summary()
        summary.areas = try writeAreas(layout, to: directory + "/areas.csv")
        (summary.units, summary.rentalUnits) = try writeUnits(layout, to: directory + "/units.csv")
        (summary.people, summary.residenceRows) = try writeResidents(layout, to: directory + "/residents.csv")
        return summary
    }

    // MARK: - Layout

    /// The places: subdistricts, communities and grids, and how many units each grid has.
    struct Layout {
        struct Place {
            var profile: GushiGazetteer.Subdistrict
            var code: String
            var communities: [(code: String, name: String, grids: [String])]
            /// Units per grid, in the order of `allGrids`.
            var unitsPerGrid: [Int]
            var allGrids: [String] { communities.flatMap(\.grids) }
        }

        var places: [Place]

        init(generator: CountyGenerator) {
            let n = Double(generator.residents)
            let communityCount = min(12, max(2, generator.residents / 40_000))
            places = GushiGazetteer.subdistricts.map { profile in
                let code = generator.countyCode + profile.code.dropFirst(6)
                let people = n * profile.weight
                let gridsPerCommunity = min(999, max(2, Int((people / (1000 * Double(communityCount))).rounded(.up))))
                var communities: [(String, String, [String])] = []
                for c in 0..<communityCount {
                    let communityCode = code + Self.threeDigits(c + 1)
                    let grids = (0..<gridsPerCommunity).map { communityCode + Self.threeDigits($0 + 1) }
                    communities.append((communityCode, profile.communities[c % profile.communities.count], grids))
                }
                let gridCount = communityCount * gridsPerCommunity
                let units = max(gridCount, Int((people * 0.575).rounded(.up)))
                let unitsPerGrid = (0..<gridCount).map { units / gridCount + ($0 < units % gridCount ? 1 : 0) }
                return Place(profile: profile, code: code, communities: communities, unitsPerGrid: unitsPerGrid)
            }
        }

        static func threeDigits(_ value: Int) -> String {
            String(repeating: "0", count: max(0, 3 - String(value).count)) + String(value)
        }
    }

    /// A value from `seed` and `key` alone, so that both passes agree on a unit's kind.
    static func hash(_ seed: UInt64, _ key: UInt64) -> UInt64 {
        var rng = SplitMix64(seed: seed ^ (key &* 0x9E37_79B9_7F4A_7C15))
        return rng.next()
    }

    func isRental(place: Int, grid: Int, unit: Int, share: Double) -> Bool {
        let key = UInt64(place) << 48 | UInt64(grid) << 20 | UInt64(unit)
        return Double(Self.hash(seed, key) >> 11) / Double(1 << 53) < share
    }

    static func unitId(grid: String, index: Int) -> String {
        grid + "-" + String(repeating: "0", count: max(0, 4 - String(index + 1).count)) + String(index + 1)
    }

    // MARK: - Files

    private func writeAreas(_ layout: Layout, to path: String) throws(RegistryError) -> Int {
        let sink = try OutputSink.file(path)
        var count = 0
        try sink.append { CSVText.appendRow(["code", "name", "level", "parent"], to: &$0) }
        for place in layout.places {
            try sink.append { CSVText.appendRow([place.code, place.profile.name, "subdistrict", countyCode], to: &$0) }
            count += 1
            for community in place.communities {
                try sink.append { CSVText.appendRow([community.code, community.name, "community", place.code], to: &$0) }
                count += 1
                for (index, grid) in community.grids.enumerated() {
                    try sink.append { CSVText.appendRow([grid, "第\(index + 1)网格", "grid", community.code], to: &$0) }
                    count += 1
                }
            }
        }
        try sink.finish()
        return count
    }

    private func writeUnits(_ layout: Layout, to path: String) throws(RegistryError) -> (Int, Int) {
        let sink = try OutputSink.file(path)
        var rng = SplitMix64(seed: seed &+ 1)
        var people = PersonFactory()
        try sink.append {
            CSVText.appendRow(["unit_id", "grid", "address", "kind", "landlord_name", "landlord_id_number", "landlord_phone",
                               "discovered_on", "registered_on"], to: &$0)
        }
        let start = Self.windowStart.dayNumber, end = Self.windowEnd.dayNumber, history = Self.historyStart.dayNumber
        var units = 0, rentals = 0
        for (p, place) in layout.places.enumerated() {
            let profile = place.profile
            for (g, grid) in place.allGrids.enumerated() {
                let community = place.communities.first { grid.hasPrefix($0.code) }!
                for u in 0..<place.unitsPerGrid[g] {
                    let rental = isRental(place: p, grid: g, unit: u, share: profile.rentalShare)
                    let discovered = rng.chance(0.85) ? history + rng.below(start - history) : start + rng.below(end - start)
                    var registered: Int?
                    if rental {
                        if discovered < start {
                            if rng.chance(profile.rateAtStart) {
                                registered = discovered + rng.below(start - discovered)
                            } else if rng.chance((profile.rateAtEnd - profile.rateAtStart) / (1 - profile.rateAtStart)) {
                                registered = start + rng.below(end - start + 1)
                            }
                        } else if rng.chance(profile.rateAtEnd * 0.9) {
                            registered = discovered + rng.below(end - discovered + 1)
                        }
                    }
                    var landlord = ["", "", ""]
                    if rental {
                        let owner = people.person(hukou: countyCode + profile.code.suffix(3), age: 35 + rng.below(35),
                                                  male: rng.chance(0.6), on: CivilDate(dayNumber: discovered), rng: &rng)
                        landlord = [owner.name, owner.idNumber, people.phone(rng: &rng)]
                    }
                    let street = rng.element(GushiGazetteer.streets)
                    let building = 1 + rng.below(30), floor = 1 + rng.below(18), door = 1 + rng.below(4)
                    // Some clerks type an ASCII comma: the exports must quote it.
                    let address = rng.chance(0.1)
                        ? "\(community.name)\(street)\(building)号楼,\(floor)0\(door)室"
                        : "\(profile.name)\(community.name)\(street)\(building)号楼\(floor)0\(door)室"
                    try sink.append {
                        CSVText.appendRow([Self.unitId(grid: grid, index: u), grid, address, rental ? "rental" : "owner",
                                           landlord[0], landlord[1], landlord[2],
                                           CivilDate(dayNumber: discovered).description,
                                           registered.map { CivilDate(dayNumber: $0).description } ?? ""], to: &$0)
                    }
                    units += 1
                    if rental { rentals += 1 }
                }
            }
        }
        try sink.finish()
        return (units, rentals)
    }

    private struct PendingRow: Comparable {
        var date: Int
        var order: Int
        var fields: [String]
        static func < (a: PendingRow, b: PendingRow) -> Bool { (a.date, a.order) < (b.date, b.order) }
        static func == (a: PendingRow, b: PendingRow) -> Bool { (a.date, a.order) == (b.date, b.order) }
    }

    private func writeResidents(_ layout: Layout, to path: String) throws(RegistryError) -> (Int, Int) {
        let sink = try OutputSink.file(path)
        var rng = SplitMix64(seed: seed &+ 3)
        var people = PersonFactory()
        try sink.append {
            CSVText.appendRow(["id_number", "name", "phone", "hukou_code", "unit_id", "moved_in", "moved_out"], to: &$0)
        }
        let start = Self.windowStart.dayNumber, end = Self.windowEnd.dayNumber, history = Self.historyStart.dayNumber
        let weights = layout.places.enumerated().map { ($0.offset, $0.element.profile.weight) }
        var pending = Heap<PendingRow>()
        var order = 0
        var rows = 0
        var made = 0

        func randomUnit(_ p: Int) -> (id: String, grid: Int, index: Int, rental: Bool) {
            let place = layout.places[p]
            let grids = place.allGrids
            let g = rng.below(grids.count)
            let u = rng.below(place.unitsPerGrid[g])
            return (Self.unitId(grid: grids[g], index: u), g, u, isRental(place: p, grid: g, unit: u, share: place.profile.rentalShare))
        }

        while made < residents {
            // Moves happen in date order: 70% of people moved in before the window, 30% during it.
            let progress = Double(made) / Double(residents)
            let day = progress < 0.7
                ? history + Int(Double(start - history) * progress / 0.7)
                : start + Int(Double(end - start) * (progress - 0.7) / 0.3)
            let moveIn = CivilDate(dayNumber: day)
            let p = rng.pick(weights)
            let place = layout.places[p]
            let unit = randomUnit(p)
            let migrantChance = unit.rental ? min(0.97, place.profile.migrantShare * 1.15) : place.profile.migrantShare * 0.5
            let hukou: String
            if rng.chance(migrantChance) {
                let origin = rng.pick(GushiGazetteer.origins)
                hukou = rng.chance(0.5) ? origin + Layout.threeDigits(1 + rng.below(20)) : origin
            } else {
                // Locals: most registered in the township they live in, some elsewhere in the county (人户分离).
                let township = rng.chance(0.7) ? place.code : layout.places[rng.below(layout.places.count)].code
                hukou = rng.chance(0.5) ? township + Layout.threeDigits(1 + rng.below(12)) : township
            }
            let size = min(residents - made, rng.pick([(1, 25.0), (2, 25), (3, 25), (4, 17), (5, 8)]))
            let members = people.household(size: size, hukou: hukou, movedIn: moveIn, rng: &rng)
            // Some households move on within a year: to another unit, or away from the county.
            var moveOut: Int?
            var next: (id: String, grid: Int, index: Int, rental: Bool)?
            if rng.chance(0.08) {
                let out = day + 30 + rng.below(335)
                if out <= end {
                    moveOut = out
                    if rng.chance(0.7) { next = randomUnit(rng.pick(weights)) }
                }
            }
            while let first = pending.peek(), first.date <= day {
                _ = pending.pop()
                try sink.append { CSVText.appendRow(first.fields, to: &$0) }
                rows += 1
            }
            for member in members {
                let phone = member.hasPhone ? people.phone(rng: &rng) : ""
                try sink.append {
                    CSVText.appendRow([member.idNumber, member.name, phone, hukou, unit.id, moveIn.description,
                                       moveOut.map { CivilDate(dayNumber: $0).description } ?? ""], to: &$0)
                }
                rows += 1
                if let moveOut, let next {
                    order += 1
                    pending.push(PendingRow(date: moveOut, order: order, fields: [
                        member.idNumber, member.name, phone, hukou, next.id, CivilDate(dayNumber: moveOut).description, "",
                    ]))
                }
            }
            made += size
        }
        while let row = pending.pop() {
            try sink.append { CSVText.appendRow(row.fields, to: &$0) }
            rows += 1
        }
        try sink.finish()
        return (made, rows)
    }
}

/// A binary min-heap, for the residences that begin later than the one being written.
struct Heap<Element: Comparable> {
    private var items: [Element] = []

    func peek() -> Element? { items.first }

    mutating func push(_ item: Element) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < items.count && items[left] < items[smallest] { smallest = left }
            if right < items.count && items[right] < items[smallest] { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
