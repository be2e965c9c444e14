import Foundation
import SQLKit
import Registry
import Storage

/// Timeliness and closure of referrals (转诊及时率、闭环率) sent from a district's institutions in a period.
public struct ReferralRates: Sendable, Codable, Equatable {
    public var district: String
    /// First and last day of the period (requests sent then).
    public var from: String
    public var to: String
    /// Referrals sent in the period, and how many were accepted (whatever came after), declined and withdrawn.
    public var sent: Int
    public var accepted: Int
    public var declined: Int
    public var withdrawn: Int
    /// Completed: the feedback and discharge summary came back.
    public var completed: Int
    /// Answered (accepted or declined) within 48 hours of the request, and that as a whole percent of those sent.
    public var decidedWithin48h: Int
    public var decidedWithin48hPercent: Int
    /// Median hours from request to decision, over those decided.
    public var medianDecisionHours: Double?
    /// 闭环率: completed ÷ accepted (whole percent, rounded down; 0 when none accepted).
    public var closurePercent: Int
}

extension ReferralService {
    /// The referral rates of `district` for requests sent from `from` to `to` (days, inclusive).
    public func rates(district: String, from: String, to: String) async throws -> ReferralRates {
        guard CalendarDay.isValid(from), CalendarDay.isValid(to), from <= to else { throw Self.invalid("日期应为 YYYY-MM-DD，且 from 不晚于 to", "from") }
        guard let low = SlotTime.millis(day: from, time: "00:00"), let high = SlotTime.millis(day: CalendarDay.shift(to, days: 1), time: "00:00") else {
            throw Self.invalid("日期无效", "from")
        }
        return try await database.read { sql in
            let row = try await sql.raw("""
                SELECT COUNT(*) AS sent,
                    SUM(CASE WHEN status IN ('accepted', 'booked', 'visited', 'completed') THEN 1 ELSE 0 END) AS accepted,
                    SUM(CASE WHEN status = 'declined' THEN 1 ELSE 0 END) AS declined,
                    SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END) AS withdrawn,
                    SUM(CASE WHEN status = 'completed' THEN 1 ELSE 0 END) AS completed,
                    SUM(CASE WHEN decided_ms IS NOT NULL AND decided_ms - requested_ms <= 172800000 THEN 1 ELSE 0 END) AS within48
                FROM referral_request WHERE district = \(bind: district) AND requested_ms >= \(bind: low) AND requested_ms < \(bind: high)
                """).first()
            let durations = try await sql.raw("""
                SELECT decided_ms - requested_ms AS waited FROM referral_request
                WHERE district = \(bind: district) AND requested_ms >= \(bind: low) AND requested_ms < \(bind: high) AND decided_ms IS NOT NULL ORDER BY waited
                """).all().map { try $0.decode(column: "waited", as: Int64.self) }
            func count(_ column: String) throws -> Int { try row?.decode(column: column, as: Int?.self) ?? 0 }
            let sent = try count("sent"), accepted = try count("accepted"), completed = try count("completed"), within = try count("within48")
            let median: Double? = durations.isEmpty ? nil : {
                let middle = durations.count / 2
                let millis = durations.count % 2 == 1 ? Double(durations[middle]) : Double(durations[middle - 1] + durations[middle]) / 2
                return (millis / 360_000).rounded() / 10
            }()
            return ReferralRates(
                district: district, from: from, to: to, sent: sent, accepted: accepted, declined: try count("declined"), withdrawn: try count("withdrawn"),
                completed: completed, decidedWithin48h: within, decidedWithin48hPercent: sent == 0 ? 0 : within * 100 / sent,
                medianDecisionHours: median, closurePercent: accepted == 0 ? 0 : completed * 100 / accepted
            )
        }
    }
}

/// One hospital's slots reserved for the community (社区预留号源) in a period, and how many the community used:
/// booked by a family doctor or for a referral (the channels that may take them before their release).
public struct ReservedSlotUse: Sendable, Codable, Equatable {
    public var organization: String
    public var reserved: Int
    public var usedByCommunity: Int
}

extension ReferralService {
    /// Per institution of the district, its reserved slots starting from `from` to `to` (days, inclusive).
    public func reservedSlotUse(district: String, from: String, to: String) async throws -> [ReservedSlotUse] {
        guard CalendarDay.isValid(from), CalendarDay.isValid(to), from <= to,
              let low = SlotTime.millis(day: from, time: "00:00"), let high = SlotTime.millis(day: CalendarDay.shift(to, days: 1), time: "00:00") else {
            throw Self.invalid("日期应为 YYYY-MM-DD，且 from 不晚于 to", "from")
        }
        let institutions = Set(Catalog.institutions.filter { $0.district == district }.map(\.id))
        return try await database.read { sql in
            try await sql.raw("""
                SELECT t.organization_id AS o, COUNT(*) AS reserved,
                    SUM(CASE WHEN EXISTS (SELECT 1 FROM referral_appointment a WHERE a.slot_id = t.id AND a.status IN ('booked', 'fulfilled', 'noshow')
                        AND a.channel IN ('family-doctor', 'referral')) THEN 1 ELSE 0 END) AS used
                FROM referral_slot t WHERE t.pool = 'reserved' AND t.start_ms >= \(bind: low) AND t.start_ms < \(bind: high)
                GROUP BY t.organization_id ORDER BY t.organization_id
                """).all().compactMap { row -> ReservedSlotUse? in
                let organization = try row.decode(column: "o", as: String.self)
                guard institutions.contains(organization) else { return nil }
                return ReservedSlotUse(organization: organization, reserved: try row.decode(column: "reserved", as: Int.self), usedByCommunity: try row.decode(column: "used", as: Int?.self) ?? 0)
            }
        }
    }
}
