import Foundation

/// A calendar day (`YYYY-MM-DD`) with no time and no time zone.
///
/// Dates in the registry are days on a wall calendar: a move-in date, a registration date,
/// a birth date. They never pass through `Date`, so no time zone can shift them by a day.
/// Ordering is chronological, and ``description`` is the contract's `YYYY-MM-DD` form.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Creates a date, or returns `nil` when the day does not exist (2025-02-29, 2025-04-31)
    /// or the year is outside 1...9999.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              day >= 1, day <= CivilDate.daysIn(month: month, year: year) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD` (four-digit year, two-digit month and day, a real day).
    /// Anything else — `2025-1-05`, `2025-02-30`, a time or a time zone — returns `nil`.
    public init?(_ text: String) {
        self.init(isoBytes: Array(text.utf8))
    }

    /// ``init(_:)`` over UTF-8 bytes (a column's text as SQLite holds it).
    init?(isoBytes bytes: some RandomAccessCollection<UInt8>) {
        let bytes = Array(bytes)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var description: String {
        // Built by hand: `String(format:)` costs microseconds on Linux, and dates are printed
        // on every hot path. Ten bytes written in place make a small string, stored inline: no
        // allocation. (Not `String(decoding:)` of a slice of raw bytes: that generic path looks up
        // type metadata on every call.)
        String(unsafeUninitializedCapacity: 10) { bytes in
            bytes[0] = UInt8(48 + year / 1000 % 10)
            bytes[1] = UInt8(48 + year / 100 % 10)
            bytes[2] = UInt8(48 + year / 10 % 10)
            bytes[3] = UInt8(48 + year % 10)
            bytes[4] = 0x2D
            bytes[5] = UInt8(48 + month / 10)
            bytes[6] = UInt8(48 + month % 10)
            bytes[7] = 0x2D
            bytes[8] = UInt8(48 + day / 10)
            bytes[9] = UInt8(48 + day % 10)
            return 10
        }
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Days since 1970-01-01 (negative before), for day arithmetic.
    public var dayNumber: Int {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The date `dayNumber` days after 1970-01-01.
    public init(dayNumber: Int) {
        let z = dayNumber + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        self.year = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.month = m
        self.day = d
    }

    /// The first and last days a `CivilDate` can hold (four-digit years).
    public static let earliest = CivilDate(year: 1, month: 1, day: 1)!
    public static let latest = CivilDate(year: 9999, month: 12, day: 31)!

    /// The day `days` days later, kept within ``earliest``...``latest`` (arithmetic on a
    /// request's date, such as `asOf` minus 60 years, must not leave the calendar).
    public func adding(days: Int) -> CivilDate {
        let target = dayNumber + days
        if target < Self.earliest.dayNumber { return Self.earliest }
        if target > Self.latest.dayNumber { return Self.latest }
        return CivilDate(dayNumber: target)
    }

    /// The same day `months` calendar months later, or that month's last day when it is
    /// shorter (2025-01-31 plus one month is 2025-02-28); kept within
    /// ``earliest``...``latest``.
    public func adding(months: Int) -> CivilDate {
        let total = year * 12 + (month - 1) + months
        if total < 12 { return Self.earliest }
        if total >= 10000 * 12 { return Self.latest }
        let newYear = total / 12
        let newMonth = total % 12 + 1
        let newDay = min(day, CivilDate.daysIn(month: newMonth, year: newYear))
        return CivilDate(year: newYear, month: newMonth, day: newDay)!
    }

    /// The same month and day `years` earlier or later; 29 February becomes 28 February
    /// in a year without it.
    public func adding(years: Int) -> CivilDate {
        adding(months: years * 12)
    }

    /// Whole years of age on `date` for someone born on `self`: a person turns a year older
    /// on the month and day of their birth, or on 1 March when that day does not exist.
    public func age(on date: CivilDate) -> Int {
        var age = date.year - year
        if (date.month, date.day) < (month, day) { age -= 1 }
        return age
    }

    /// The local calendar date of the machine running the program.
    public static func today() -> CivilDate {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        return CivilDate(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday))!
    }
}

extension CivilDate: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CivilDate(text) else {
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "not a date",
                underlyingError: RegistryError.invalidDate(text)))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
