import FHIR
import Foundation
import Registry
import SQLKit
import Storage

/// A resident's rating of their contract's service (好差评).
public struct Rating: Sendable, Codable, Equatable {
    public var contract: String
    public var stars: Int
    public var comment: String
    public var ratedAt: String
}

/// The quality of one family doctor's contracted service over the year before a day, measured from the
/// record (not reported by the doctor), and the fee it earns (签约服务质量与费用结算).
public struct DoctorQuality: Sendable, Codable, Equatable {
    public var practitioner: String
    public var organization: String
    /// Contracts in force on the day.
    public var contracted: Int
    /// Contracted hypertension or type 2 diabetes patients, and those with a visit in the last 90 days (随访).
    public var chronicPatients: Int
    public var followedUp: Int
    /// Of the chronic patients, those whose latest reading in the year is controlled: blood pressure below
    /// 140/90 mmHg (hypertension), fasting glucose below 7.0 mmol/L (diabetes); both when they have both.
    public var controlled: Int
    /// Visits of contracted residents in the year, and those at their own CHC (社区就诊率).
    public var visits: Int
    public var visitsAtOwnCHC: Int
    /// Ratings in the year and their average stars, ×100 (e.g. 460 = 4.6); nil when none.
    public var ratings: Int
    public var averageStarsX100: Int?
    /// The measures in percent (rounded down) and the weighted score, 0–100.
    public var followUpPercent: Int
    public var controlPercent: Int
    public var ownCHCPercent: Int
    public var ratingPercent: Int
    public var score: Int
    /// The year's fee in fen (分): contracted × fee × (fixed share + the rest × score).
    public var feeFen: Int
}

/// The settlement rule of a district (see `contract_settlement_rule` and docs/contracting.md).
public struct SettlementRule: Sendable, Codable, Equatable {
    public var feeFen: Int
    public var fixedPercent: Int
    public var weightFollowUp: Int
    public var weightControl: Int
    public var weightOwnCHC: Int
    public var weightRating: Int
    public var source: String
}

/// The quality and settlement report of a district.
public struct QualityReport: Sendable, Codable, Equatable {
    public var district: String
    public var asOf: String
    public var from: String
    public var rule: SettlementRule
    public var doctors: [DoctorQuality]
    /// Per CHC: the sums of its doctors (score weighted by contracted residents).
    public var organizations: [DoctorQuality]
}

extension ContractingService {
    // MARK: ratings

    /// Records a resident's rating of a contract (1–5 stars, a comment of at most 200 characters).
    public func rate(contract id: String, stars: Int, comment: String) async throws -> Rating {
        guard (1...5).contains(stars) else { throw FHIRError.badRequest("评分须为 1 到 5 星") }
        let comment = comment.trimmingCharacters(in: .whitespacesAndNewlines)
        guard comment.count <= 200 else { throw FHIRError.badRequest("评价内容不超过 200 字") }
        return try await store.write { writer in
            let contract = try await contract(id, sql: writer.sql)
            let now = ISO8601Timestamp.now()
            try await writer.sql.raw("""
                INSERT INTO contract_rating (contract_id, patient_id, practitioner_id, stars, comment, rated_at)
                VALUES (\(bind: id), \(bind: contract.patient), \(bind: contract.practitioner), \(bind: stars), \(bind: comment), \(bind: now))
                """).run()
            return Rating(contract: id, stars: stars, comment: comment, ratedAt: now)
        }
    }

    /// The district's settlement rule.
    public func settlementRule(district: String) async throws -> SettlementRule {
        try await database.read { sql in
            guard let row = try await sql.raw("SELECT * FROM contract_settlement_rule WHERE district = \(bind: district)").first() else {
                throw FHIRError.notFound("\(district) 尚未设定签约服务费结算规则")
            }
            return SettlementRule(
                feeFen: try row.decode(column: "fee_fen", as: Int.self), fixedPercent: try row.decode(column: "fixed_percent", as: Int.self),
                weightFollowUp: try row.decode(column: "weight_follow_up", as: Int.self), weightControl: try row.decode(column: "weight_control", as: Int.self),
                weightOwnCHC: try row.decode(column: "weight_own_chc", as: Int.self), weightRating: try row.decode(column: "weight_rating", as: Int.self),
                source: try row.decode(column: "source", as: String.self)
            )
        }
    }

    // MARK: quality

