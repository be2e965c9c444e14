import FHIR
import Foundation
public import SQLKit
import Storage

extension ReferralService {
    // MARK: booking

    /// Books one slot for one resident (预约). Refuses, changing nothing: 404 for an unknown resident or slot,
    /// 422 for a slot in the past or of another department than asked, 409 for a slot already taken, a
    /// reserved slot before its release to a public booker, or a resident who already holds a slot of the schedule.
    ///
    /// `recording`, when given, runs in the booking's transaction after it succeeded (the routes append the
    /// audit entry there, so the booking and its audit entry commit together in one transaction).
    public func book(_ request: BookingRequest, now: Date = Date(), recording: ((Appointment, any SQLDatabase) async throws -> Void)? = nil) async throws -> Appointment {
        do {
            return try await store.write { writer in
                let appointment = try await book(request, now: now, writer: writer)
                if let recording {
                    // Last before the commit: on PostgreSQL the audit chain's lock is then held only briefly.
                    try await writer.flush()
                    try await recording(appointment, writer.sql)
                }
                return appointment
            }
        } catch let error where Database.isUniqueViolation(error) {
            throw FHIRError.conflict("该居民已预约此排班的号源，或号源刚被他人约走 (the resident already holds a slot of this schedule, or the slot was just taken)")
        }
    }

    func book(_ request: BookingRequest, now: Date, writer: FHIRWriter) async throws -> Appointment {
        let sql = writer.sql
        guard FHIRID.isValid(request.patient), let patient = try await writer.read(type: "Patient", id: request.patient) else {
            throw FHIRError.notFound("居民 Patient/\(request.patient) 不存在 (no such resident)")
        }
        guard patient["active"] != .bool(false) else { throw FHIRError.conflict("居民档案 Patient/\(request.patient) 已停用（合并或注销）") }
        guard let row = try await sql.raw("SELECT * FROM referral_slot WHERE id = \(bind: request.slot)").first() else {
            throw FHIRError.notFound("号源 \(request.slot) 不存在 (no such slot)")
        }
        let slot = try Self.decodeSlot(row, now: now)
        let startMillis = try row.decode(column: "start_ms", as: Int64.self)
        let endMillis = try row.decode(column: "end_ms", as: Int64.self)
        if let department = request.department, department != slot.department {
            throw Self.invalid("号源 \(slot.id) 属于\(Department.name(slot.department))，不是\(Department.name(department)) (slot of another department)", "slot")
        }
        let nowMillis = SlotTime.millis(now)
        guard startMillis > nowMillis else { throw Self.invalid("号源 \(slot.id)（\(slot.start)）的时间已过，请选择以后的时段 (slot in the past)", "slot") }
        let appointmentID = Self.newID("a")
        // The slot: one statement that succeeds only while it is free (and open to this booker), so it is taken once.
        let taken = try await sql.raw("""
            UPDATE referral_slot SET status = 'booked', appointment_id = \(bind: appointmentID)
            WHERE id = \(bind: request.slot) AND status = 'free' AND (pool = 'public' OR release_ms <= \(bind: nowMillis) OR \(bind: request.channel.mayUseReserved ? 1 : 0) = 1)
            RETURNING id
            """).first()
        guard taken != nil else {
            if slot.status != "free" { throw FHIRError.conflict("号源 \(slot.id)（\(slot.start)）已被预约，请选择其他时段或加入候补 (slot already booked)") }
            throw FHIRError.conflict("号源 \(slot.id) 为社区预留号，\(slot.releasedAt) 起才向公众开放；可由家庭医生预约或选择其他时段 (reserved for CHCs until release)")
        }
        let schedule = try row.decode(column: "schedule_id", as: String.self)
        let bookedAt = ISO8601Timestamp.format(now)
        try await sql.raw("""
            INSERT INTO referral_appointment (id, slot_id, schedule_id, patient_id, channel, referral_id, status, booked_by, booked_at)
            VALUES (\(bind: appointmentID), \(bind: request.slot), \(bind: schedule), \(bind: request.patient), \(bind: request.channel.rawValue),
                \(bind: request.referral), 'booked', \(bind: request.actor), \(bind: bookedAt))
            """).run()
        let appointment = Appointment(id: appointmentID, slot: slot.id, schedule: schedule, patient: request.patient, channel: request.channel.rawValue,
                                      referral: request.referral, status: "booked", start: slot.start, organization: slot.organization, department: slot.department)
        _ = try await writer.update(ReferralResources.slot(id: slot.id, schedule: schedule, department: slot.department, startMillis: startMillis,
                                                           endMillis: endMillis, pool: slot.pool, busy: true), type: "Slot", id: slot.id, ifMatch: nil)
        let referral = try await request.referral.asyncMap { try await self.referral($0, sql: sql) }
        _ = try await writer.create(ReferralResources.appointment(appointment, startMillis: startMillis, endMillis: endMillis, referral: referral), id: appointmentID)
        return appointment
    }

