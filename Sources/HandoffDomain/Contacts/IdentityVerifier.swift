import Crypto
import Foundation
import HandoffCore

/// An external id whose identity hash checked out; only `IdentityVerifier` makes one, so a
/// contact is never bound to an id nobody proved.
package struct VerifiedIdentity: Sendable, Equatable {
    package let externalID: String

    fileprivate init(_ externalID: String) { self.externalID = externalID }
}

/// Checks the identity a site asserts for its visitor (API.md "Identity, attribution, outcomes,
/// reports"), the way support widgets verify theirs: the site's server computes
/// `identity_hash` = hex HMAC-SHA256(`HANDOFF_IDENTITY_SECRET`, external_id) and the page hands
/// both to the widget. Without a configured secret no identity can be proved, so every
/// `external_id` is refused.
package struct IdentityVerifier: Sendable {
    /// The HMAC key, nil when no secret is configured.
    private let key: Reloadable<SymmetricKey?>

    /// Longest external id, in UTF-8 bytes.
    static let maxExternalIDLength = 255

    package init(secret: String?) { key = Reloadable(Self.key(secret)) }

    /// Takes a new secret (SIGHUP): hashes made with the old one stop verifying at once.
    package func reload(secret: String?) { key.replace(with: Self.key(secret)) }

    private static func key(_ secret: String?) -> SymmetricKey? {
        guard let secret, !secret.isEmpty else { return nil }
        return SymmetricKey(data: Data(secret.utf8))
    }

    /// The identity asserted by `externalID` and `hash`, or nil when none was asserted. Throws 403
    /// `identity_not_configured` without a secret, 403 `invalid_identity` for a missing or wrong
    /// hash (compared in constant time), 422 for an external id that is empty, too long or holds
    /// control characters, or a hash without an external id.
    package func verify(externalID: String?, hash: String?) throws(UseCaseError) -> VerifiedIdentity? {
        guard let externalID else {
            guard hash == nil else {
                throw UseCaseError(
                    .invalid, code: "missing_field", message: "identity_hash comes with external_id.",
                    field: "external_id")
            }
            return nil
        }
        guard !externalID.isEmpty, externalID.utf8.count <= Self.maxExternalIDLength,
            !externalID.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw UseCaseError(
                .invalid, code: "invalid_field",
                message: "external_id must be 1 to \(Self.maxExternalIDLength) bytes without control characters.",
                field: "external_id")
        }
        guard let key = key.value else {
            throw UseCaseError(
                .forbidden, code: "identity_not_configured",
                message:
                    "This server verifies no identities (HANDOFF_IDENTITY_SECRET is not set); send no external_id.",
                field: "external_id")
        }
        let expected = Array(
            Array(HMAC<SHA256>.authenticationCode(for: Data(externalID.utf8), using: key)).hexString.utf8)
        guard let hash, ConstantTime.equals(expected, Array(hash.lowercased().utf8)) else {
            throw UseCaseError(
                .forbidden, code: "invalid_identity",
                message: "identity_hash is not the HMAC-SHA256 of external_id under this site's identity secret.",
                field: "identity_hash")
        }
        return VerifiedIdentity(externalID)
    }
}
