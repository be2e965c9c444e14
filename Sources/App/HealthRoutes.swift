import Hummingbird
import Metrics
import NIOCore
import Prometheus
import Storage

/// `/health/live`, `/health/ready` and `/metrics`.
struct HealthRoutes<Context: RequestContext> {
    let database: Database

    func register(on router: Router<Context>) {
        router.get("health/live") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "live\n")))
        }
        router.get("health/ready") { _, _ in
            do {
                _ = try await database.read { try await $0.raw("SELECT 1 AS one").first() }
                // With a read replica (DATABASE_REPLICA_URL) the searches depend on it too.
                if database.hasReplica { _ = try await database.reader.read { try await $0.raw("SELECT 1 AS one").first() } }
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ready\n")))
            } catch {
                return Response(status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: "database unavailable\n")))
            }
        }
        router.get("metrics") { _, _ in
            // The pools' sizes beside the operations in flight (weijian_db_operations_in_flight) that fill them.
            Gauge(label: "weijian_db_pool_connections", dimensions: [("database", "primary")]).record(database.poolSize)
            if database.hasReplica { Gauge(label: "weijian_db_pool_connections", dimensions: [("database", "replica")]).record(database.reader.poolSize) }
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: PlatformMetrics.registry.emitToBuffer()))
            )
        }
    }
}
