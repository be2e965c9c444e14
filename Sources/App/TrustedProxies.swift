import Foundation
import NIOCore

/// The load balancers and reverse proxies in front of the server (`WEIJIAN_TRUSTED_PROXIES`), as addresses and CIDR
/// ranges (IPv4 and IPv6), and the client address a request from one of them stands for.
public struct TrustedProxies: Sendable, Equatable {
    struct Range: Sendable, Equatable {
        let network: [UInt8]
        let prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == network.count else { return false }
            var bits = prefix
            for (a, n) in zip(address, network) where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if a & mask != n & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    var ranges: [Range] = []

    /// None: every request's client is its peer.
    public init() {}

    /// Parses a comma-separated list of addresses (`10.0.0.5`, `::1`) and CIDR ranges (`10.0.0.0/24`, `fd00::/8`).
    public init(_ text: String) throws {
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let network = Self.bytes(of: String(parts[0])) else {
                throw Invalid(description: "'\(entry)' is not an IP address or a CIDR range (such as 10.0.0.5 or 10.0.0.0/24)")
            }
            var prefix = network.count * 8
            if parts.count == 2 {
                guard let bits = Int(parts[1]), (0...network.count * 8).contains(bits) else {
                    throw Invalid(description: "'\(entry)': the prefix length must be from 0 to \(network.count * 8)")
                }
                prefix = bits
            }
            ranges.append(Range(network: network, prefix: prefix))
        }
    }

    /// The list is malformed.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Whether no proxy is trusted.
    public var isEmpty: Bool { ranges.isEmpty }

    /// Whether `address` (text) is one of the trusted proxies.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(of: address) else { return false }
        return ranges.contains { $0.contains(bytes) }
    }

    /// The client a request stands for: when its peer is a trusted proxy, the nearest address of `X-Forwarded-For`
    /// (read from the right: each proxy appends the address it was reached from) that is not itself a trusted proxy;
    /// else the peer. An entry that is not an address ends the walk at the last trusted hop, so a client cannot
    /// choose its address by writing the header itself: only what trusted proxies appended is believed.
    public func client(peer: String, forwardedFor: [String]) -> String {
        guard contains(peer) else { return peer }
        var client = peer
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard let address = Self.address(hop) else { break }
            client = address
            if !contains(address) { break }
        }
        return client
    }

    /// `hop` as a bare address (`[::1]:8080` and `10.0.0.5:8080` without the port), or nil.
    static func address(_ hop: String) -> String? {
        if bytes(of: hop) != nil { return hop }
        if hop.hasPrefix("["), let end = hop.firstIndex(of: "]") {
            let inner = String(hop[hop.index(after: hop.startIndex)..<end])
            return bytes(of: inner) != nil ? inner : nil
        }
        if hop.filter({ $0 == ":" }).count == 1, let colon = hop.firstIndex(of: ":") {
            let host = String(hop[..<colon])
            return bytes(of: host) != nil ? host : nil
        }
        return nil
    }

    /// The address's bytes (4 for IPv4, including IPv4 mapped into IPv6; 16 for IPv6), or nil when `text` is not one.
    static func bytes(of text: String) -> [UInt8]? {
        guard !text.isEmpty, let address = try? SocketAddress(ipAddress: text, port: 0) else { return nil }
        switch address {
        case .v4(let v4):
            return withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes.prefix(10).allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes.suffix(4)) }
            return bytes
        default:
            return nil
        }
    }
}
