/// A FHIR REST request, independent of the HTTP server: method, path below the base, query and headers.
public struct FHIRRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `DELETE`.
    public var method: String
    /// Path segments below the FHIR base (`["Patient", "123", "_history", "2"]`).
    public var path: [String]
    /// Query items in order; names may repeat.
    public var query: [(String, String)]
    /// Headers with lower-cased names.
    public var headers: [String: String]
    /// The parsed body, when there is one.
    public var body: JSONValue?

    /// Creates a request.
    public init(method: String, path: [String], query: [(String, String)] = [], headers: [String: String] = [:], body: JSONValue? = nil) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The value of a header (name in any case).
    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The `Prefer` header's value for a key (`return`, `handling`).
    public func preference(_ key: String) -> String? {
        guard let prefer = header("prefer") else { return nil }
        for part in prefer.split(separator: ";").flatMap({ $0.split(separator: ",") }) {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0] == key { return pair[1] }
        }
        return nil
    }
}

/// The body of a FHIR response: stored JSON text passed through, or a JSON value to serialise.
public enum FHIRBody: Sendable {
    case none
    case text(String)
    case json(JSONValue)

    /// The body's bytes as text.
    public var serialized: String {
        switch self {
        case .none: ""
        case .text(let text): text
        case .json(let value): value.serialized()
        }
    }
}

/// A FHIR REST response.
public struct FHIRResponse: Sendable {
    /// The HTTP status.
    public var status: Int
    /// Extra headers (ETag, Location, Last-Modified).
    public var headers: [(String, String)]
    /// The body.
    public var body: FHIRBody

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: FHIRBody = .none) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The response for an error: its status with an OperationOutcome.
    public init(error: FHIRError) {
        self.init(status: error.status, body: .json(OperationOutcome.make(error.issues)))
    }
}

import Foundation
