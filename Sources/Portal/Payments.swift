import FHIR
import Foundation
import SQLKit
public import Storage

/// What a payment channel answers.
public enum PaymentOutcome: Sendable, Equatable {
    case succeeded(reference: String)
    case declined(reason: String)
}

/// A payment channel (诊间结算: 医保电子凭证, 微信, 支付宝 through the hospital's cashier): charges an amount in 分 once
/// per idempotency key. The platform asks it outside any database transaction and records what it answered.
public protocol PaymentProvider: Sendable {
    var name: String { get }
    func charge(amountFen: Int, description: String, payer: String, idempotencyKey: String) async throws -> PaymentOutcome
}

/// The demo's channel: accepts every charge up to ¥5,000 (a single 诊间结算's limit here) and declines larger ones.
public struct DemoPaymentProvider: PaymentProvider {
    public let name = "demo"
    public static let limitFen = 500_000

    public init() {}

    public func charge(amountFen: Int, description: String, payer: String, idempotencyKey: String) async throws -> PaymentOutcome {
        guard amountFen > 0, amountFen <= Self.limitFen else { return .declined(reason: "超过单笔支付限额") }
        return .succeeded(reference: "DEMO-" + RecordID.make("", length: 20).uppercased())
    }
}

/// A payment (or an attempt) for a return visit or a nursing order.
public struct Payment: Sendable, Codable, Equatable {
    public var id: String
    public var patient: String
    /// `visit` or `nursing`.
    public var itemKind: String
    public var itemID: String
    public var description: String
    public var amountFen: Int
    public var idempotencyKey: String
    /// `pending`, `succeeded` or `failed`.
    public var status: String
    public var provider: String
    public var providerReference: String?
    public var failure: String?
    public var createdAt: String
    public var settledAt: String?
}

/// 诊间结算 (Portal target): the fee of a return visit or a nursing order, in integer 分, charged once per
/// idempotency key; a failed charge leaves the item unpaid (it may be paid again with a new key).
public struct Payments: Sendable {
    public let database: Database
    public let provider: any PaymentProvider

    public init(database: Database, provider: any PaymentProvider) {
        self.database = database
        self.provider = provider
    }

    public static let kinds = ["visit": "互联网+复诊诊查费", "nursing": "互联网+护理服务费"]
    public static let statuses = ["pending": "支付中", "succeeded": "已支付", "failed": "支付失败"]

