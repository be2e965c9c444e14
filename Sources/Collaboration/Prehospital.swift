public import FHIR
import Foundation
public import Registry
import SQLKit
public import Storage

/// An ambulance station (急救分站) with its place.
public struct AmbulanceStation: Sendable, Codable, Equatable {
    public var id: String
    public var district: String
    public var name: String
    public var subdistrict: String
    public var longitude: Double
    public var latitude: Double
    public var ambulances: [Ambulance]
}

public struct Ambulance: Sendable, Codable, Equatable {
    public var id: String
    public var station: String
    public var plate: String
    /// The call it is on, if any.
    public var call: String?
}

/// An emergency call (120 呼救) and the ambulance's journey: received → dispatched → on scene → leaving the scene →
/// at the hospital (or cancelled), each with its time.
public struct EmergencyCall: Sendable, Codable, Equatable {
    public var id: String
    public var district: String
    public var subdistrict: String
    public var address: String
    public var longitude: Double?
    public var latitude: Double?
    /// One of ``Prehospital/categories``.
    public var category: String
    /// One of ``Prehospital/statuses``.
    public var status: String
    public var receivedAt: String
    public var ambulance: String?
    public var dispatchedAt: String?
    public var onSceneAt: String?
    public var leavingAt: String?
    public var atHospitalAt: String?
    /// The receiving hospital (its emergency department gets the pre-arrival notice).
    public var hospital: String?
    /// Minutes from the call to the ambulance on scene (急救反应时间), once on scene.
    public var responseMinutes: Double?
}

/// A pre-arrival notice (院前预警) to a hospital's emergency department when the ambulance leaves the scene.
public struct PreArrivalNotice: Sendable, Codable, Equatable {
    public var call: String
    public var hospital: String
    public var category: String
    public var leftSceneAt: String
    public var acknowledgedAt: String?
    /// The time-critical case opened when the department took the notice (chest pain, stroke, trauma).
    public var criticalCase: String?
}

/// Response times of an area over a period (院前急救平均反应时间).
public struct ResponseTimes: Sendable, Codable, Equatable {
    public var area: String
    public var name: String
    public var calls: Int
    /// Mean minutes from call to scene, one decimal; nil without calls on scene.
    public var meanMinutes: Double?
    public var medianMinutes: Double?
    /// Percent reached within ``Prehospital/responseTargetMinutes``, one decimal.
    public var withinTargetPercent: Double?
}

