import Dispatch
import Foundation
import Testing
@testable import RegistryRPC

@Suite("Read lanes")
struct ReadLanesTests {
    @Test("a slow request holds up only its own lane: the requests after it go to the idle lanes")
    func slowRequestDoesNotBlockOthers() {
        let lanes = ReadLanes(count: 3)
        let release = DispatchSemaphore(value: 0)
        lanes.run { release.wait() }   // a long report, holding its lane
        let done = DispatchGroup()
        for _ in 0..<30 {
            done.enter()
            lanes.run { done.leave() }
        }
        // Round robin would queue every third request behind the blocked one.
        let finished = done.wait(timeout: .now() + 5) == .success
        release.signal()
        #expect(finished, "quick requests waited behind the slow one")
    }
}