    /// Quality and fees of every family doctor of the district for the year up to `day`, computed from the
    /// record: visits (Encounter), blood pressure (LOINC 85354-9) and fasting glucose (1558-6) readings,
    /// diagnoses (the key-group facts) and ratings.
    public func quality(district: String, on day: String = today()) async throws -> QualityReport {
        guard FHIRDateRange.parse(day) != nil, day.count == 10 else { throw FHIRError.badRequest("日期须为 YYYY-MM-DD，如 2026-06-30") }
        let rule = try await settlementRule(district: district)
        let from = Self.shift(day, days: -365)
        let recent = Self.shift(day, days: -90)
        // Contracts in force and the chronic patients among them.
        let (contracts, chronic, ratings) = try await database.read { sql in
            let contracts = try await sql.raw("""
                SELECT c.patient_id, c.practitioner_id, c.organization_id FROM contract_agreement c
                WHERE c.district = \(bind: district) AND \(Self.inForce("c", day))
                """).all().map { (patient: try $0.decode(column: "patient_id", as: String.self), practitioner: try $0.decode(column: "practitioner_id", as: String.self),
                                  organization: try $0.decode(column: "organization_id", as: String.self)) }
            var chronic: [String: Set<KeyGroup>] = [:]
            for row in try await sql.raw("""
                SELECT DISTINCT f.patient_id, f.group_code FROM contract_group_fact f JOIN contract_agreement c ON c.patient_id = f.patient_id
                WHERE c.district = \(bind: district) AND \(Self.inForce("c", day)) AND f.group_code IN ('hypertension', 'type2-diabetes')
                """).all() {
                if let group = KeyGroup(rawValue: try row.decode(column: "group_code", as: String.self)) {
                    chronic[try row.decode(column: "patient_id", as: String.self), default: []].insert(group)
                }
            }
            var ratings: [String: (count: Int, stars: Int)] = [:]
            for row in try await sql.raw("""
                SELECT practitioner_id, COUNT(*) AS n, SUM(stars) AS s FROM contract_rating
                WHERE rated_at >= \(bind: from) GROUP BY practitioner_id
                """).all() {
                ratings[try row.decode(column: "practitioner_id", as: String.self)] = (try row.decode(column: "n", as: Int.self), try row.decode(column: "s", as: Int.self))
            }
            return (contracts, chronic, ratings)
        }
        let contractOf = Dictionary(contracts.map { ($0.patient, $0) }, uniquingKeysWith: { first, _ in first })

        // Visits of contracted residents in the year: where and when.
        var visits: [String: [(date: String, organization: String?)]] = [:]
        try await store.forEachMatch("Encounter", [("date", "ge\(from)"), ("date", "le\(day)")]) { match in
            let encounter = try JSONValue.parse(Data(match.content.utf8))
            guard let patient = Self.patientID(encounter["subject"]), contractOf[patient] != nil else { return }
            let date = String((encounter["period"]?["start"]?.stringValue ?? "").prefix(10))
            visits[patient, default: []].append((date, encounter["serviceProvider"]?["reference"]?.stringValue.map { String($0.dropFirst("Organization/".count)) }))
        }
        // The latest readings in the year.
        var pressure: [String: (date: String, systolic: Double, diastolic: Double)] = [:]
        try await store.forEachMatch("Observation", [("code", "http://loinc.org|85354-9"), ("date", "ge\(from)"), ("date", "le\(day)")]) { match in
            let observation = try JSONValue.parse(Data(match.content.utf8))
            guard let patient = Self.patientID(observation["subject"]), chronic[patient] != nil else { return }
            let date = observation["effectiveDateTime"]?.stringValue ?? ""
            var systolic: Double?, diastolic: Double?
            for component in observation["component"]?.arrayValue ?? [] {
                let code = component["code"]?["coding"]?.arrayValue?.first?["code"]?.stringValue
                let value = component["valueQuantity"]?["value"]?.doubleValue
                if code == "8480-6" { systolic = value } else if code == "8462-4" { diastolic = value }
            }
            guard let systolic, let diastolic, date > (pressure[patient]?.date ?? "") else { return }
            pressure[patient] = (date, systolic, diastolic)
        }
        var glucose: [String: (date: String, value: Double)] = [:]
        try await store.forEachMatch("Observation", [("code", "http://loinc.org|1558-6"), ("date", "ge\(from)"), ("date", "le\(day)")]) { match in
            let observation = try JSONValue.parse(Data(match.content.utf8))
            guard let patient = Self.patientID(observation["subject"]), chronic[patient] != nil,
                  let value = observation["valueQuantity"]?["value"]?.doubleValue else { return }
            let date = observation["effectiveDateTime"]?.stringValue ?? ""
            if date > (glucose[patient]?.date ?? "") { glucose[patient] = (date, value) }
        }

        var doctors: [String: DoctorQuality] = [:]
        for contract in contracts {
            var line = doctors[contract.practitioner] ?? DoctorQuality(
                practitioner: contract.practitioner, organization: contract.organization, contracted: 0, chronicPatients: 0, followedUp: 0, controlled: 0,
                visits: 0, visitsAtOwnCHC: 0, ratings: 0, averageStarsX100: nil, followUpPercent: 0, controlPercent: 0, ownCHCPercent: 0, ratingPercent: 0, score: 0, feeFen: 0)
            line.contracted += 1
            let own = visits[contract.patient] ?? []
            line.visits += own.count
            line.visitsAtOwnCHC += own.filter { $0.organization == contract.organization }.count
            if let groups = chronic[contract.patient] {
                line.chronicPatients += 1
                if own.contains(where: { $0.date >= recent }) { line.followedUp += 1 }
                let pressureOK = !groups.contains(.hypertension) || pressure[contract.patient].map { $0.systolic < 140 && $0.diastolic < 90 } == true
                let glucoseOK = !groups.contains(.diabetes) || glucose[contract.patient].map { $0.value < 7.0 } == true
                if pressureOK && glucoseOK { line.controlled += 1 }
            }
            doctors[contract.practitioner] = line
        }
        for (practitioner, rated) in ratings where doctors[practitioner] != nil {
            doctors[practitioner]?.ratings = rated.count
            doctors[practitioner]?.averageStarsX100 = rated.stars * 100 / max(1, rated.count)
        }
        let scored = doctors.values.map { Self.scored($0, rule: rule) }.sorted { $0.practitioner < $1.practitioner }
        var organizations: [String: DoctorQuality] = [:]
        for line in scored {
            var total = organizations[line.organization] ?? DoctorQuality(
                practitioner: "", organization: line.organization, contracted: 0, chronicPatients: 0, followedUp: 0, controlled: 0, visits: 0, visitsAtOwnCHC: 0,
                ratings: 0, averageStarsX100: nil, followUpPercent: 0, controlPercent: 0, ownCHCPercent: 0, ratingPercent: 0, score: 0, feeFen: 0)
            total.contracted += line.contracted
            total.chronicPatients += line.chronicPatients
            total.followedUp += line.followedUp
            total.controlled += line.controlled
            total.visits += line.visits
            total.visitsAtOwnCHC += line.visitsAtOwnCHC
            total.ratings += line.ratings
            total.feeFen += line.feeFen
            // The CHC's score: its doctors' scores weighted by their contracted residents (summed here, divided below).
            total.score += line.score * line.contracted
            organizations[line.organization] = total
        }
        let chcs = organizations.values.map { total -> DoctorQuality in
            var line = total
            line.followUpPercent = Self.percent(total.followedUp, total.chronicPatients)
            line.controlPercent = Self.percent(total.controlled, total.chronicPatients)
            line.ownCHCPercent = Self.percent(total.visitsAtOwnCHC, total.visits)
            line.score = total.contracted == 0 ? 0 : total.score / total.contracted
            return line
        }.sorted { $0.organization < $1.organization }
        return QualityReport(district: district, asOf: day, from: from, rule: rule, doctors: scored, organizations: chcs)
    }

