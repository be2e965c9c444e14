import Dispatch
import HummingbirdBcrypt

/// bcrypt password hashing (hummingbird-auth), run off the cooperative thread pool because it is slow by design.
public struct PasswordHasher: Sendable {
    /// The bcrypt cost (log2 rounds): 12 in production; tests may lower it to keep the suite fast.
    public let cost: UInt8

    /// Creates a hasher.
    public init(cost: UInt8 = 12) {
        self.cost = min(31, max(4, cost))
    }

    /// The bcrypt hash of a password.
    public func hash(_ password: String) async -> String {
        let cost = self.cost
        return await Self.offload { Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash`.
    public func verify(_ password: String, hash: String) async -> Bool {
        await Self.offload { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash of nothing, verified against when the account does not exist, so that the answer takes as long either way.
    public func dummyVerify(_ password: String) async {
        _ = await verify(password, hash: "$2b$\(cost < 10 ? "0" : "")\(cost)$C6UzMDM.H6dfI/f/IKxGhu7oV1vQaMNU0drBqeQy.DkqB9vZW.JW.")
    }

    private static func offload<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }

    /// Why a password is refused, in Chinese for the person choosing it; nil when acceptable.
    public static func weakness(of password: String, username: String) -> String? {
        if password.count < 10 { return "密码至少10位" }
        if password.count > 128 { return "密码不能超过128位" }
        let letters = password.contains { $0.isLetter }
        let digits = password.contains { $0.isNumber }
        if !(letters && digits) { return "密码须同时包含字母和数字" }
        if password.lowercased().contains(username.lowercased()) { return "密码不能包含用户名" }
        return nil
    }
}
