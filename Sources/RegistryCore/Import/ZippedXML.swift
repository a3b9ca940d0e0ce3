#if canImport(Glibc)
import Glibc
#endif
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import ZIPFoundation

/// One XML part of a zip archive (an xlsx workbook's sheet, its shared strings), parsed
/// with Foundation's `XMLParser` as it is inflated, never whole in memory.
///
/// ZIPFoundation inflates the part on a thread of its own into a pipe; the parser reads the
/// pipe's other end as a stream (`XMLParser(stream:)` feeds libxml2 block by block). The
/// pipe holds at most 64 KiB, so memory stays bounded however large the part.
/// A part that declares a DOCTYPE is refused: spreadsheet programs never write one, and its
/// entities are how a hostile file reads other files or expands into gigabytes (libxml2
/// dropped the text after an unresolved entity, so even a harmless one would store a
/// truncated name). External entities are never resolved either. The archive is used by one thread at a time (the
/// parts are read one after the other), hence `@unchecked Sendable`.
struct ZippedXML: @unchecked Sendable {
    let archive: Archive
    let entry: Entry

    /// Why a part could not be read.
    struct Failure: Error {
        var message: String
    }

    /// Parses the part with `delegate` on the calling thread; returns when the parse ends
    /// (at the part's end, or when the delegate aborts it).
    /// - Throws: ``Failure`` when the archive cannot be inflated or the XML is malformed
    ///   (not when the delegate aborted the parse).
    func parse(with delegate: XMLParserDelegate & ParseAborting) throws(Failure) {
        // A write into a pipe whose reader has gone must fail with EPIPE, not end the process.
        signal(SIGPIPE, SIG_IGN)
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw Failure(message: "cannot make a pipe: \(String(cString: strerror(errno)))") }
        let (readEnd, writeEnd) = (ends[0], ends[1])
        let inflater = Inflater(archive: archive, entry: entry, fd: writeEnd)
        let thread = Thread { inflater.run() }
        thread.stackSize = 1 << 20
        thread.start()
        guard let stream = InputStream(fileAtPath: "/dev/fd/\(readEnd)") else {
            close(readEnd)
            inflater.done.wait()
            throw Failure(message: "cannot read the workbook's \(entry.path)")
        }
        let parser = XMLParser(stream: stream)
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        let parsed = parser.parse()
        // Closing the read end makes a still-writing inflater fail and stop.
        close(readEnd)
        inflater.done.wait()
        if delegate.aborted { return }
        if let failure = inflater.failure { throw Failure(message: "the workbook's \(entry.path) \(failure)") }
        if !parsed {
            let line = parser.lineNumber
            throw Failure(message: "the workbook's \(entry.path) is not well-formed XML (line \(line) of the part): \(parser.parserError.map { "\($0)" } ?? "unknown error")")
        }
    }

    /// The whole part in memory, for the small ones (workbook, relationships, styles);
    /// refused past `limit` bytes.
    func data(limit: Int = 16 << 20) throws(Failure) -> Data {
        guard entry.uncompressedSize <= UInt64(limit) else {
            throw Failure(message: "the workbook's \(entry.path) is larger than \(limit >> 20) MiB")
        }
        var data = Data()
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                data.append(chunk)
                if data.count > limit { throw Failure(message: "the workbook's \(entry.path) is larger than \(limit >> 20) MiB") }
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(message: "the workbook's \(entry.path) cannot be inflated: \(error)")
        }
        if Self.declaresDoctype(data) { throw Failure(message: "the workbook's \(entry.path) \(Self.doctypeRefusal)") }
        return data
    }

    static let doctypeRefusal = "declares a DOCTYPE, which spreadsheet programs never write: the file is refused"

    /// Whether the prolog (the first 4 KiB) holds `<!DOCTYPE`.
    static func declaresDoctype(_ bytes: Data) -> Bool {
        let marker = Array("<!DOCTYPE".utf8)
        let head = Array(bytes.prefix(4096))
        guard head.count >= marker.count else { return false }
        return (0...(head.count - marker.count)).contains { head[$0..<($0 + marker.count)].elementsEqual(marker) }
    }

    /// Inflates the part into the pipe's write end, then closes it.
    private final class Inflater: @unchecked Sendable {
        let archive: Archive
        let entry: Entry
        let fd: Int32
        let done = DispatchSemaphore(value: 0)
        private(set) var failure: String?

        init(archive: Archive, entry: Entry, fd: Int32) {
            self.archive = archive
            self.entry = entry
            self.fd = fd
        }

        func run() {
            defer {
                close(fd)
                done.signal()
            }
            var first = true
            do {
                _ = try archive.extract(entry, bufferSize: 1 << 16) { chunk in
                    if first {
                        first = false
                        if ZippedXML.declaresDoctype(chunk) { throw Failure(message: ZippedXML.doctypeRefusal) }
                    }
                    try chunk.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws in
                        var offset = 0
                        while offset < bytes.count {
                            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                            if written < 0 {
                                if errno == EINTR { continue }
                                throw Failure(message: "the reader stopped")
                            }
                            offset += written
                        }
                    }
                }
            } catch let stopped as Failure where stopped.message == "the reader stopped" {
                // The parser ended first (it aborted, or the XML ended early): not an inflating error.
            } catch let refused as Failure {
                failure = refused.message
            } catch {
                failure = "cannot be inflated: \(error)"
            }
        }
    }
}

/// A parser delegate that may stop a parse on purpose.
protocol ParseAborting: AnyObject {
    /// Whether the delegate aborted the parse (so its failure is not the file's).
    var aborted: Bool { get }
}