    /// The measures, the score and the fee of one doctor, by the rule (docs/contracting.md gives the formula).
    static func scored(_ quality: DoctorQuality, rule: SettlementRule) -> DoctorQuality {
        var line = quality
        // Nothing to measure counts as met: a doctor without chronic patients or visits is not penalised for it.
        line.followUpPercent = quality.chronicPatients == 0 ? 100 : percent(quality.followedUp, quality.chronicPatients)
        line.controlPercent = quality.chronicPatients == 0 ? 100 : percent(quality.controlled, quality.chronicPatients)
        line.ownCHCPercent = quality.visits == 0 ? 100 : percent(quality.visitsAtOwnCHC, quality.visits)
        // No ratings: 80 (four stars), neither rewarded nor punished much.
        line.ratingPercent = quality.averageStarsX100.map { $0 / 5 } ?? 80
        let weights = rule.weightFollowUp + rule.weightControl + rule.weightOwnCHC + rule.weightRating
        line.score = weights == 0 ? 0 : (line.followUpPercent * rule.weightFollowUp + line.controlPercent * rule.weightControl
            + line.ownCHCPercent * rule.weightOwnCHC + line.ratingPercent * rule.weightRating) / weights
        line.feeFen = quality.contracted * rule.feeFen * (rule.fixedPercent * 100 + (100 - rule.fixedPercent) * line.score) / 10_000
        return line
    }

    static func percent(_ part: Int, _ whole: Int) -> Int { whole == 0 ? 0 : part * 100 / whole }

    static func patientID(_ reference: JSONValue?) -> String? {
        guard let text = reference?["reference"]?.stringValue, text.hasPrefix("Patient/") else { return nil }
        return String(text.dropFirst("Patient/".count))
    }
}
