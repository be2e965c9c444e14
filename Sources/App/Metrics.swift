import Metrics
import Prometheus
import Synchronization

/// The process-wide Prometheus registry behind `/metrics`; swift-metrics is bootstrapped once.
enum PlatformMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// Makes sure the metrics system is bootstrapped.
    static func bootstrap() { _ = registry }
}
