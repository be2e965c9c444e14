import Contracting
import Logging
import ServiceLifecycle

/// Ends contracts that reached their last day without renewal: at start, then every hour until shutdown.
struct ContractExpiry: Service {
    let contracting: ContractingService
    let logger: Logger

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                do {
                    let ended = try await contracting.expireDue()
                    if ended > 0 { logger.info("contracts expired", metadata: ["count": "\(ended)"]) }
                } catch {
                    logger.error("contract expiry failed", metadata: ["error": "\(type(of: error))"])
                }
                try await Task.sleep(for: .seconds(3600))
            }
        }
    }
}
