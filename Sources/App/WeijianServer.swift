import FHIR
import Registry
public import Hummingbird
import Logging
import ServiceLifecycle

/// Assembles the HTTP application: routes, middleware and the database's lifecycle.
public enum WeijianServer {
    /// Builds the application over an open platform. The platform is closed when the application stops.
    public static func application(platform: Platform, configuration: AppConfiguration, logger: Logger = Logger(label: "weijian")) -> some ApplicationProtocol {
        PlatformMetrics.bootstrap()
        let router = Router(context: BasicRequestContext.self)
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(SecurityHeadersMiddleware())
        HealthRoutes<BasicRequestContext>(database: platform.database).register(on: router)
        FHIRRoutes<BasicRequestContext>(service: FHIRService(store: platform.fhir), configuration: configuration).register(on: router)
        RegistryRoutes<BasicRequestContext>(registry: RegistryService(database: platform.database, fhir: platform.fhir)).register(on: router)
        HomeRoutes<BasicRequestContext>().register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "weijian"),
            services: [PlatformLifecycle(platform: platform)],
            logger: logger
        )
    }
}

/// Closes the database when the server shuts down gracefully.
struct PlatformLifecycle: Service {
    let platform: Platform

    func run() async throws {
        try? await gracefulShutdown()
        await platform.shutdown()
    }
}

/// Adds the headers every response should carry.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        return response
    }
}
