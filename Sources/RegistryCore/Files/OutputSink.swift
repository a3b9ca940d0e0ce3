#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where an export goes: standard output, or a file that appears whole or not at all.
///
/// Bytes are buffered and written in large blocks. A file export is written to a temporary
/// file beside the target (mode 0600), synced, and renamed over the target only by
/// ``finish()``; an export that fails midway leaves no partial file behind.
public final class OutputSink {
    private let fd: Int32
    private let temporaryPath: String?
    private let finalPath: String?
    private var buffer: [UInt8] = []
    private var finished = false
    private static let blockSize = 1 << 16

    /// Standard output.
    public static func standardOutput() -> OutputSink {
        OutputSink(fd: STDOUT_FILENO, temporaryPath: nil, finalPath: nil)
    }

    /// A file, written atomically.
    public static func file(_ path: String) throws(RegistryError) -> OutputSink {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else {
            throw RegistryError(.invalidParams, reason: "cannot_write", field: "output",
                                message: "cannot write \(path): \(String(cString: strerror(errno)))")
        }
        return OutputSink(fd: fd, temporaryPath: temporary, finalPath: path)
    }

    private init(fd: Int32, temporaryPath: String?, finalPath: String?) {
        self.fd = fd
        self.temporaryPath = temporaryPath
        self.finalPath = finalPath
        buffer.reserveCapacity(Self.blockSize + 4096)
    }

    deinit {
        if !finished, let temporaryPath {
            close(fd)
            unlink(temporaryPath)
        }
    }

    /// Appends text; writes a block when the buffer is full.
    public func write(_ text: String) throws(RegistryError) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.blockSize { try flush() }
    }

    /// Appends the text `body` writes, then writes a block when the buffer is full.
    public func append(_ body: (inout String) -> Void) throws(RegistryError) {
        var text = ""
        body(&text)
        try write(text)
    }

    /// Appends UTF-8 bytes straight to the buffer through `body` (the CSV export's rows,
    /// copied from SQLite's own column text), then writes a block when it is full.
    func appendBytes(_ body: (inout [UInt8]) -> Void) throws(RegistryError) {
        body(&buffer)
        if buffer.count >= Self.blockSize { try flush() }
    }

    public func flush() throws(RegistryError) {
        var failure: Int32 = 0
        buffer.withUnsafeBufferPointer { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 {
            throw RegistryError.storage("cannot write the export: \(String(cString: strerror(failure)))")
        }
    }

    /// Writes what is buffered and, for a file, syncs it and moves it into place.
    public func finish() throws(RegistryError) {
        try flush()
        finished = true
        guard let temporaryPath, let finalPath else { return }
        guard fsync(fd) == 0, close(fd) == 0, rename(temporaryPath, finalPath) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw RegistryError.storage("cannot write \(finalPath): \(message)")
        }
    }
}
