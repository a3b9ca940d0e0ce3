import Foundation

/// RFC 3339 timestamps in UTC with milliseconds (`2026-11-29T08:30:00.125Z`), as stored
/// in `recorded_at` and `at`.
public enum Timestamp {
    /// The current time.
    public static func now() -> String {
        format(Date())
    }

    public static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let millis = Int(((seconds - Double(whole)) * 1000).rounded(.down))
        var parts = tm()
        gmtime_r(&whole, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                      Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }
}