    /// Cancels a booked appointment (取消预约) before its start; the freed slot goes to the first eligible
    /// resident on the schedule's waiting list in the same transaction. Returns the cancelled appointment.
    public func cancel(_ id: String, actor: String, now: Date = Date()) async throws -> Appointment {
        try await store.write { writer in
            let cancelled = try await release(id, as: "cancelled", now: now, writer: writer)
            try await fillFromWaitlist(slot: cancelled.slot, actor: actor, now: now, writer: writer)
            return cancelled
        }
    }

    /// Moves a booked appointment to another slot (改约): the new slot is booked first and the old one freed
    /// (and offered to the waiting list) only then, all in one transaction, so a refused move changes nothing.
    public func reschedule(_ id: String, to slot: String, actor: String, now: Date = Date()) async throws -> Appointment {
        do {
            return try await store.write { writer in
                let old = try await appointment(id, sql: writer.sql)
                guard old.status == "booked" else { throw FHIRError.conflict("预约 \(id) 已\(Self.appointmentLabel(old.status))，不能改约") }
                guard slot != old.slot else { throw FHIRError.conflict("新时段与原时段相同") }
                let freed = try await release(id, as: "rescheduled", now: now, writer: writer)
                let channel = BookingChannel(rawValue: old.channel) ?? .resident
                let next = try await book(BookingRequest(slot: slot, patient: old.patient, channel: channel, department: old.department,
                                                         referral: old.referral, actor: actor), now: now, writer: writer)
                try await fillFromWaitlist(slot: freed.slot, actor: actor, now: now, writer: writer)
                if let referral = old.referral {
                    try await moveReferral(referral, from: ["accepted", "booked"], to: "booked", appointment: .some(next.id), now: now, writer: writer)
                }
                return next
            }
        } catch let error where Database.isUniqueViolation(error) {
            throw FHIRError.conflict("新号源刚被他人约走 (the new slot was just taken)")
        }
    }

    /// Records that the resident did not come (爽约), after the slot's start. The slot stays used.
    public func markNoShow(_ id: String, now: Date = Date()) async throws -> Appointment {
        try await store.write { writer in
            let appointment = try await appointment(id, sql: writer.sql)
            guard appointment.status == "booked" else { throw FHIRError.conflict("预约 \(id) 已\(Self.appointmentLabel(appointment.status))") }
            let start = try await slotTimes(appointment.slot, sql: writer.sql)
            guard start.0 <= SlotTime.millis(now) else { throw FHIRError.conflict("就诊时间 \(appointment.start) 未到，不能登记爽约") }
            return try await setStatus(appointment, "noshow", times: start, now: now, writer: writer)
        }
    }