/// 智慧急救 (Collaboration target): stations and ambulances, calls and dispatch, status times, the pre-arrival
/// notice to the receiving emergency department, response times and the stations' 3.5 km coverage.
public struct Prehospital: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    public static let categories = ["chest-pain": "胸痛", "stroke": "卒中", "trauma": "创伤", "obstetric": "产科急症", "other": "其他"]
    public static let statuses = ["received": "已受理", "dispatched": "已派车", "on-scene": "已到达现场", "leaving": "离开现场", "at-hospital": "已送达医院", "cancelled": "已取消"]
    /// The journey's statuses in order, with the column each time goes to.
    static let steps: [(status: String, column: String)] = [("dispatched", "dispatched"), ("on-scene", "on_scene"), ("leaving", "leaving"), ("at-hospital", "at_hospital")]
    /// 院前急救平均反应时间 ≤ 12 分钟 (Minhang's plan, seed 002; Qingpu's 14th five-year target, seed 003).
    public static let responseTargetMinutes = 12.0
    /// 急救站点平均服务半径 ≤ 3.5 公里 (seed 002; Qingpu reports its 3.5 km coverage, seed 003).
    public static let serviceRadiusMetres = 3500.0
    /// Centres a notice of these categories opens a case at.
    static let centreOfCategory = ["chest-pain": "chest-pain", "stroke": "stroke", "trauma": "trauma"]

    static func invalid(_ text: String, _ field: String) -> FHIRError {
        FHIRError.unprocessable([OutcomeIssue(code: "value", diagnostics: text, expression: field)])
    }

    static func checkPlace(district: String, subdistrict: String, longitude: Double?, latitude: Double?) throws {
        guard Catalog.subdistricts(of: district).contains(where: { $0.code == subdistrict }) else { throw invalid("街道 \(subdistrict) 不属于本区", "subdistrict") }
        if let longitude, let latitude {
            guard longitude.isFinite, latitude.isFinite, (120...123).contains(longitude), (30...32.5).contains(latitude) else {
                throw invalid("经纬度须在上海市范围内（经度 120–123，纬度 30–32.5）", "longitude")
            }
        } else if longitude != nil || latitude != nil {
            throw invalid("经度和纬度须同时填写", "longitude")
        }
    }

    // MARK: stations and ambulances

    public func addStation(district: String, name: String, subdistrict: String, longitude: Double, latitude: Double) async throws -> AmbulanceStation {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100 else { throw Self.invalid("请填写站点名称（不超过 100 字）", "name") }
        try Self.checkPlace(district: district, subdistrict: subdistrict, longitude: longitude, latitude: latitude)
        let station = AmbulanceStation(id: RecordID.make("st"), district: district, name: name, subdistrict: subdistrict, longitude: longitude, latitude: latitude, ambulances: [])
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO collab_station (id, district, name, subdistrict, longitude, latitude)
                VALUES (\(bind: station.id), \(bind: district), \(bind: name), \(bind: subdistrict), \(bind: longitude), \(bind: latitude))
                """).run()
        }
        return station
    }

    /// Adds an ambulance to a station of the district (404 otherwise; 409 for a plate already registered).
    public func addAmbulance(station: String, plate: String, district: String) async throws -> Ambulance {
        let plate = plate.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !plate.isEmpty, plate.count <= 20 else { throw Self.invalid("请填写车牌（不超过 20 字）", "plate") }
        let ambulance = Ambulance(id: RecordID.make("am"), station: station, plate: plate, call: nil)
        do {
            try await database.write { sql in
                guard try await sql.raw("SELECT id FROM collab_station WHERE id = \(bind: station) AND district = \(bind: district)").first() != nil else {
                    throw FHIRError.notFound("本区没有急救站 \(station)")
                }
                try await sql.raw("INSERT INTO collab_ambulance (id, station_id, plate) VALUES (\(bind: ambulance.id), \(bind: station), \(bind: plate))").run()
            }
        } catch let error where Database.isUniqueViolation(error) {
            throw FHIRError.conflict("车牌 \(plate) 已登记")
        }
        return ambulance
    }

    /// The district's stations with their ambulances and the call each is on.
    public func stations(district: String) async throws -> [AmbulanceStation] {
        try await database.read { sql in
            let ambulances = try await sql.raw("""
                SELECT a.id, a.station_id, a.plate, (SELECT c.id FROM collab_call c WHERE c.ambulance_id = a.id AND c.status IN ('dispatched', 'on-scene', 'leaving')) AS call_id
                FROM collab_ambulance a JOIN collab_station s ON s.id = a.station_id WHERE s.district = \(bind: district) ORDER BY a.plate
                """).all().map {
                Ambulance(id: try $0.decode(column: "id", as: String.self), station: try $0.decode(column: "station_id", as: String.self),
                          plate: try $0.decode(column: "plate", as: String.self), call: try $0.decode(column: "call_id", as: String?.self))
            }
            let byStation = Dictionary(grouping: ambulances, by: \.station)
            return try await sql.raw("SELECT * FROM collab_station WHERE district = \(bind: district) ORDER BY name, id").all().map {
                let id = try $0.decode(column: "id", as: String.self)
                return AmbulanceStation(id: id, district: district, name: try $0.decode(column: "name", as: String.self), subdistrict: try $0.decode(column: "subdistrict", as: String.self),
                                        longitude: try $0.decode(column: "longitude", as: Double.self), latitude: try $0.decode(column: "latitude", as: Double.self),
                                        ambulances: byStation[id] ?? [])
            }
        }
    }

    // MARK: calls

    /// Receives a call: its place (a 街道 of the district, an address, optionally a point) and category.
    public func receive(district: String, subdistrict: String, address: String, longitude: Double?, latitude: Double?, category: String, receivedAt: String,
                        actor: String, now: Date = Date()) async throws -> EmergencyCall {
        guard Self.categories[category] != nil else { throw Self.invalid("类别须为 \(Self.categories.keys.sorted().joined(separator: "、")) 之一", "category") }
        try Self.checkPlace(district: district, subdistrict: subdistrict, longitude: longitude, latitude: latitude)
        let address = address.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !address.isEmpty, address.count <= 200 else { throw Self.invalid("请填写呼救地址（不超过 200 字）", "address") }
        let at = try FHIRDateRange.pastMillis(receivedAt, field: "receivedAt", now: now)
        let id = RecordID.make("ec")
        try await database.write { sql in
            try await sql.raw("""
                INSERT INTO collab_call (id, district, subdistrict, address, longitude, latitude, category, status, received_at, received_ms, received_by)
                VALUES (\(bind: id), \(bind: district), \(bind: subdistrict), \(bind: address), \(bind: longitude), \(bind: latitude), \(bind: category), 'received',
                    \(bind: receivedAt), \(bind: at), \(bind: actor))
                """).run()
        }
        guard let call = try await call(id, district: district) else { throw FHIRError.notFound("没有呼救 \(id)") }
        return call
    }

    /// Dispatches an ambulance of the district to a received call. 404 for another district's call or ambulance;
    /// 409 when the call is not waiting for one or the ambulance is on another call (the database refuses a second
    /// active call for an ambulance, so two dispatchers at once cannot both send it).
    public func dispatch(_ id: String, ambulance: String, at time: String, district: String, now: Date = Date()) async throws -> EmergencyCall {
        let at = try FHIRDateRange.pastMillis(time, field: "at", now: now)
        do {
            try await database.write { sql in
                guard let row = try await sql.raw("SELECT status, received_ms FROM collab_call WHERE id = \(bind: id) AND district = \(bind: district)").first() else {
                    throw FHIRError.notFound("本区没有呼救 \(id)")
                }
                guard try row.decode(column: "status", as: String.self) == "received" else { throw FHIRError.conflict("该呼救已派车或已结束") }
                guard at >= (try row.decode(column: "received_ms", as: Int64.self)) else { throw Self.invalid("派车时间早于受理时间", "at") }
                guard try await sql.raw("""
                    SELECT a.id FROM collab_ambulance a JOIN collab_station s ON s.id = a.station_id WHERE a.id = \(bind: ambulance) AND s.district = \(bind: district)
                    """).first() != nil else { throw FHIRError.notFound("本区没有救护车 \(ambulance)") }
                try await sql.raw("""
                    UPDATE collab_call SET status = 'dispatched', ambulance_id = \(bind: ambulance), dispatched_at = \(bind: time), dispatched_ms = \(bind: at) WHERE id = \(bind: id)
                    """).run()
            }
        } catch let error where Database.isUniqueViolation(error) {
            throw FHIRError.conflict("救护车正在执行其他任务，不能同时派往两处")
        }
        guard let call = try await call(id, district: district) else { throw FHIRError.notFound("本区没有呼救 \(id)") }
        return call
    }

    /// Records the next status of a call's journey (`on-scene`, `leaving` with the receiving hospital, `at-hospital`)
    /// or cancels it. 409 for a status out of order, 422 for a time before the previous step's or in the future.
    /// Leaving the scene sends the hospital a pre-arrival notice.
    public func advance(_ id: String, to status: String, at time: String, hospital: String?, district: String, now: Date = Date()) async throws -> EmergencyCall {
        guard status == "cancelled" || Self.steps.contains(where: { $0.status == status && $0.status != "dispatched" }) else {
            throw Self.invalid("状态须为 on-scene（到达现场）、leaving（离开现场）、at-hospital（送达医院）或 cancelled（取消）", "status")
        }
        let at = try FHIRDateRange.pastMillis(time, field: "at", now: now)
        if status == "leaving" {
            guard let hospital, Catalog.institutions.contains(where: { $0.id == hospital && Consultations.hospitalTypes.contains($0.type) }) else {
                throw Self.invalid("离开现场须选择送往医院（名录中的医院）", "hospital")
            }
        }
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT * FROM collab_call WHERE id = \(bind: id) AND district = \(bind: district)").first() else {
                throw FHIRError.notFound("本区没有呼救 \(id)")
            }
            let current = try row.decode(column: "status", as: String.self)
            if status == "cancelled" {
                guard current != "at-hospital", current != "cancelled" else { throw FHIRError.conflict("该呼救已结束") }
                try await sql.raw("UPDATE collab_call SET status = 'cancelled' WHERE id = \(bind: id)").run()
                return
            }
            guard let index = Self.steps.firstIndex(where: { $0.status == status }), index > 0, Self.steps[index - 1].status == current else {
                throw FHIRError.conflict("当前为「\(Self.statuses[current] ?? current)」，不能记录「\(Self.statuses[status] ?? status)」")
            }
            let previous = try row.decode(column: "\(Self.steps[index - 1].column)_ms", as: Int64.self)
            guard at >= previous else { throw Self.invalid("「\(Self.statuses[status] ?? status)」时间早于「\(Self.statuses[current] ?? current)」", "at") }
            let column = Self.steps[index].column
            try await sql.raw("""
                UPDATE collab_call SET status = \(bind: status), \(unsafeRaw: column)_at = \(bind: time), \(unsafeRaw: column)_ms = \(bind: at) WHERE id = \(bind: id)
                """).run()
            if status == "leaving", let hospital {
                try await sql.raw("UPDATE collab_call SET hospital = \(bind: hospital) WHERE id = \(bind: id)").run()
                try await sql.raw("""
                    INSERT INTO collab_prearrival (call_id, hospital, category, left_scene_at) VALUES (\(bind: id), \(bind: hospital), \(bind: try row.decode(column: "category", as: String.self)), \(bind: time))
                    """).run()
            }
        }
        guard let call = try await call(id, district: district) else { throw FHIRError.notFound("本区没有呼救 \(id)") }
        return call
    }

    public func call(_ id: String, district: String) async throws -> EmergencyCall? {
        try await calls(district: district, id: id).first
    }

    /// The district's calls, newest first (`active`: those not yet at a hospital or cancelled).
    public func calls(district: String, id: String? = nil, active: Bool = false, limit: Int = 200) async throws -> [EmergencyCall] {
        try await database.read { sql in
            var filter: SQLQueryString = "district = \(bind: district)"
            if let id { filter = "\(filter) AND id = \(bind: id)" }
            if active { filter = "\(filter) AND status IN ('received', 'dispatched', 'on-scene', 'leaving')" }
            return try await sql.raw("SELECT * FROM collab_call WHERE \(filter) ORDER BY received_ms DESC, id LIMIT \(unsafeRaw: String(max(1, min(limit, 2000))))").all().map { row in
                let received = try row.decode(column: "received_ms", as: Int64.self)
                let onScene = try row.decode(column: "on_scene_ms", as: Int64?.self)
                return EmergencyCall(id: try row.decode(column: "id", as: String.self), district: district, subdistrict: try row.decode(column: "subdistrict", as: String.self),
                                     address: try row.decode(column: "address", as: String.self), longitude: try row.decode(column: "longitude", as: Double?.self),
                                     latitude: try row.decode(column: "latitude", as: Double?.self), category: try row.decode(column: "category", as: String.self),
                                     status: try row.decode(column: "status", as: String.self), receivedAt: try row.decode(column: "received_at", as: String.self),
                                     ambulance: try row.decode(column: "ambulance_id", as: String?.self), dispatchedAt: try row.decode(column: "dispatched_at", as: String?.self),
                                     onSceneAt: try row.decode(column: "on_scene_at", as: String?.self), leavingAt: try row.decode(column: "leaving_at", as: String?.self),
                                     atHospitalAt: try row.decode(column: "at_hospital_at", as: String?.self), hospital: try row.decode(column: "hospital", as: String?.self),
                                     responseMinutes: onScene.map { (Double($0 - received) / 6_000).rounded() / 10 })
            }
        }
    }

    // MARK: the emergency department

    /// A hospital's pre-arrival notices, unacknowledged first, newest first.
    public func notices(hospital: String) async throws -> [PreArrivalNotice] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM collab_prearrival WHERE hospital = \(bind: hospital) ORDER BY acknowledged_at IS NOT NULL, left_scene_at DESC LIMIT 200").all().map(Self.notice)
        }
    }

    static func notice(_ row: any SQLRow) throws -> PreArrivalNotice {
        PreArrivalNotice(call: try row.decode(column: "call_id", as: String.self), hospital: try row.decode(column: "hospital", as: String.self),
                         category: try row.decode(column: "category", as: String.self), leftSceneAt: try row.decode(column: "left_scene_at", as: String.self),
                         acknowledgedAt: try row.decode(column: "acknowledged_at", as: String?.self), criticalCase: try row.decode(column: "critical_case", as: String?.self))
    }

    /// The department takes a notice; for chest pain, stroke and trauma it opens the centre's case with the
    /// call's times (呼救 and, for chest pain, 首次医疗接触 = the ambulance on scene). 404 for another hospital's.
    public func acknowledge(call id: String, hospital: String, actor: String, now: Date = Date()) async throws -> PreArrivalNotice {
        try await database.write { sql in
            guard let row = try await sql.raw("SELECT * FROM collab_prearrival WHERE call_id = \(bind: id) AND hospital = \(bind: hospital)").first() else {
                throw FHIRError.notFound("本院没有该院前预警")
            }
            var notice = try Self.notice(row)
            guard notice.acknowledgedAt == nil else { return notice }
            notice.acknowledgedAt = ISO8601Timestamp.format(now)
            if let centre = Self.centreOfCategory[notice.category],
               let call = try await sql.raw("SELECT received_at, on_scene_at FROM collab_call WHERE id = \(bind: id)").first() {
                var times: [String: String] = [:]
                if centre == "chest-pain" {
                    times["call"] = try call.decode(column: "received_at", as: String.self)
                    times["fmc"] = try call.decode(column: "on_scene_at", as: String?.self)
                }
                let opened = try await CriticalCare(database: database).open(hospital: hospital, centre: centre, patient: nil, call: id, times: times, actor: actor, now: now, sql: sql)
                notice.criticalCase = opened.id
            }
            try await sql.raw("""
                UPDATE collab_prearrival SET acknowledged_at = \(bind: notice.acknowledgedAt), critical_case = \(bind: notice.criticalCase) WHERE call_id = \(bind: id) AND hospital = \(bind: hospital)
                """).run()
            return notice
        }
    }

    // MARK: indicators

    /// Response times (call to scene) of calls received in [from, to] (days), for the district and each 街道.
    public func responseTimes(district: String, from: String, to: String) async throws -> [ResponseTimes] {
        guard CalendarDay.isValid(from), CalendarDay.isValid(to), from <= to, let low = FHIRDateRange.parse(from)?.low, let high = FHIRDateRange.parse(to)?.high else {
            throw Self.invalid("日期应为 YYYY-MM-DD，且 from 不晚于 to", "from")
        }
        let rows = try await database.read { sql in
            try await sql.raw("""
                SELECT subdistrict, received_ms, on_scene_ms FROM collab_call
                WHERE district = \(bind: district) AND received_ms >= \(bind: low) AND received_ms < \(bind: high) AND on_scene_ms IS NOT NULL
                """).all().map { (try $0.decode(column: "subdistrict", as: String.self), Double(try $0.decode(column: "on_scene_ms", as: Int64.self) - (try $0.decode(column: "received_ms", as: Int64.self))) / 60_000) }
        }
        func summary(_ area: String, _ minutes: [Double]) -> ResponseTimes {
            let sorted = minutes.sorted()
            let name = Catalog.divisions.first { $0.code == area }?.name ?? area
            guard !sorted.isEmpty else { return ResponseTimes(area: area, name: name, calls: 0, meanMinutes: nil, medianMinutes: nil, withinTargetPercent: nil) }
            let within = sorted.filter { $0 <= Self.responseTargetMinutes }.count
            return ResponseTimes(area: area, name: name, calls: sorted.count, meanMinutes: (sorted.reduce(0, +) / Double(sorted.count) * 10).rounded() / 10,
                                 medianMinutes: CriticalCare.median(sorted).map { ($0 * 10).rounded() / 10 },
                                 withinTargetPercent: (Double(within) * 1000 / Double(sorted.count)).rounded() / 10)
        }
        let bySubdistrict = Dictionary(grouping: rows, by: \.0).mapValues { $0.map(\.1) }
        return [summary(district, rows.map(\.1))] + Catalog.subdistricts(of: district).map { summary($0.code, bySubdistrict[$0.code] ?? []) }
    }

    /// The stations' coverage: the share of residents (by residential site) and of area within 3.5 km of a station,
    /// for the district and each 街道, computed as the 15-minute circle is (``ServiceCircle``) with the stations as
    /// the points and a 3.5 km radius. Nil before the district's geography is loaded.
    public func coverage(district: String, registry: RegistryService) async throws -> ServiceCircleReport? {
        guard var geography = try await registry.geography(district: district) else { return nil }
        geography.servicePoints = try await stations(district: district).map {
            ServicePoint(id: $0.id, institution: $0.id, type: "station", name: $0.name, location: GeoPoint(longitude: $0.longitude, latitude: $0.latitude))
        }
        // 35 minutes at 100 m/min with no detour is a straight 3,500 m; the grid is coarser than the circle's.
        let assumptions = WalkingAssumptions(minutes: Self.serviceRadiusMetres / 100, metresPerMinute: 100, detourFactor: 1, gridMetres: 100, targetPercent: 100)
        return ServiceCircle.compute(geography, assumptions: assumptions).report
    }
}
