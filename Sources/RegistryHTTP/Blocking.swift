import Dispatch
import RegistryCore

/// Runs blocking work (bcrypt, a synchronous database call) on a GCD thread, so that it
/// never holds one of the few cooperative threads that every request's async code needs.
enum Blocking {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws(RegistryError) -> T) async throws(RegistryError) -> T {
        let result: Result<T, RegistryError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(RegistryError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
