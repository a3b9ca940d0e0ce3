#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where an export's bytes end up: a file that appears whole or not at all, standard
/// output, or (for the web service) a response body. The export writes through an
/// ``OutputSink``, which buffers and hands over large blocks.
public protocol ExportDestination: AnyObject {
    /// Takes the next block of bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws(RegistryError)
    /// The output is complete: make it visible (a file is synced and moved into place).
    func finish() throws(RegistryError)
    /// The output failed midway: leave nothing partial behind, where that can be done.
    func abandon()
}

/// The buffer an export writes into, in front of an ``ExportDestination``.
///
/// Bytes are gathered and handed over in blocks of 64 KiB. A sink that is neither
/// finished nor abandoned abandons its destination when it goes away.
public final class OutputSink {
    private let destination: any ExportDestination
    private var buffer: [UInt8] = []
    private var done = false
    private static let blockSize = 1 << 16

    public init(_ destination: any ExportDestination) {
        self.destination = destination
        buffer.reserveCapacity(Self.blockSize + 4096)
    }

    /// Standard output.
    public static func standardOutput() -> OutputSink {
        OutputSink(DescriptorDestination(fd: STDOUT_FILENO))
    }

    /// A file, written atomically and safely: see ``FileDestination``.
    public static func file(_ path: String) throws(RegistryError) -> OutputSink {
        OutputSink(try FileDestination(path: path))
    }

    deinit {
        if !done { destination.abandon() }
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
    func appendBytes(_ body: (inout [UInt8]) throws(RegistryError) -> Void) throws(RegistryError) {
        try body(&buffer)
        if buffer.count >= Self.blockSize { try flush() }
    }

    /// Hands what is buffered to the destination.
    public func flush() throws(RegistryError) {
        guard !buffer.isEmpty else { return }
        defer { buffer.removeAll(keepingCapacity: true) }
        var failure: RegistryError?
        buffer.withUnsafeBytes { bytes in
            do throws(RegistryError) { try destination.write(bytes) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes what is buffered and completes the destination.
    public func finish() throws(RegistryError) {
        try flush()
        done = true
        try destination.finish()
    }

    /// Gives up: the destination leaves nothing partial behind.
    public func abandon() {
        done = true
        destination.abandon()
    }
}

/// An open file descriptor the export writes to (standard output).
public final class DescriptorDestination: ExportDestination {
    private let fd: Int32

    public init(fd: Int32) { self.fd = fd }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(RegistryError) {
        try Self.writeAll(fd, bytes)
    }

    public func finish() throws(RegistryError) {}
    public func abandon() {}

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(RegistryError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw RegistryError.storage("cannot write the export: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}

/// A file written whole or not at all, safely beside its target.
///
/// The bytes go to a new temporary file in the target's folder, created exclusively
/// (`mkstemp`: a random name, `O_CREAT | O_EXCL`, mode 0600, never through a symbolic link,
/// so nobody can have made it first, read it, or pointed it elsewhere), then synced and
/// renamed onto the target. The target must be a new name or an existing regular file:
/// a device (`/dev/stdout`), a symbolic link or a folder is refused (`unsafe_output`); `-o -`
/// is the way to write to standard output.
public final class FileDestination: ExportDestination {
    private var fd: Int32
    private let temporaryPath: String
    private let finalPath: String

    public init(path: String) throws(RegistryError) {
        var info = stat()
        if lstat(path, &info) == 0 && (info.st_mode & S_IFMT) != S_IFREG {
            throw RegistryError(.invalidParams, reason: .unsafeOutput, field: "output",
                                message: "output: \(path) is not a regular file (a device, a symbolic link or a folder): name a new file, or use -o - for standard output")
        }
        let directory = (path as NSString).deletingLastPathComponent
        var template = Array(((directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw RegistryError(.invalidParams, reason: .cannotWrite, field: "output",
                                message: "output: cannot write \(path): \(String(cString: strerror(errno)))")
        }
        fchmod(descriptor, 0o600)
        fd = descriptor
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        finalPath = path
    }

    deinit { abandon() }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(RegistryError) {
        try DescriptorDestination.writeAll(fd, bytes)
    }

    public func finish() throws(RegistryError) {
        guard fd >= 0 else { return }
        let ok = fsync(fd) == 0 && close(fd) == 0
        fd = -1
        guard ok, rename(temporaryPath, finalPath) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw RegistryError.storage("cannot write \(finalPath): \(message)")
        }
    }

    public func abandon() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
        unlink(temporaryPath)
    }
}

/// Bytes kept in memory: a small file built whole before it is sent (the weekly diff's
/// download) and tests.
public final class MemoryDestination: ExportDestination {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []
    /// Whether the output was completed.
    public private(set) var finished = false

    public init() {}

    public func write(_ block: UnsafeRawBufferPointer) throws(RegistryError) { bytes.append(contentsOf: block) }
    public func finish() throws(RegistryError) { finished = true }
    public func abandon() { bytes = [] }
}
