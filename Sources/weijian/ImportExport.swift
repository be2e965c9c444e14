import Access
import App
import ArgumentParser
import FHIR
import Foundation
import SQLKit
import Storage

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import FHIR data: Bundle files (.json: transaction, batch or collection) and NDJSON files (.ndjson, one resource a line).",
        discussion: "Resources with an id are stored under it (update or create); others get a new id. An NDJSON file is imported in chunks of --chunk lines, each chunk in one transaction; a bad line fails its chunk and is reported with its line number."
    )
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Lines per transaction for NDJSON.") var chunk = 500
    @Argument(help: "Files to import.") var files: [String]

    func run() async throws {
        let platform: Platform
        do { platform = try await db.openPlatform() } catch { throw fail("\(error)") }
        defer { Task { await platform.shutdown() } }
        let service = FHIRService(store: platform.fhir)
        // Every imported resource is written to the audit chain in its own transaction, as an operator's import.
        let scope = AuditScope(template: AuditRecord.byOperator("import", action: "import", entity: ""))
        let failures = try await AuditScope.$current.withValue(scope) { try await importFiles(service: service, platform: platform) }
        await platform.shutdown()
        if failures > 0 { throw ExitCode(1) }
    }

    private func importFiles(service: FHIRService, platform: Platform) async throws -> Int {
        var failures = 0
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                failures += 1
                print("\(file): cannot be read")
                continue
            }
            if file.hasSuffix(".ndjson") {
                failures += try await importNDJSON(data, file: file, store: platform.fhir)
            } else {
                failures += await importBundle(data, file: file, service: service)
            }
        }
        return failures
    }

    private func importBundle(_ data: Data, file: String, service: FHIRService) async -> Int {
        let bundle: JSONValue
        do { bundle = try JSONValue.parse(data) } catch {
            print("\(file): \(error)")
            return 1
        }
        var body = bundle
        if bundle["type"]?.stringValue == "collection" {
            // A collection is stored as a transaction of updates (with id) or creates.
            let entries = (bundle["entry"]?.arrayValue ?? []).map { entry -> JSONValue in
                let resource = entry["resource"] ?? .null
                let type = resource["resourceType"]?.stringValue ?? ""
                let request: JSONValue = resource["id"]?.stringValue.map { .object(["method": .string("PUT"), "url": .string("\(type)/\($0)")]) }
                    ?? .object(["method": .string("POST"), "url": .string(type)])
                var copy = entry
                copy["request"] = request
                return copy
            }
            body = .object(["resourceType": .string("Bundle"), "type": .string("transaction"), "entry": .array(entries)])
        }
        let response = await service.handle(FHIRRequest(method: "POST", path: [], body: body), base: "urn:weijian")
        if response.status >= 400 {
            print("\(file): rejected (\(response.status)): \(response.body.serialized)")
            return 1
        }
        print("\(file): imported \(body["entry"]?.arrayValue?.count ?? 0) entries")
        return 0
    }

    private func importNDJSON(_ data: Data, file: String, store: FHIRStore) async throws -> Int {
        let report = await BulkData(store: store).importNDJSON(data, chunkSize: chunk)
        for problem in report.rejected { print("\(file): \(problem)") }
        print("\(file): imported \(report.imported) resources")
        return report.rejected.count
    }
}

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Export current resources as NDJSON, one file per resource type (as FHIR bulk data does).")
    @OptionGroup var db: DatabaseOptions
    @Option(help: "Folder to write Type.ndjson files into.") var output = "export"
    @Option(help: "Resource types to export (comma-separated); default all.") var types: String?
    @Flag(help: "De-identify for research (rules in docs/access.md): no direct identifiers, pseudonymous ids, per-person date shifts, generalised ages and addresses.") var deidentified = false
    @Flag(help: "Write resident ID numbers and phone numbers in full (for moving records to another system); by default they are masked as in lists. Recorded in the audit chain.") var fullIdentifiers = false

    func run() async throws {
        let platform: Platform
        var deidentifier: Deidentifier?
        do {
            let configuration = try db.configuration()
            let secrets = try AccessSecrets.loadOrCreate(path: try db.keyFile(for: configuration))
            platform = try await Platform.open(configuration, secrets: secrets)
            if deidentified { deidentifier = Deidentifier(secrets: secrets) }
        } catch { throw fail("\(error)") }
        if deidentified, fullIdentifiers {
            await platform.shutdown()
            throw fail("--deidentified and --full-identifiers exclude each other")
        }
        let transform: ((String) throws -> String?)?
        if let deidentifier {
            transform = { text in deidentifier.deidentify(try JSONValue.parse(Data(text.utf8))).serialized() }
        } else if !fullIdentifiers {
            transform = { text in ListMasking.mask(try JSONValue.parse(Data(text.utf8))).serialized() }
        } else {
            transform = nil
        }
        let wanted = (types.map { $0.split(separator: ",").map(String.init) } ?? FHIRDefinitions.supportedTypes).filter { !deidentified || $0 != "AuditEvent" }
        for type in wanted where !FHIRDefinitions.supportedTypes.contains(type) {
            await platform.shutdown()
            throw fail("'\(type)' is not a supported resource type")
        }
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        for type in wanted {
            let path = (output as NSString).appendingPathComponent("\(type).ndjson")
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw fail("cannot create \(path)") }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw fail("cannot write \(path)") }
            let count = try await BulkData(store: platform.fhir).exportNDJSON(type: type, transform: transform) { text in
                handle.write(Data(text.utf8))
            }
            try handle.close()
            if count == 0 { try? FileManager.default.removeItem(atPath: path) } else { print("\(type): \(count)") }
        }
        try await platform.audit.append([AuditRecord.byOperator("export", action: "export", entity: wanted.joined(separator: ","),
                                                              purpose: deidentified ? "research" : "operations",
                                                              reason: deidentified ? "de-identified" : fullIdentifiers ? "identified, full ID numbers and phones" : "identified, ID numbers and phones masked")])
        await platform.shutdown()
    }
}

