import Foundation

/// Checks a resource against the R4 definitions: known elements, datatypes, cardinality,
/// required elements, required codes and reference target types.
///
/// The rules are data (`structures.json`); this type only walks them.
public struct ResourceValidator: Sendable {
    /// The definitions to check against.
    public let definitions: FHIRDefinitions
    private let patterns: PrimitivePatterns

    /// Creates a validator over the given definitions.
    public init(definitions: FHIRDefinitions = .shared) {
        self.definitions = definitions
        self.patterns = PrimitivePatterns.shared
    }

    /// Every problem found in `resource`; empty when it is valid.
    public func validate(_ resource: JSONValue) -> [OutcomeIssue] {
        var issues: [OutcomeIssue] = []
        var steps: [String] = []
        validateResource(resource, steps: &steps, issues: &issues)
        return issues
    }

    /// The FHIRPath of `steps`: the first as is, then `.name` for element names and `[i]` for index steps.
    /// Paths are kept as steps while walking and joined only for an issue.
    private static func render(_ steps: [String]) -> String {
        var path = ""
        for (index, step) in steps.enumerated() {
            if index > 0, step.first != "[" { path += "." }
            path += step
        }
        return path
    }

    private func validateResource(_ resource: JSONValue, steps: inout [String], issues: inout [OutcomeIssue]) {
        let path = steps.isEmpty ? nil : Self.render(steps)
        guard let members = resource.objectValue else {
            issues.append(OutcomeIssue(code: "structure", diagnostics: "A resource must be a JSON object, not \(resource.kindName)", expression: path))
            return
        }
        guard let typeName = members["resourceType"]?.stringValue else {
            issues.append(OutcomeIssue(code: "required", diagnostics: "The resource has no resourceType", expression: path))
            return
        }
        guard let type = definitions.types[typeName], type.kind == "resource" else {
            issues.append(OutcomeIssue(code: "not-supported", diagnostics: "'\(typeName)' is not a FHIR R4 resource type", expression: path))
            return
        }
        if steps.isEmpty {
            steps.append(typeName)
            validateMembers(members, elements: type.elements, required: type.required, steps: &steps, isResource: true, issues: &issues)
            steps.removeLast()
        } else {
            validateMembers(members, elements: type.elements, required: type.required, steps: &steps, isResource: true, issues: &issues)
        }
    }

    private func validateMembers(
        _ members: [String: JSONValue],
        elements: [String: ElementDefinition],
        required: [(name: String, definition: ElementDefinition)],
        steps: inout [String],
        isResource: Bool,
        issues: inout [OutcomeIssue]
    ) {
        for (key, value) in members {
            if isResource && key == "resourceType" { continue }
            if key.hasPrefix("_") {
                let base = String(key.dropFirst())
                guard let (_, typeCode) = resolve(base, in: elements), let typeCode, definitions.isPrimitive(typeCode) else {
                    issues.append(OutcomeIssue(code: "structure", diagnostics: "Unknown element '\(key)'", expression: "\(Self.render(steps)).\(key)"))
                    continue
                }
                for item in value.items where item.objectValue == nil && item != .null {
                    issues.append(OutcomeIssue(code: "structure", diagnostics: "'\(key)' must hold objects with id or extension", expression: "\(Self.render(steps)).\(key)"))
                }
                continue
            }
            guard let (definition, typeCode) = resolve(key, in: elements) else {
                if key == "id" || key == "extension" || key == "modifierExtension" { continue }
                issues.append(OutcomeIssue(code: "structure", diagnostics: "Unknown element '\(key)'", expression: "\(Self.render(steps)).\(key)"))
                continue
            }
            steps.append(key)
            defer { steps.removeLast() }
            if definition.isRepeating {
                guard case .array(let items) = value else {
                    issues.append(OutcomeIssue(code: "structure", diagnostics: "'\(key)' repeats and must be a JSON array", expression: Self.render(steps)))
                    continue
                }
                if items.isEmpty {
                    issues.append(OutcomeIssue(code: "structure", diagnostics: "'\(key)' must not be an empty array; leave it out instead", expression: Self.render(steps)))
                }
                if let max = definition.maxCount, items.count > max {
                    issues.append(OutcomeIssue(code: "structure", diagnostics: "'\(key)' allows at most \(max) items", expression: Self.render(steps)))
                }
                for (index, item) in items.enumerated() {
                    if item == .null, members["_" + key] != nil { continue }
                    steps.append(index < Self.indexSteps.count ? Self.indexSteps[index] : "[\(index)]")
                    validateValue(item, typeCode: typeCode, definition: definition, steps: &steps, issues: &issues)
                    steps.removeLast()
                }
            } else {
                if case .array = value {
                    issues.append(OutcomeIssue(code: "structure", diagnostics: "'\(key)' is a single value and must not be an array", expression: Self.render(steps)))
                    continue
                }
                validateValue(value, typeCode: typeCode, definition: definition, steps: &steps, issues: &issues)
            }
        }
        for (name, definition) in required {
            if !isPresent(name, definition: definition, in: members) {
                issues.append(OutcomeIssue(code: "required", diagnostics: "Required element '\(name)' is missing", expression: "\(Self.render(steps)).\(name)"))
            }
        }
    }

