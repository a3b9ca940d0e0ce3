#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Reads newline-delimited lines from a file descriptor in large chunks, with a limit on
/// a line's length, and hands over all the lines that one read made complete: the unit of
/// group commit. Memory stays bounded by the limit plus one chunk, however long the stream.
public struct LineReader {
    /// One input line, or the place of a line that was longer than the limit (its bytes are
    /// skipped up to the next newline).
    public enum Item: Equatable {
        case line(Data)
        case tooLong
    }

    private let fd: Int32
    private let maxLineBytes: Int
    private let chunkSize: Int
    private var pending = Data()
    /// While true, bytes are dropped until the next newline: the rest of an over-long line.
    private var skipping = false
    private var finished = false

    public init(fd: Int32, maxLineBytes: Int, chunkSize: Int = 1 << 18) {
        self.fd = fd
        self.maxLineBytes = maxLineBytes
        self.chunkSize = chunkSize
    }

    /// The lines completed by the next read (waiting for input if none is ready), or `nil`
    /// at the end of the input. A last line without a newline counts as a line.
    public mutating func nextBatch() -> [Item]? {
        var items: [Item] = []
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        while items.isEmpty {
            if finished { return nil }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, chunkSize) }
            if count < 0 {
                if errno == EINTR { continue }
                finished = true
            } else if count == 0 {
                finished = true
            } else {
                buffer.withUnsafeBytes { split(UnsafeRawBufferPointer(rebasing: $0[0..<count]), into: &items) }
            }
            if finished {
                if skipping {
                    skipping = false
                } else if !pending.isEmpty {
                    items.append(.line(pending))
                }
                pending = Data()
                return items.isEmpty ? nil : items
            }
        }
        return items
    }

    private mutating func split(_ bytes: UnsafeRawBufferPointer, into items: inout [Item]) {
        var start = 0
        let base = bytes.baseAddress!
        while start < bytes.count {
            let rest = bytes.count - start
            guard let hit = memchr(base + start, Int32(UInt8(ascii: "\n")), rest) else {
                // No newline: keep the bytes, unless the line is already over the limit.
                if !skipping {
                    if pending.count + rest > maxLineBytes {
                        items.append(.tooLong)
                        pending = Data()
                        skipping = true
                    } else {
                        pending.append(base.advanced(by: start).assumingMemoryBound(to: UInt8.self), count: rest)
                    }
                }
                return
            }
            let end = base.distance(to: UnsafeRawPointer(hit))
            let length = end - start
            if skipping {
                skipping = false
            } else if pending.count + length > maxLineBytes {
                items.append(.tooLong)
                pending = Data()
            } else {
                pending.append(base.advanced(by: start).assumingMemoryBound(to: UInt8.self), count: length)
                items.append(.line(pending))
                pending = Data()
            }
            start = end + 1
        }
    }
}