    /// Puts a resident on a schedule's waiting list (候补). Referred residents (with an accepted referral to
    /// the schedule's hospital) queue ahead of others; family doctors' and referred residents' places may be
    /// filled from reserved slots. Returns the place in the queue.
    public func joinWaitlist(schedule: String, patient: String, channel: BookingChannel, referral: String? = nil, actor: String, now: Date = Date()) async throws -> WaitlistPlace {
        do {
            return try await store.write { writer in
                let sql = writer.sql
                guard FHIRID.isValid(patient), try await writer.read(type: "Patient", id: patient) != nil else {
                    throw FHIRError.notFound("居民 Patient/\(patient) 不存在 (no such resident)")
                }
                let found = try await self.schedule(schedule, sql: sql)
                if let referral {
                    let open = try await self.referral(referral, sql: sql)
                    guard open.patient == patient, open.toOrganization == found.organization, open.department == found.department, open.status == "accepted" else {
                        throw Self.invalid("转诊单 \(referral) 不是该居民已接收的、转往\(Department.name(found.department))的转诊", "referral")
                    }
                }
                let held = try await sql.raw("SELECT id FROM referral_appointment WHERE patient_id = \(bind: patient) AND schedule_id = \(bind: schedule) AND status = 'booked'").first()
                guard held == nil else { throw FHIRError.conflict("该居民已预约此排班的号源，无需候补") }
                try await sql.raw("""
                    INSERT INTO referral_waitlist (schedule_id, patient_id, priority, may_reserved, referral_id, requested_by, requested_at, status)
                    VALUES (\(bind: schedule), \(bind: patient), \(bind: referral == nil ? 0 : 1), \(bind: channel.mayUseReserved ? 1 : 0), \(bind: referral),
                        \(bind: actor), \(bind: ISO8601Timestamp.format(now)), 'waiting')
                    """).run()
                let row = try await sql.raw("""
                    SELECT COUNT(*) AS n FROM referral_waitlist w, referral_waitlist me
                    WHERE me.schedule_id = \(bind: schedule) AND me.patient_id = \(bind: patient) AND me.status = 'waiting'
                    AND w.schedule_id = me.schedule_id AND w.status = 'waiting' AND (w.priority > me.priority OR (w.priority = me.priority AND w.id <= me.id))
                    """).first()
                return WaitlistPlace(schedule: schedule, patient: patient, position: try row?.decode(column: "n", as: Int.self) ?? 0)
            }
        } catch let error where Database.isUniqueViolation(error) {
            throw FHIRError.conflict("该居民已在此排班的候补名单中 (already waiting)")
        }
    }

    /// A resident's appointments, newest slot first.
    public func appointments(patient: String) async throws -> [Appointment] {
        try await database.read { sql in
            try await sql.raw("\(unsafeRaw: Self.appointmentSelect) WHERE a.patient_id = \(bind: patient) ORDER BY t.start_ms DESC").all().map(Self.decodeAppointment)
        }
    }

    /// An appointment by id.
    public func appointment(_ id: String) async throws -> Appointment {
        try await database.read { try await appointment(id, sql: $0) }
    }

    // MARK: internals

    static let appointmentSelect = """
        SELECT a.id, a.slot_id, a.schedule_id, a.patient_id, a.channel, a.referral_id, a.status, t.start_ms, t.organization_id, t.department
        FROM referral_appointment a JOIN referral_slot t ON t.id = a.slot_id
        """

    func appointment(_ id: String, sql: any SQLDatabase) async throws -> Appointment {
        guard let row = try await sql.raw("\(unsafeRaw: Self.appointmentSelect) WHERE a.id = \(bind: id)").first() else {
            throw FHIRError.notFound("预约 \(id) 不存在 (no such appointment)")
        }
        return try Self.decodeAppointment(row)
    }

    static func decodeAppointment(_ row: any SQLRow) throws -> Appointment {
        Appointment(
            id: try row.decode(column: "id", as: String.self), slot: try row.decode(column: "slot_id", as: String.self),
            schedule: try row.decode(column: "schedule_id", as: String.self), patient: try row.decode(column: "patient_id", as: String.self),
            channel: try row.decode(column: "channel", as: String.self), referral: try row.decode(column: "referral_id", as: String?.self),
            status: try row.decode(column: "status", as: String.self), start: SlotTime.text(try row.decode(column: "start_ms", as: Int64.self)),
            organization: try row.decode(column: "organization_id", as: String.self), department: try row.decode(column: "department", as: String.self)
        )
    }

    static func appointmentLabel(_ status: String) -> String {
        ["booked": "预约", "cancelled": "取消", "rescheduled": "改约", "fulfilled": "就诊", "noshow": "爽约"][status] ?? status
    }

    func slotTimes(_ slot: String, sql: any SQLDatabase) async throws -> (Int64, Int64) {
        guard let row = try await sql.raw("SELECT start_ms, end_ms FROM referral_slot WHERE id = \(bind: slot)").first() else {
            throw FHIRError.notFound("号源 \(slot) 不存在")
        }
        return (try row.decode(column: "start_ms", as: Int64.self), try row.decode(column: "end_ms", as: Int64.self))
    }

    /// Sets an appointment's status in the table and in FHIR.
    func setStatus(_ appointment: Appointment, _ status: String, times: (Int64, Int64), now: Date, writer: FHIRWriter) async throws -> Appointment {
        var changed = appointment
        changed.status = status
        try await writer.sql.raw("UPDATE referral_appointment SET status = \(bind: status), changed_at = \(bind: ISO8601Timestamp.format(now)) WHERE id = \(bind: appointment.id)").run()
        let referral = try await appointment.referral.asyncMap { try await self.referral($0, sql: writer.sql) }
        _ = try await writer.update(ReferralResources.appointment(changed, startMillis: times.0, endMillis: times.1, referral: referral),
                                    type: "Appointment", id: appointment.id, ifMatch: nil)
        return changed
    }

