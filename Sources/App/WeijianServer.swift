import Access
import ChronicCare
import Contracting
import FHIR
import Referral
import Registry
import Supervision
import Collaboration
import Portal
import Surveillance
public import Hummingbird
import Indicators
import HummingbirdAuth
import Logging
import ServiceLifecycle

/// Assembles the HTTP application: routes, middleware and the database's lifecycle.
public enum WeijianServer {
    /// Builds the application over an open platform. The platform is closed when the application stops.
    public static func application(platform: Platform, configuration: AppConfiguration, logger: Logger = Logger(label: "weijian")) async throws -> some ApplicationProtocol {
        PlatformMetrics.bootstrap()
        let access = await AccessServices(platform: platform, configuration: configuration, secrets: platform.secrets)
        let sessions = DatabasePersistDriver(database: platform.database)
        let router = Router(context: AppRequestContext.self)
        if !configuration.trustedProxies.isEmpty { router.middlewares.add(ForwardedClientMiddleware(proxies: configuration.trustedProxies)) }
        router.middlewares.add(MetricsMiddleware())
        router.middlewares.add(DatabaseUnavailableMiddleware(logger: logger))
        router.middlewares.add(SecurityHeadersMiddleware())
        router.middlewares.add(SessionMiddleware(storage: sessions, configuration: SessionMiddlewareConfiguration(
            sessionCookieParameters: SessionCookieParameters(name: "weijian_session", path: "/", secure: configuration.secureCookies, sameSite: .strict),
            keyPrefix: "s.", defaultSessionExpiration: AccessRoutes.sessionLifetime
        )))
        router.middlewares.add(AuthenticationMiddleware(access: access))
        router.middlewares.add(WriteRateLimitMiddleware(access: access))
        router.middlewares.add(LargeTextMiddleware())
        registerRoutes(on: router, platform: platform, configuration: configuration, access: access)
        // The domain API's description, from the routes just registered (and this one).
        let document = OpenAPIDocument.make(routes: router.routes.map { (method: $0.method.rawValue, path: $0.path.description) } + [("GET", "/api/openapi.json")])
        let documentData = document.serializedData()
        router.get("api/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: documentData)))
        }
        StaticRoutes<AppRequestContext>().register(on: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "weijian"),
            services: [PlatformLifecycle(platform: platform), sessions, ContractExpiry(contracting: ContractingService(store: platform.fhir), logger: logger),
                       ScheduledWork(platform: platform, sender: configuration.notificationSender,
                                     webhook: configuration.signalWebhook.map { ($0, configuration.webhookSender) }, interval: configuration.notificationSeconds,
                                     hourlyJobs: configuration.hourlyJobs, logger: logger)],
            logger: logger
        )
    }

    /// Every route of the platform: the FHIR API, the domain API and the pages.
    static func registerRoutes(on router: Router<AppRequestContext>, platform: Platform, configuration: AppConfiguration, access: AccessServices) {
        HealthRoutes<AppRequestContext>(database: platform.database).register(on: router)
        FHIRRoutes(access: access, configuration: configuration).register(on: router)
        RegistryRoutes(registry: RegistryService(database: platform.database, fhir: platform.fhir), access: access).register(on: router)
        AccessRoutes(access: access).register(on: router)
        ResidentPortalRoutes(access: access, publicBaseURL: configuration.publicBaseURL).register(on: router)
        MessagingRoutes(database: platform.database).register(on: router)
        let surveillance = SurveillanceRoutes(access: access, surveillance: SurveillanceService(store: platform.fhir))
        surveillance.register(on: router)
        surveillance.registerPages(on: router)
        let contracting = ContractingRoutes(access: access, contracting: ContractingService(store: platform.fhir))
        contracting.register(on: router)
        contracting.registerPages(on: router)
        let chronic = ChronicRoutes(access: access, chronic: ChronicService(store: platform.fhir))
        chronic.register(on: router)
        chronic.registerPages(on: router)
        let referral = ReferralRoutes(access: access, referral: ReferralService(store: platform.fhir))
        referral.register(on: router)
        referral.registerPages(on: router)
        PlanTaskRoutes(access: access, tasks: PlanTaskService(database: platform.database)).register(on: router)
        SupervisionRoutes(access: access, waste: MedicalWaste(database: platform.database), water: DrinkingWater(database: platform.database),
                          licences: Licences(database: platform.database), referral: ReferralService(store: platform.fhir)).register(on: router)
        EnforcementRoutes(access: access, rules: EnforcementRules(platform: platform)).register(on: router)
        let collaboration = CollaborationRoutes(access: access, consultations: Consultations(store: platform.fhir), critical: CriticalCare(database: platform.database),
                                                emergency: Prehospital(database: platform.database), registry: RegistryService(database: platform.database, fhir: platform.fhir))
        collaboration.register(on: router)
        collaboration.registerPages(on: router)
        let portal = PortalRoutes(access: access, platform: platform, provider: configuration.paymentProvider)
        portal.register(on: router)
        portal.registerPages(on: router)
        LargeTextRoutes().register(on: router)
        ApprovalRoutes(access: access, approvals: Approvals(database: platform.database)).register(on: router)
        ImportRoutes(access: access, importer: LegacyImport(platform: platform), maxBodyBytes: configuration.maxBodyBytes).register(on: router)
        IndicatorRoutes(access: access, indicators: IndicatorService.platform(platform), registry: RegistryService(database: platform.database, fhir: platform.fhir),
                        surveillance: SurveillanceService(store: platform.fhir)).register(on: router)
        ServiceCircleRoutes(access: access, registry: RegistryService(database: platform.database, fhir: platform.fhir),
                            maxBodyBytes: configuration.maxBodyBytes).register(on: router)
        HomeRoutes<AppRequestContext>().register(on: router)
    }

    /// The method and path of every route the server answers (for tests that go over all of them).
    public static func routes(platform: Platform, configuration: AppConfiguration) async -> [(method: String, path: String)] {
        let router = Router(context: AppRequestContext.self)
        registerRoutes(on: router, platform: platform, configuration: configuration,
                       access: await AccessServices(platform: platform, configuration: configuration, secrets: platform.secrets))
        return router.routes.map { (method: $0.method.rawValue, path: $0.path.description) }
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
        // Every answer names its request (the id the logs carry), so that a client's report can be matched to them.
        let requestID = context.logger[metadataKey: "hb.request.id"]?.description ?? ""
        var response: Response
        do {
            response = try await next(request, context)
        } catch var error as HTTPError {
            error.headers[.init("X-Request-Id")!] = requestID
            throw error
        }
        response.headers[.init("X-Request-Id")!] = requestID
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        return response
    }
}
