import ChronicCare
import FHIR
import Foundation
import Indicators
import Registry
import Logging
import Messaging
import ServiceLifecycle
import Supervision
import Portal
import Surveillance

/// The hourly runs and reminders to residents (提醒): every hour the chronic programmes put due follow-ups and
/// checks in the outbox, the early-warning detectors run over each district's case reports and the non-site
/// enforcement rules open their cases; every `notificationSeconds` the dispatcher sends what waits, looking up each resident's mobile
/// number in their record at that moment. Logs carry counts only. With several server processes on one database,
/// each hourly run is made by one of them (``JobLease``: the process that claims `hourly` when it is due) and each
/// message is sent by the dispatcher that claimed it.
struct ScheduledWork: Service {
    let chronic: ChronicService
    let surveillance: SurveillanceService
    let dispatcher: NotificationDispatcher
    let indicators: IndicatorService
    let registry: RegistryService
    let waste: MedicalWaste
    let enforcement: EnforcementRules
    let complaints: PortalComplaints
    let jobs: JobLease
    let interval: Int
    let hourlyJobs: Bool
    let logger: Logger

    init(platform: Platform, sender: any NotificationSender, webhook: (url: String, sender: any NotificationSender)?, interval: Int, hourlyJobs: Bool, logger: Logger) {
        chronic = ChronicService(store: platform.fhir)
        surveillance = SurveillanceService(store: platform.fhir)
        indicators = IndicatorService.platform(platform)
        registry = RegistryService(database: platform.database, fhir: platform.fhir)
        waste = MedicalWaste(database: platform.database)
        enforcement = EnforcementRules(platform: platform)
        complaints = PortalComplaints(ratings: Ratings(database: platform.database), enforcement: Enforcement(database: platform.database))
        dispatcher = NotificationDispatcher(database: platform.database, sender: sender, address: ResidentAddressBook(store: platform.fhir).mobile, webhook: webhook)
        jobs = JobLease(database: platform.database)
        self.interval = max(1, interval)
        self.hourlyJobs = hourlyJobs
        self.logger = logger
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while true {
                do {
                    // Claimed for up to an hour: a process that dies in the middle holds the others off that long.
                    if hourlyJobs, let run = try await jobs.runIfDue(JobLease.hourly, every: 3600, lease: 3600, { try await hourlyRun() }) {
                        logger.info("hourly run", metadata: ["chronic reminders considered": "\(run.considered)", "new signals": "\(run.signals)",
                                                             "indicator values": "\(run.values)", "medical waste overdue alerts": "\(run.overdue)",
                                                             "supervision cases opened": "\(run.cases)"])
                    }
                    let report = try await JobMetrics.run("notifications") { try await dispatcher.run() }
                    if !report.isEmpty {
                        logger.info("notifications dispatched", metadata: ["sent": "\(report.sent)", "retried": "\(report.retried)",
                                                                           "failed": "\(report.failed)", "undeliverable": "\(report.undeliverable)"])
                    }
                } catch {
                    logger.error("scheduled work failed", metadata: ["error": "\(type(of: error))"])
                }
                try await Task.sleep(for: .seconds(interval))
            }
        }
    }

    /// What an hourly run did, for the log.
    struct HourlyRun: Sendable {
        var considered = 0, signals = 0, values = 0, overdue = 0, cases = 0
    }

    /// The hourly jobs, in order.
    func hourlyRun() async throws -> HourlyRun {
        var run = HourlyRun()
        run.considered = try await JobMetrics.run("chronic-reminders") { try await chronic.enqueueReminders() }
        run.signals = try await JobMetrics.run("detectors") { try await surveillance.detectSignalsEverywhere() }
        JobMetrics.signalsGenerated(run.signals)
        let districts = try await registry.districtsWithResidents()
        run.values = try await JobMetrics.run("indicators") {
            var values = 0
            for district in districts { values += try await indicators.recompute(district: district) }
            return values
        }
        run.overdue = try await JobMetrics.run("medical-waste") { try await waste.checkOverdue() }
        // After the waste check, so that its new alerts become cases in the same run.
        run.cases = try await JobMetrics.run("enforcement-rules") {
            var cases = 0
            for district in districts { cases += try await enforcement.run(district: district).count }
            // Residents' complaints whose forwarding failed when they were made.
            cases += try await complaints.forwardPending().count
            return cases
        }
        return run
    }
}

/// A resident's address for notifications: the mobile phone in their Patient record (opened by the store).
struct ResidentAddressBook: Sendable {
    let store: FHIRStore

    @Sendable func mobile(_ patient: String) async throws -> String? {
        guard FHIRID.isValid(patient), let stored = try await store.read(type: "Patient", id: patient), !stored.deleted else { return nil }
        let phones = (try JSONValue.parse(Data(stored.content.utf8))["telecom"]?.arrayValue ?? []).filter { $0["system"]?.stringValue == "phone" }
        return (phones.first { $0["use"]?.stringValue == "mobile" } ?? phones.first)?["value"]?.stringValue
    }
}