    private func isPresent(_ name: String, definition: ElementDefinition, in members: [String: JSONValue]) -> Bool {
        if name.hasSuffix("[x]") {
            let base = String(name.dropLast(3))
            return (definition.type ?? []).contains { members[base + Self.capitalized($0)] != nil || members["_" + base + Self.capitalized($0)] != nil }
        }
        return members[name] != nil || members["_" + name] != nil
    }

    /// Finds the element a JSON key names, with the concrete type for choice elements.
    ///
    /// A key that names no element directly may be a choice element's base and a type
    /// (`valueQuantity` for `value[x]`): the base ends before one of the key's capitals.
    private func resolve(_ key: String, in elements: [String: ElementDefinition]) -> (ElementDefinition, String?)? {
        if let definition = elements[key] {
            return (definition, definition.typeCode)
        }
        let utf8 = key.utf8
        var position = utf8.index(utf8.startIndex, offsetBy: 1, limitedBy: utf8.endIndex) ?? utf8.endIndex
        while position < utf8.endIndex {
            if (0x41...0x5A).contains(utf8[position]), let definition = elements[String(key[..<position]) + "[x]"],
               let type = definition.type?.first(where: { Self.isCapitalized($0, as: utf8[position...]) }) {
                return (definition, type)
            }
            position = utf8.index(after: position)
        }
        return nil
    }

    /// True when `suffix` is the type code `type` with its first letter capitalised (`Quantity` for `Quantity`, `DateTime` for `dateTime`).
    private static func isCapitalized(_ type: String, as suffix: Substring.UTF8View) -> Bool {
        let code = type.utf8
        guard code.count == suffix.count, let first = code.first, let suffixFirst = suffix.first else { return false }
        let upper = (0x61...0x7A).contains(first) ? first - 0x20 : first
        return upper == suffixFirst && code.dropFirst().elementsEqual(suffix.dropFirst())
    }

    /// `[0]`, `[1]`, … for the paths of array items, made once.
    private static let indexSteps = (0..<64).map { "[\($0)]" }

    static func capitalized(_ type: String) -> String {
        guard let first = type.first else { return type }
        return first.uppercased() + type.dropFirst()
    }

    private func validateValue(_ value: JSONValue, typeCode: String?, definition: ElementDefinition, steps: inout [String], issues: inout [OutcomeIssue]) {
        if let reference = definition.contentReference {
            guard let elements = definitions.elements(atContentReference: reference) else { return }
            guard let members = value.objectValue else {
                issues.append(OutcomeIssue(code: "structure", diagnostics: "Expected an object, found \(value.kindName)", expression: Self.render(steps)))
                return
            }
            validateMembers(members, elements: elements, required: ElementDefinition.required(in: elements), steps: &steps, isResource: false, issues: &issues)
            return
        }
        if let children = definition.elements {
            guard let members = value.objectValue else {
                issues.append(OutcomeIssue(code: "structure", diagnostics: "Expected an object, found \(value.kindName)", expression: Self.render(steps)))
                return
            }
            validateMembers(members, elements: children, required: definition.requiredChildren, steps: &steps, isResource: false, issues: &issues)
            return
        }
        guard let typeCode else { return }
        if definitions.isPrimitive(typeCode) {
            if let problem = patterns.check(value, type: typeCode) {
                issues.append(OutcomeIssue(code: "value", diagnostics: problem, expression: Self.render(steps)))
            } else if let codes = definition.codes, let code = value.stringValue, !codes.contains(code) {
                issues.append(OutcomeIssue(code: "code-invalid", diagnostics: "'\(code)' is not one of the allowed codes: \(codes.joined(separator: ", "))", expression: Self.render(steps)))
            }
            return
        }
        if typeCode == "Resource" {
            validateResource(value, steps: &steps, issues: &issues)
            return
        }
        guard let type = definitions.types[typeCode] else { return }
        guard let members = value.objectValue else {
            issues.append(OutcomeIssue(code: "structure", diagnostics: "Expected a \(typeCode) object, found \(value.kindName)", expression: Self.render(steps)))
            return
        }
        validateMembers(members, elements: type.elements, required: type.required, steps: &steps, isResource: false, issues: &issues)
        if typeCode == "Reference", let targets = definition.targets, !targets.isEmpty, !targets.contains("Resource"),
           let reference = members["reference"]?.stringValue, let targetType = ReferenceValue(reference)?.type,
           !targets.contains(targetType) {
            issues.append(OutcomeIssue(
                code: "structure",
                diagnostics: "A reference to \(targetType) is not allowed here; allowed: \(targets.joined(separator: ", "))",
                expression: Self.render(steps)
            ))
        }
    }
}
