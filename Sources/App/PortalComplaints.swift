import Foundation
import Portal
import Registry
import Supervision

/// The bridge from the portal's ratings to supervision (the App is where domains meet): each complaint — a rating
/// of 1–2 stars or one the resident marks as a complaint — becomes a supervision report about the institution,
/// which opens a case for the district's inspectors; the case id is noted on the rating. Each complaint is claimed
/// first, so that the request's forwarder and the hourly one never report it twice; one whose report fails is given
/// back and goes with the next complaint or the next hourly run.
struct PortalComplaints: Sendable {
    let ratings: Ratings
    let enforcement: Enforcement

    /// Forwards every complaint not yet forwarded; returns the case opened for each rating forwarded now.
    @discardableResult
    func forwardPending() async throws -> [String: String] {
        var opened: [String: String] = [:]
        for rating in try await ratings.unforwarded() {
            guard try await ratings.claim(rating.id) else { continue }
            guard let institution = Catalog.institutions.first(where: { $0.id == rating.institution }),
                  let subdistrict = institution.catchment.first ?? Catalog.subdistricts(of: institution.district).first?.code else {
                try await ratings.forwarded(rating.id, caseID: nil)
                continue
            }
            let service = Ratings.serviceNames[rating.serviceKind] ?? rating.serviceKind
            let description = "居民通过健康门户对\(service)（\(rating.serviceID)）评价 \(rating.score) 星\(rating.complaint && rating.score > 2 ? "并投诉" : "")：\(rating.comment)（评价 \(rating.id)）"
            let report: SupervisionReport
            do {
                report = try await enforcement.report(ReportForm(kind: "complaint", subdistrict: subdistrict, place: institution.name, institution: institution.id,
                                                                 description: String(description.prefix(2000))),
                                                      channel: "public", district: institution.district, actor: nil)
            } catch {
                try await ratings.forwarded(rating.id, caseID: nil)
                throw error
            }
            try await ratings.forwarded(rating.id, caseID: report.caseID)
            opened[rating.id] = report.caseID
        }
        return opened
    }
}
