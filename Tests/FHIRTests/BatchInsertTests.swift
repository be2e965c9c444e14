import App
import FHIR
import Foundation
import Testing
import WeijianTesting

/// The multi-row inserts: rows beyond one statement's limits (SQLite's bound variables, the JSON
/// array's rows per statement) and values that must come back exactly as written.
@Suite struct BatchInsertTests {
    @Test func rowsRoundTripAcrossStatementLimits() async throws {
        try await TestDatabase.withPlatform { platform in
            let store = platform.fhir
            var generator = SystemRandomNumberGenerator()
            let texts = ["plain", "quote \" and backslash \\", "tab\tnew\nline\r", "控制\u{01}字符\u{1F}", "emoji 🩺", "", "{\"json\": [1, 2]}", "'single'"]
            let doubles: [Double] = [0, -0.0, 1.5, 0.1, 1e-300, 1.7976931348623157e308, -2.2250738585072014e-308, 5e-324, 123456789.12345678, 98.6, 36.65]
            var tokens: [[RowValue]] = []
            var quantities: [[RowValue]] = []
            var dates: [[RowValue]] = []
            // 12,500 rows: more than one JSON array (10,000 rows) and, for five columns, than one
            // `VALUES` statement can bind (30,000 values).
            for key in Int64(1)...12_500 {
                let text = texts[Int(key) % texts.count] + " \(key)"
                tokens.append([.int(key), .int(0), .int(key % 7 + 1), .text(key % 3 == 0 ? nil : "urn:system:\(key)"), .text(text)])
                let value = key <= Int64(doubles.count) ? doubles[Int(key) - 1] : Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF) * (key % 2 == 0 ? 1 : -1)
                quantities.append([.int(key), .int(1), .int(2), .text(key % 5 == 0 ? nil : "http://unitsofmeasure.org"), .text(key % 4 == 0 ? nil : "mm[Hg]"), .double(value)])
                dates.append([.int(key), .int(2), .int(3), .int(key % 2 == 0 ? Int64.min : -62_135_596_800_000 + key), .int(key % 2 == 0 ? Int64.max : 253_402_300_799_999 - key)])
            }
            let rows = FHIRRawRows(tables: [
                ("fhir_idx_token", ["res_key", "seq", "param_key", "system", "code"], tokens),
                ("fhir_idx_quantity", ["res_key", "seq", "param_key", "system", "code", "value"], quantities),
                ("fhir_idx_date", ["res_key", "seq", "param_key", "low_ms", "high_ms"], dates),
            ])
            try await store.insertRaw(rows, part: 0, of: 1)
            let stored = try await store.rawRows()
            for (table, _, written) in rows.tables {
                let read = try #require(stored.tables.first { $0.table == table }).rows
                #expect(read.count == written.count, "\(table)")
                #expect(Set(read) == Set(written), "\(table): rows differ")
            }
        }
    }

    @Test func transactionOfMoreThanAThousandResources() async throws {
        try await TestDatabase.withPlatform { platform in
            let service = FHIRService(store: platform.fhir)
            var entries: [JSONValue] = []
            for index in 0..<400 {
                var person = try patient("周", "\(index)", birth: "1980-01-01")
                person["identifier"] = .array([.object(["system": .string("urn:test:big"), "value": .string("p-\(index)")])])
                let fullUrl = "urn:uuid:00000000-0000-4000-8000-\(String(format: "%012d", index))"
                entries.append(.object(["fullUrl": .string(fullUrl), "resource": person, "request": .object(["method": .string("POST"), "url": .string("Patient")])]))
                for code in ["8480-6", "8462-4"] {
                    let vital = try observation("x", code: code, value: Double(100 + index % 50) + 0.5, unit: "mm[Hg]", date: "2024-03-01").with(subject: fullUrl)
                    entries.append(.object(["resource": vital, "request": .object(["method": .string("POST"), "url": .string("Observation")])]))
                }
            }
            let bundle = JSONValue.object(["resourceType": .string("Bundle"), "type": .string("transaction"), "entry": .array(entries)])
            let response = await service.handle(FHIRRequest(method: "POST", path: [], body: bundle), base: "http://test/fhir/r4")
            #expect(response.status == 200)
            #expect(try await search(platform.fhir, "Patient", "family=周&_summary=count").total == 400)
            // Values 100.5 … 149.5: above 148 for the patients numbered 48 and 49 modulo 50.
            #expect(try await search(platform.fhir, "Observation", "code=http://loinc.org|8480-6&value-quantity=gt148&_summary=count").total == 16)
            let one = try await search(platform.fhir, "Patient", "identifier=urn:test:big|p-123")
            let id = try #require(one.matches.first?.id)
            #expect(try await search(platform.fhir, "Observation", "subject=Patient/\(id)").total == 2)
        }
    }
}