    /// Ends a booked appointment (`cancelled` or `rescheduled`) before its start and frees its slot.
    func release(_ id: String, as status: String, now: Date, writer: FHIRWriter) async throws -> Appointment {
        let sql = writer.sql
        let appointment = try await appointment(id, sql: sql)
        guard appointment.status == "booked" else { throw FHIRError.conflict("预约 \(id) 已\(Self.appointmentLabel(appointment.status))，不能再取消或改约") }
        let times = try await slotTimes(appointment.slot, sql: sql)
        guard times.0 > SlotTime.millis(now) else { throw FHIRError.conflict("就诊时间 \(appointment.start) 已到，不能取消或改约") }
        let released = try await sql.raw("""
            UPDATE referral_slot SET status = 'free', appointment_id = NULL WHERE id = \(bind: appointment.slot) AND appointment_id = \(bind: id) RETURNING id
            """).first()
        guard released != nil else { throw FHIRError.conflict("预约 \(id) 刚被另一请求改变 (changed meanwhile)") }
        let changed = try await setStatus(appointment, status, times: times, now: now, writer: writer)
        guard let row = try await sql.raw("SELECT * FROM referral_slot WHERE id = \(bind: appointment.slot)").first() else { return changed }
        let slot = try Self.decodeSlot(row, now: now)
        _ = try await writer.update(ReferralResources.slot(id: slot.id, schedule: slot.schedule, department: slot.department, startMillis: times.0,
                                                           endMillis: times.1, pool: slot.pool, busy: false), type: "Slot", id: slot.id, ifMatch: nil)
        if let referral = appointment.referral {
            try await moveReferral(referral, from: ["booked"], to: "accepted", appointment: .some(nil), now: now, writer: writer)
        }
        return changed
    }

    /// Offers a freed slot to the schedule's waiting list: referred residents first, then by arrival; a
    /// reserved slot not yet released only to those who may use it. Entries who meanwhile hold a slot lapse.
    func fillFromWaitlist(slot: String, actor: String, now: Date, writer: FHIRWriter) async throws {
        let sql = writer.sql
        guard let row = try await sql.raw("SELECT * FROM referral_slot WHERE id = \(bind: slot) AND status = 'free'").first() else { return }
        let free = try Self.decodeSlot(row, now: now)
        let entries = try await sql.raw("""
            SELECT id, patient_id, may_reserved, referral_id FROM referral_waitlist WHERE schedule_id = \(bind: free.schedule) AND status = 'waiting'
            ORDER BY priority DESC, id LIMIT 50
            """).all()
        for entry in entries {
            let entryID = try entry.decode(column: "id", as: Int64.self)
            let patient = try entry.decode(column: "patient_id", as: String.self)
            let mayReserved = try entry.decode(column: "may_reserved", as: Int.self) == 1
            guard free.openToPublic || mayReserved else { continue }
            let held = try await sql.raw("SELECT id FROM referral_appointment WHERE patient_id = \(bind: patient) AND schedule_id = \(bind: free.schedule) AND status = 'booked'").first()
            if held != nil {
                try await sql.raw("UPDATE referral_waitlist SET status = 'lapsed' WHERE id = \(bind: entryID)").run()
                continue
            }
            let referral = try entry.decode(column: "referral_id", as: String?.self)
            guard let record = try await writer.read(type: "Patient", id: patient), record["active"] != .bool(false) else {
                // The resident's record was meanwhile merged or removed: the entry lapses, the next one is offered the slot.
                try await sql.raw("UPDATE referral_waitlist SET status = 'lapsed' WHERE id = \(bind: entryID)").run()
                continue
            }
            let booked = try await book(BookingRequest(slot: slot, patient: patient, channel: .waitlist, referral: referral, actor: actor), now: now, writer: writer)
            try await sql.raw("UPDATE referral_waitlist SET status = 'booked', appointment_id = \(bind: booked.id) WHERE id = \(bind: entryID)").run()
            if let referral {
                try await moveReferral(referral, from: ["accepted"], to: "booked", appointment: .some(booked.id), now: now, writer: writer)
            }
            return
        }
    }
}

extension Optional {
    /// The wrapped value transformed by an async function, or nil.
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
