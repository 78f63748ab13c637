//! What a TLS 1.3 Client Hello must hold before the server answers it,
//! each rule with the alert RFC 8446 names for breaking it.
//!
//! Read first: RFC 8446 §9.2 (mandatory extensions), §4.1.2
//! (legacy_compression_methods), §4.2.1 (supported_versions), §4.2.8
//! (key_share).

use tlsim_tls::enums::{CompressionMethod, ExtensionType, NamedGroup, ProtocolVersion};
use tlsim_tls::error::{Error, PeerIncompatible, PeerMisbehaved};
use tlsim_tls::msgs::tls13::{ClientKeyShares, ClientSupportedVersions, Tls13Extension};
use tlsim_tls::msgs::{ClientExtension, ClientHello, HelloExtension};

/// RFC 8446 §4.2.1: with supported_versions, "servers MUST NOT use the
/// ClientHello.legacy_version value for version negotiation"; a list that
/// holds no version from `min_version` up is protocol_version.
///
/// # Errors
/// protocol_version when the list holds none of the server's versions;
/// the codec's error for a malformed extension.
pub(crate) fn check_supported_versions(
    hello: &ClientHello,
    min_version: ProtocolVersion,
) -> Result<(), Error> {
    let Some(versions) = ClientSupportedVersions::find_in_client_hello(hello) else {
        return Ok(());
    };
    let versions = versions?.0;
    let floor = min_version.max(ProtocolVersion::Tls10).get();
    let speaks = |v: &ProtocolVersion| (floor..=ProtocolVersion::Tls13.get()).contains(&v.get());
    if versions.iter().any(speaks) {
        Ok(())
    } else {
        Err(PeerIncompatible::UnsupportedVersion(hello.client_version).into())
    }
}

/// RFC 8446 §4.2.1, Appendix D: the version a client offers below TLS
/// 1.3 when it sends supported_versions: the highest TLS 1.0–1.2 version
/// it lists, since legacy_version must not decide. `None` without the
/// extension.
///
/// # Errors
/// protocol_version when the list holds no TLS 1.0–1.2 version ("If the
/// "supported_versions" extension in the ClientHello contains no versions
/// acceptable to the server, the server MUST abort the handshake with a
/// "protocol_version" alert"); the codec's error for a malformed extension.
pub(crate) fn highest_legacy_version(
    hello: &ClientHello,
) -> Result<Option<ProtocolVersion>, Error> {
    let Some(versions) = ClientSupportedVersions::find_in_client_hello(hello) else {
        return Ok(None);
    };
    let legacy = ProtocolVersion::Tls10.get()..=ProtocolVersion::Tls12.get();
    versions?
        .0
        .into_iter()
        .filter(|v| legacy.contains(&v.get()))
        .max_by_key(|v| v.get())
        .map(Some)
        .ok_or_else(|| PeerIncompatible::UnsupportedVersion(hello.client_version).into())
}

/// The rules of a Client Hello that negotiates TLS 1.3.
///
/// # Errors
/// - illegal_parameter for compression methods other than exactly null
///   (§4.1.2), for a key share of a group not in supported_groups or two
///   shares of one group (§4.2.8);
/// - missing_extension without signature_algorithms or supported_groups
///   (and no pre_shared_key), or with one of supported_groups and key_share
///   but not the other (§9.2);
/// - the codec's error for a malformed key_share.
pub(crate) fn check_client_hello(hello: &ClientHello) -> Result<(), Error> {
    // RFC 8446 §4.1.2: "If a TLS 1.3 ClientHello is received with any
    // other value in this field, the server MUST abort the handshake with
    // an "illegal_parameter" alert."
    if hello.compression_methods != [CompressionMethod::Null] {
        return Err(PeerMisbehaved::IllegalParameter("legacy_compression_methods").into());
    }
    let has = |typ: ExtensionType| hello.extensions.iter().any(|e| e.ext_type() == typ);
    // RFC 8446 §9.2: without a pre_shared_key, a Client Hello "MUST
    // contain both a "signature_algorithms" extension and a
    // "supported_groups" extension"; with supported_groups it must carry
    // key_share, and the other way round.
    let psk = has(ExtensionType::PreSharedKey);
    for required in [
        ExtensionType::SignatureAlgorithms,
        ExtensionType::SupportedGroups,
    ] {
        if !psk && !has(required) {
            return Err(PeerMisbehaved::MissingExtension(required).into());
        }
    }
    match (
        has(ExtensionType::SupportedGroups),
        has(ExtensionType::KeyShare),
    ) {
        (true, false) => {
            return Err(PeerMisbehaved::MissingExtension(ExtensionType::KeyShare).into());
        }
        (false, true) => {
            return Err(PeerMisbehaved::MissingExtension(ExtensionType::SupportedGroups).into());
        }
        _ => {}
    }
    let supported: &[NamedGroup] = hello
        .extensions
        .iter()
        .find_map(|ext| match ext {
            ClientExtension::SupportedGroups(groups) => Some(groups.as_slice()),
            _ => None,
        })
        .unwrap_or(&[]);
    let shares = match ClientKeyShares::find_in_client_hello(hello) {
        Some(shares) => shares?.0,
        None => Vec::new(),
    };
    // RFC 8446 §4.2.8: "Clients MUST NOT offer multiple KeyShareEntry
    // values for the same group. Clients MUST NOT offer any KeyShareEntry
    // values for groups not listed in the client's "supported_groups"
    // extension. Servers MAY check for violations of these rules and abort
    // the handshake with an "illegal_parameter" alert if one is violated."
    for (i, share) in shares.iter().enumerate() {
        if !supported.contains(&share.group) {
            return Err(
                PeerMisbehaved::IllegalParameter("key share for a group not offered").into(),
            );
        }
        if shares[..i].iter().any(|s| s.group == share.group) {
            return Err(PeerMisbehaved::IllegalParameter("two key shares for one group").into());
        }
    }
    Ok(())
}
