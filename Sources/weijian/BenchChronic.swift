import Access
import App
import ArgumentParser
import ChronicCare
import Foundation
import Registry
import SQLKit
import Storage

/// `weijian bench chronic`: a district of N residents (a quarter hypertensive, a tenth with type 2 diabetes,
/// six readings a year for each) written straight into the resident directory and the chronic tables, then
/// every follow-up schedule and control status recomputed, and the rates by 街道 computed, timed.
struct BenchChronic: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chronic", abstract: "Time recomputing every chronic follow-up schedule and control rate of a district.")
    @Option(help: "Residents in the district.") var residents = 1_000_000
    @Option(help: "Database URL; default a new SQLite file in a temporary folder. A PostgreSQL URL gets a fresh schema, dropped afterwards.") var database: String?

    func run() async throws {
        let base = try database.map(DatabaseConfiguration.parse) ?? DatabaseConfiguration(location: .sqliteFile(path: NSTemporaryDirectory() + "weijian-bench-\(UUID().uuidString).sqlite"))
        let fresh = try await BenchIngest.fresh(base, name: "chronic")
        let platform = try await Platform.open(fresh.configuration, secrets: AccessSecrets.generate())
        let clock = ContinuousClock()
        let today = CalendarDay.today()
        var counts = (hypertensive: 0, diabetic: 0, readings: 0)
        let fill = try await clock.measure { counts = try await Self.fill(platform, residents: residents, today: today) }
        if platform.database.engine == .postgres {
            try await platform.database.write { try await $0.raw("ANALYZE").run() }
        }
        let service = ChronicService(store: platform.fhir)
        let recompute = try await clock.measure { try await service.recomputeAll(on: today) }
        var hypertension: [ChronicRates] = []
        let aggregate = try await clock.measure {
            hypertension = try await service.rates(district: "310105", programme: "hypertension", by: "subdistrict", on: today)
            _ = try await service.rates(district: "310105", programme: "type2-diabetes", by: "subdistrict", on: today)
        }
        var considered = 0
        let reminders = try await clock.measure { considered = try await service.enqueueReminders(on: today) }
        func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }
        let registered = hypertension.map(\.registered).reduce(0, +)
        let controlled = hypertension.map(\.controlled).reduce(0, +)
        print("engine: \(platform.database.engine.rawValue)  residents: \(residents)  hypertensive: \(counts.hypertensive)  diabetic: \(counts.diabetic)  readings: \(counts.readings)")
        print(String(format: "fill:       %.1f s (not the benchmark)", seconds(fill)))
        print(String(format: "recompute:  %.2f s  every schedule and control status (%d enrolments)", seconds(recompute), counts.hypertensive + counts.diabetic))
        print(String(format: "rates:      %.2f s  both programmes by 街道; hypertension controlled %d of %d", seconds(aggregate), controlled, registered))
        print(String(format: "reminders:  %.2f s  the hourly reminder job: follow-ups and checks due, %d reminders queued", seconds(reminders), considered))

        await platform.shutdown()
        try await fresh.drop()
    }

    /// Writes `residents` residents of 长宁 straight into the resident directory, a quarter of them hypertensive
    /// and a tenth with type 2 diabetes, with six (four) readings over two years (shared with `bench indicators`).
    static func fill(_ platform: Platform, residents: Int, today: String) async throws -> (hypertensive: Int, diabetic: Int, readings: Int) {
        let subdistricts = Catalog.divisions.filter { $0.parent == "310105" }.map(\.code)
        let chcs = Catalog.institutions.filter { $0.type == "chc" && $0.district == "310105" }.map(\.id)
        var days: [String] = []
        for offset in stride(from: 0, to: 730, by: 1) { days.append(CalendarDay.shift(today, days: -offset)) }
        var counts = (hypertensive: 0, diabetic: 0, readings: 0)
        do {
            var start = 0
            while start < residents {
                let end = min(residents, start + 2_000)
                var people: [String] = [], enrolments: [String] = [], readings: [String] = []
                for n in start..<end {
                    let patient = "'b\(n)'"
                    let birth = String(format: "'%04d-%02d-%02d'", 1930 + n % 80, 1 + n % 12, 1 + n % 28)
                    people.append("(\(patient), '310105', '\(subdistricts[n % subdistricts.count])', '\(chcs[n % chcs.count])', \(birth), '\(n % 2 == 0 ? "male" : "female")', NULL, 1)")
                    let hypertensive = n % 4 == 0, diabetic = n % 10 == 3
                    if hypertensive {
                        enrolments.append("(\(patient), 'hypertension', 'confirmed', 'bench', '\(days[700])', NULL, NULL, 0, NULL, 0)")
                        counts.hypertensive += 1
                        // Six readings over two years, the latest 0–120 days ago; one in three uncontrolled.
                        for k in 0..<6 {
                            let day = days[(n % 121) + k * 100]
                            let systolic = (n + k) % 3 == 0 ? 150 + n % 20 : 118 + n % 20
                            readings.append("('b\(n)-bp\(k)', \(patient), 'bp', '\(day)', \(systolic), \(70 + (n + k) % 25))")
                        }
                    }
                    if diabetic {
                        enrolments.append("(\(patient), 'type2-diabetes', 'confirmed', 'bench', '\(days[650])', NULL, NULL, 0, NULL, 0)")
                        counts.diabetic += 1
                        for k in 0..<4 {
                            readings.append("('b\(n)-fpg\(k)', \(patient), 'fpg', '\(days[(n % 97) + k * 91])', \(5.0 + Double((n + k) % 40) / 10), NULL)")
                        }
                    }
                }
                counts.readings += readings.count
                try await platform.database.write { sql in
                    try await sql.raw(SQLQueryString(stringLiteral: "INSERT INTO registry_resident (patient_id, district, subdistrict, organization_id, birth_date, gender, household, active) VALUES " + people.joined(separator: ","))).run()
                    if !enrolments.isEmpty {
                        try await sql.raw(SQLQueryString(stringLiteral: "INSERT INTO chronic_enrolment (patient_id, programme, status, source, since, last_follow_up, next_due, follow_ups_year, controlled, uncontrolled_streak) VALUES " + enrolments.joined(separator: ","))).run()
                    }
                    var first = 0
                    while first < readings.count {
                        let chunk = readings[first..<min(readings.count, first + 2_000)]
                        try await sql.raw(SQLQueryString(stringLiteral: "INSERT INTO chronic_reading (source, patient_id, kind, taken_on, value1, value2) VALUES " + chunk.joined(separator: ","))).run()
                        first += 2_000
                    }
                }
                start = end
            }
        }
        return counts
    }
}
