import Foundation
@testable import SyncStore
import Testing

/// Who holds the state lock, read from the kernel, and messages that fit the holder.
@Suite struct StateLockTests {
    @Test func theHolderIsReadFromTheKernelAndAStaleFileIsNotRunning() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-lock-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = dir + "/state.db"
        var lock: StateLock? = try StateLock(statePath: state)
        let holder = try #require(StateLockHolder.find(lockPath: state + ".lock"))
        #expect(holder.pid == getpid())
        #expect(!holder.command.isEmpty)
        withExtendedLifetime(lock) {}
        lock = nil
        // The file still says "pid N: ..." but nobody holds it.
        #expect(FileManager.default.contents(atPath: state + ".lock").map { String(decoding: $0, as: UTF8.self) }?.hasPrefix("pid \(getpid()): ") == true)
        #expect(StateLockHolder.find(lockPath: state + ".lock") == nil)
    }

    @Test func procLocksLinesAreMatchedByDeviceAndInode() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-lockline-\(UUID())").path
        FileManager.default.createFile(atPath: path, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: path) }
        var st = stat()
        #expect(stat(path, &st) == 0)
        let dev = String(StateLockHolder.major(UInt64(st.st_dev)), radix: 16) + ":" + String(StateLockHolder.minor(UInt64(st.st_dev)), radix: 16)
        let locks = "1: POSIX  ADVISORY  WRITE 77 \(dev):\(st.st_ino) 0 EOF\n2: FLOCK  ADVISORY  WRITE 1 \(dev):\(st.st_ino) 0 EOF\n"
        #expect(StateLockHolder.find(lockPath: path, locks: locks)?.pid == 1)
        #expect(StateLockHolder.find(lockPath: path, locks: "2: FLOCK  ADVISORY  WRITE 1 \(dev):\(st.st_ino + 1) 0 EOF\n") == nil)
    }

    @Test func messagesFitWhoHoldsTheLockAndWhoAsks() {
        let service = StateLock.Busy(path: "/s", holder: "pid 1", process: StateLockHolder(pid: 1, command: "galsync run"))
        #expect(service.description.contains("systemctl kill -s USR1 galsync") && !service.description.contains("running a cycle"), "\(service)")
        let manual = StateLock.Busy(path: "/s", holder: "pid 2", process: StateLockHolder(pid: 2, command: "galsync sync"), askedByService: true)
        #expect(manual.description.hasPrefix("galsync sync (pid 2) is working on the state") && !manual.description.contains("systemctl stop"), "\(manual)")
        let oneShot = StateLock.Busy(path: "/s", holder: "pid 2", process: StateLockHolder(pid: 2, command: "galsync purge"))
        #expect(oneShot.description.contains("--wait-lock"), "\(oneShot)")
        #expect(StateLockHolder.describe(["/usr/bin/galsync", "run", "--config", "x"]) == "galsync run")
    }

    @Test func acquireWaitsForTheHolderToLetGo() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("galsync-wait-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let state = dir + "/state.db"
        // flock locks belong to the open file: a second open in this process conflicts too.
        let first = try StateLock(statePath: state)
        await #expect(throws: StateLock.Busy.self) { _ = try await StateLock.acquire(statePath: state, waiting: .milliseconds(300)) }
        async let second = StateLock.acquire(statePath: state, waiting: .seconds(10))
        try await Task.sleep(for: .milliseconds(400))
        withExtendedLifetime(first) {}
        _ = consume first
        #expect(try await second.path == state + ".lock")
    }
}
