/// One problem found with a request, as an OperationOutcome issue.
public struct OutcomeIssue: Sendable, Equatable {
    /// `fatal`, `error`, `warning` or `information`.
    public var severity: String
    /// An IssueType code: `invalid`, `structure`, `required`, `value`, `not-found`, `conflict`, …
    public var code: String
    /// What went wrong, for a person to act on.
    public var diagnostics: String
    /// The FHIRPath of the element at fault, if any.
    public var expression: String?

    /// Creates an issue.
    public init(severity: String = "error", code: String, diagnostics: String, expression: String? = nil) {
        self.severity = severity
        self.code = code
        self.diagnostics = diagnostics
        self.expression = expression
    }
}

/// Builds FHIR `OperationOutcome` resources.
public enum OperationOutcome {
    /// An OperationOutcome carrying `issues`.
    public static func make(_ issues: [OutcomeIssue]) -> JSONValue {
        .object([
            "resourceType": .string("OperationOutcome"),
            "issue": .array(issues.map { issue in
                var members: [String: JSONValue] = [
                    "severity": .string(issue.severity),
                    "code": .string(issue.code),
                    "diagnostics": .string(issue.diagnostics),
                ]
                if let expression = issue.expression {
                    members["expression"] = .array([.string(expression)])
                }
                return .object(members)
            }),
        ])
    }

    /// An OperationOutcome with one informational issue.
    public static func information(_ text: String) -> JSONValue {
        make([OutcomeIssue(severity: "information", code: "informational", diagnostics: text)])
    }
}

/// An error a FHIR interaction reports to the client: an HTTP status and the issues behind it.
public struct FHIRError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status the specification gives for this error.
    public var status: Int
    /// The issues, sent as an OperationOutcome.
    public var issues: [OutcomeIssue]

    /// Creates an error with issues.
    public init(status: Int, issues: [OutcomeIssue]) {
        self.status = status
        self.issues = issues
    }

    /// Creates an error with one issue.
    public init(status: Int, code: String, _ diagnostics: String, expression: String? = nil) {
        self.init(status: status, issues: [OutcomeIssue(code: code, diagnostics: diagnostics, expression: expression)])
    }

    public var description: String { "\(status): " + issues.map(\.diagnostics).joined(separator: "; ") }

    /// The issues' diagnostics on one line, separated by ；, as the web pages show a refusal.
    public var pageMessage: String { issues.map(\.diagnostics).joined(separator: "；") }

    /// 400: the request is malformed.
    public static func badRequest(_ text: String, expression: String? = nil) -> FHIRError {
        FHIRError(status: 400, code: "invalid", text, expression: expression)
    }

    /// 404: no such resource or type.
    public static func notFound(_ text: String) -> FHIRError {
        FHIRError(status: 404, code: "not-found", text)
    }

    /// 410: the resource was deleted.
    public static func gone(_ text: String) -> FHIRError {
        FHIRError(status: 410, code: "deleted", text)
    }

    /// 412: a version precondition failed.
    public static func preconditionFailed(_ text: String) -> FHIRError {
        FHIRError(status: 412, code: "conflict", text)
    }

    /// 409: conflict with the current state.
    public static func conflict(_ text: String) -> FHIRError {
        FHIRError(status: 409, code: "conflict", text)
    }

    /// 422: the content breaks the rules of FHIR or of the server.
    public static func unprocessable(_ issues: [OutcomeIssue]) -> FHIRError {
        FHIRError(status: 422, issues: issues)
    }
}