    /// Pays an item of the resident's. Returns the payment and whether it was made by this call (false: the key's
    /// earlier payment, unchanged). 404 for an item that is not theirs; 409 for one not yet payable or already
    /// paid (or being paid under another key); 422 for a key that is not 8–64 letters, digits, `-` or `_`, or one
    /// already used for another item.
    public func pay(kind: String, item: String, patient: String, idempotencyKey key: String, now: Date = Date()) async throws -> (Payment, created: Bool) {
        guard (8...64).contains(key.count), key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw PortalInput.invalid("幂等键须为 8 至 64 位字母、数字、- 或 _", "idempotencyKey")
        }
        guard let kindName = Self.kinds[kind] else { throw PortalInput.invalid("支付项目须为 visit（复诊）或 nursing（护理服务）", "kind") }
        let id = RecordID.make("pay")
        let at = ISO8601Timestamp.format(now)
        // 1. Reserve: one pending payment per key, and per item.
        let reserved: (Payment, Bool) = try await database.write { sql in
            if let earlier = try await Self.payment(patient: patient, key: key, sql: sql) {
                guard earlier.itemKind == kind, earlier.itemID == item else { throw PortalInput.invalid("该幂等键已用于另一笔支付", "idempotencyKey") }
                return (earlier, false)
            }
            let table = kind == "visit" ? "portal_visit" : "portal_order"
            let kindFilter: SQLQueryString = kind == "visit" ? "1 = 1" : "kind = 'nursing'"
            guard let row = try await sql.raw("SELECT patient_id, status, fee_fen, paid_at FROM \(unsafeRaw: table) WHERE id = \(bind: item) AND \(kindFilter)").first(),
                  try row.decode(column: "patient_id", as: String.self) == patient else {
                throw FHIRError.notFound("没有该\(kind == "visit" ? "复诊" : "护理服务")记录 \(item)")
            }
            let status = try row.decode(column: "status", as: String.self)
            let payable: Set<String> = kind == "visit" ? ["accepted", "completed"] : ["accepted", "assigned", "completed"]
            guard try row.decode(column: "paid_at", as: String?.self) == nil else { throw FHIRError.conflict("已支付，无需重复支付") }
            guard payable.contains(status) else { throw FHIRError.conflict(kind == "visit" ? "医生接诊后方可支付诊查费" : "护理服务受理后方可支付") }
            let fee = try row.decode(column: "fee_fen", as: Int.self)
            guard fee > 0 else { throw FHIRError.conflict("该项目无需支付") }
            let inserted = try await sql.raw("""
                INSERT INTO portal_payment (id, patient_id, item_kind, item_id, description, amount_fen, idempotency_key, status, provider, created_at)
                VALUES (\(bind: id), \(bind: patient), \(bind: kind), \(bind: item), \(bind: kindName), \(bind: fee), \(bind: key), 'pending', \(bind: provider.name), \(bind: at))
                ON CONFLICT DO NOTHING RETURNING id
                """).first()
            guard inserted != nil else {
                if let earlier = try await Self.payment(patient: patient, key: key, sql: sql) { return (earlier, false) }
                throw FHIRError.conflict("该项目正在支付中，请稍候")
            }
            return (try await Self.payment(id: id, sql: sql), true)
        }
        guard reserved.1 else { return (reserved.0, false) }
        // 2. Charge, outside any transaction.
        let outcome: PaymentOutcome
        do {
            outcome = try await provider.charge(amountFen: reserved.0.amountFen, description: kindName, payer: patient, idempotencyKey: key)
        } catch {
            outcome = .declined(reason: "支付渠道暂不可用，请稍后重试")
        }
        // 3. Settle: the payment, and the item paid only when the charge succeeded.
        let settled = ISO8601Timestamp.format(Date())
        let payment = try await database.write { sql in
            switch outcome {
            case .succeeded(let reference):
                try await sql.raw("UPDATE portal_payment SET status = 'succeeded', provider_reference = \(bind: reference), settled_at = \(bind: settled) WHERE id = \(bind: id)").run()
                let table = kind == "visit" ? "portal_visit" : "portal_order"
                try await sql.raw("UPDATE \(unsafeRaw: table) SET paid_at = \(bind: settled), payment_id = \(bind: id) WHERE id = \(bind: item)").run()
            case .declined(let reason):
                try await sql.raw("UPDATE portal_payment SET status = 'failed', failure = \(bind: String(reason.prefix(200))), settled_at = \(bind: settled) WHERE id = \(bind: id)").run()
            }
            return try await Self.payment(id: id, sql: sql)
        }
        return (payment, true)
    }

    /// A resident's payments, newest first.
    public func list(patient: String, limit: Int = 200) async throws -> [Payment] {
        try await database.read { sql in
            try await sql.raw("SELECT * FROM portal_payment WHERE patient_id = \(bind: patient) ORDER BY created_at DESC, id LIMIT \(unsafeRaw: String(max(1, min(limit, 1000))))")
                .all().map(Self.decode)
        }
    }

    public func find(_ id: String) async throws -> Payment? {
        try await database.read { sql in try await sql.raw("SELECT * FROM portal_payment WHERE id = \(bind: id)").first().map(Self.decode) }
    }

    static func payment(patient: String, key: String, sql: any SQLDatabase) async throws -> Payment? {
        try await sql.raw("SELECT * FROM portal_payment WHERE patient_id = \(bind: patient) AND idempotency_key = \(bind: key)").first().map(decode)
    }

    static func payment(id: String, sql: any SQLDatabase) async throws -> Payment {
        guard let row = try await sql.raw("SELECT * FROM portal_payment WHERE id = \(bind: id)").first() else { throw FHIRError.notFound("没有支付记录 \(id)") }
        return try decode(row)
    }

    static func decode(_ row: any SQLRow) throws -> Payment {
        Payment(id: try row.decode(column: "id", as: String.self), patient: try row.decode(column: "patient_id", as: String.self),
                itemKind: try row.decode(column: "item_kind", as: String.self), itemID: try row.decode(column: "item_id", as: String.self),
                description: try row.decode(column: "description", as: String.self), amountFen: try row.decode(column: "amount_fen", as: Int.self),
                idempotencyKey: try row.decode(column: "idempotency_key", as: String.self), status: try row.decode(column: "status", as: String.self),
                provider: try row.decode(column: "provider", as: String.self), providerReference: try row.decode(column: "provider_reference", as: String?.self),
                failure: try row.decode(column: "failure", as: String?.self), createdAt: try row.decode(column: "created_at", as: String.self),
                settledAt: try row.decode(column: "settled_at", as: String?.self))
    }
}
