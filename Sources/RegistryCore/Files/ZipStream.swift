import CDeflate
import Foundation

/// A zip archive written front to back into an ``OutputSink``, each entry deflated as its
/// bytes come: the container of an xlsx workbook that is never whole in memory or on disk.
///
/// ```swift
/// let zip = ZipStream(into: sink)
/// try zip.begin("xl/workbook.xml"); try zip.write(bytes); try zip.end()
/// try zip.finish()   // the central directory; the caller finishes the sink
/// ```
///
/// Entries use a data descriptor (general-purpose flag bit 3: sizes and CRC-32 after the
/// data, as a stream must) and UTF-8 names (bit 11), deflated by zlib at level 1: the sheets'
/// XML is repetitive and compresses well even so, and level 1 costs a fraction of the default
/// level's time. Times are 1980-01-01, as libxlsxwriter and Excel's own writers leave them
/// for reproducible files. Sizes and offsets are 32-bit (no Zip64): an entry or an archive past
/// 4 GiB is refused, which at about 800 bytes a row no sheet of 1,048,576 rows reaches.
final class ZipStream {
    private let sink: OutputSink
    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 1 << 16)
    private var offset: UInt64 = 0
    private var entries: [(name: [UInt8], crc: UInt32, compressed: UInt64, size: UInt64, offset: UInt64)] = []
    private var current: (name: [UInt8], crc: uLong, compressed: UInt64, size: UInt64, offset: UInt64)?

    /// Deflate level 1 (fastest).
    static let level: Int32 = 1

    init(into sink: OutputSink) {
        self.sink = sink
    }

    deinit {
        if current != nil { deflateEnd(&stream) }
    }

    /// Starts an entry named `name` (a path inside the archive).
    func begin(_ name: String) throws(RegistryError) {
        precondition(current == nil, "an entry is open")
        let nameBytes = Array(name.utf8)
        var header: [UInt8] = []
        header.le32(0x0403_4B50)
        header.le16(20)                 // version needed: 2.0 (deflate)
        header.le16(0x0808)             // data descriptor follows; UTF-8 name
        header.le16(8)                  // deflate
        header.le16(0); header.le16(0x21) // 00:00, 1980-01-01
        header.le32(0); header.le32(0); header.le32(0)
        header.le16(UInt16(nameBytes.count)); header.le16(0)
        header.append(contentsOf: nameBytes)
        current = (nameBytes, crc32(0, nil, 0), 0, 0, offset)
        try emit(header)
        stream = z_stream()
        let status = deflateInit2_(&stream, Self.level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY,
                                   ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else { throw RegistryError.storage("cannot start compressing the workbook (zlib \(status))") }
    }

    /// Adds bytes to the open entry.
    func write(_ bytes: UnsafeBufferPointer<UInt8>) throws(RegistryError) {
        guard var entry = current, let base = bytes.baseAddress, bytes.count > 0 else { return }
        entry.crc = crc32(entry.crc, base, uInt(bytes.count))
        entry.size += UInt64(bytes.count)
        current = entry
        stream.next_in = UnsafeMutablePointer(mutating: base)
        stream.avail_in = uInt(bytes.count)
        try deflateAll(flush: Z_NO_FLUSH)
    }

    /// Ends the open entry: the rest of its compressed bytes and its data descriptor.
    func end() throws(RegistryError) {
        guard current != nil else { return }
        stream.next_in = nil
        stream.avail_in = 0
        try deflateAll(flush: Z_FINISH)
        deflateEnd(&stream)
        let entry = current!
        current = nil
        let crc = UInt32(truncatingIfNeeded: entry.crc)
        guard entry.size <= UInt64(UInt32.max), entry.compressed <= UInt64(UInt32.max) else {
            throw RegistryError.storage("the workbook's \(String(decoding: entry.name, as: UTF8.self)) is larger than 4 GiB: export a smaller area or date range")
        }
        var descriptor: [UInt8] = []
        descriptor.le32(0x0807_4B50)
        descriptor.le32(crc)
        descriptor.le32(UInt32(entry.compressed))
        descriptor.le32(UInt32(entry.size))
        entries.append((entry.name, crc, entry.compressed, entry.size, entry.offset))
        try emit(descriptor)
    }

    /// Writes the central directory and its end record.
    func finish() throws(RegistryError) {
        try end()
        let start = offset
        var directory: [UInt8] = []
        for entry in entries {
            directory.le32(0x0201_4B50)
            directory.le16(20); directory.le16(20)
            directory.le16(0x0808); directory.le16(8)
            directory.le16(0); directory.le16(0x21)
            directory.le32(entry.crc)
            directory.le32(UInt32(entry.compressed)); directory.le32(UInt32(entry.size))
            directory.le16(UInt16(entry.name.count)); directory.le16(0); directory.le16(0)
            directory.le16(0); directory.le16(0); directory.le32(0)
            directory.le32(UInt32(entry.offset))
            directory.append(contentsOf: entry.name)
        }
        guard start + UInt64(directory.count) <= UInt64(UInt32.max) else {
            throw RegistryError.storage("the workbook is larger than 4 GiB: export a smaller area or date range")
        }
        let size = UInt32(directory.count)
        directory.le32(0x0605_4B50)
        directory.le16(0); directory.le16(0)
        directory.le16(UInt16(entries.count)); directory.le16(UInt16(entries.count))
        directory.le32(size); directory.le32(UInt32(start))
        directory.le16(0)
        try emit(directory)
    }

    /// Runs deflate until it has taken all the input (or, finishing, ended the stream),
    /// handing each block it makes to the sink.
    private func deflateAll(flush: Int32) throws(RegistryError) {
        while true {
            var status = Z_OK
            let produced = output.withUnsafeMutableBufferPointer { out -> Int in
                stream.next_out = out.baseAddress
                stream.avail_out = uInt(out.count)
                status = deflate(&stream, flush)
                return out.count - Int(stream.avail_out)
            }
            guard status != Z_STREAM_ERROR else { throw RegistryError.storage("cannot compress the workbook") }
            if produced > 0 {
                current!.compressed += UInt64(produced)
                let block = output
                try sink.appendBytes { $0.append(contentsOf: block[0..<produced]) }
                offset += UInt64(produced)
            }
            if flush == Z_FINISH ? status == Z_STREAM_END : stream.avail_out != 0 { return }
        }
    }

    private func emit(_ bytes: [UInt8]) throws(RegistryError) {
        try sink.appendBytes { $0.append(contentsOf: bytes) }
        offset += UInt64(bytes.count)
    }
}

private extension Array where Element == UInt8 {
    mutating func le16(_ value: UInt16) {
        append(UInt8(value & 0xFF)); append(UInt8(value >> 8))
    }

    mutating func le32(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}