/// `weijian import-csv --kind residents|contracts|chronic --district 310105 [--dry-run] FILE`: a legacy system's CSV,
/// checked row by row (see docs/registry.md); prints the report and exits 1 when rows were refused.
struct ImportCSV: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-csv",
        abstract: "Import residents, family-doctor contracts or chronic registers from a legacy system's CSV (good rows written, bad rows reported).",
        discussion: "Columns — residents: id_number, name, subdistrict, chc [, phone, address]; contracts: id_number, doctor; chronic: id_number, programme (hypertension|diabetes), diagnosed [, icd10]. Rows already present are skipped, so a file can be imported again."
    )
    @OptionGroup var db: DatabaseOptions
    @Option(help: "residents, contracts or chronic.") var kind: String
    @Option(help: "The district (GB/T 2260) the rows belong to.") var district = "310105"
    @Flag(help: "Check every row and report, writing nothing.") var dryRun = false
    @Argument(help: "The CSV file (UTF-8, first row the column names).") var file: String

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else { throw fail("cannot read \(file) as UTF-8") }
        let platform: Platform
        do { platform = try await db.openPlatform() } catch { throw fail("\(error)") }
        let report: ImportReport
        do {
            let scope = AuditScope(template: AuditRecord.byOperator("import-csv", action: dryRun ? "check" : "import", entity: "import/\(kind)"))
            report = try await AuditScope.$current.withValue(scope) {
                try await LegacyImport(platform: platform).run(kind: kind, text: text, district: district, institution: nil, dryRun: dryRun, actor: "operator")
            }
        } catch {
            await platform.shutdown()
            throw fail("\(error)")
        }
        await platform.shutdown()
        print("\(report.kind)\(report.dryRun ? " (dry run)" : ""): \(report.rows) rows, \(report.imported) \(report.dryRun ? "would be imported" : "imported"), \(report.alreadyPresent) already present, \(report.rejected.count) refused")
        for row in report.rejected { print("  row \(row.row): \(row.reasons.joined(separator: "; "))") }
        if !report.rejected.isEmpty { throw ExitCode(1) }
    }
}
