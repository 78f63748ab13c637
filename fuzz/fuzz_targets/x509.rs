//! X.509 parsing, the outline (the log's view of a certificate) and chain
//! verification. First byte 0: the rest is DER; parsing and outlining
//! never panic, outline ranges lie inside the DER, and a parsed
//! certificate can be verified as its own anchor. First byte 1: the rest
//! picks a certificate of the test chain that verification relies on (leaf
//! or intermediate), a byte and bits to flip; the changed chain must never
//! verify.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tlsim_test_support::corpus::{MUTATE, RAW};
use tlsim_test_support::{LeafKey, NOW, Pki, SERVER_NAME, pki};
use tlsim_tls::cert::{Certificate, VerificationCache, outline, verify_chain};

fn test_pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| pki(LeafKey::Ecdsa))
}

fn verifies(chain: &[Vec<u8>], root: &[u8]) -> bool {
    let Ok(chain) = chain
        .iter()
        .map(|der| Certificate::parse(der))
        .collect::<Result<Vec<_>, _>>()
    else {
        return false;
    };
    let anchor = Certificate::parse(root).expect("the test root parses");
    verify_chain(
        &chain,
        &[anchor],
        Some(SERVER_NAME),
        NOW,
        &mut VerificationCache::default(),
    )
    .is_ok()
}

fn raw(der: &[u8]) {
    if let Ok(fields) = outline(der) {
        for field in &fields {
            assert!(
                field.range.start <= field.range.end && field.range.end <= der.len(),
                "{}: range {:?} outside {} bytes",
                field.name,
                field.range,
                der.len()
            );
        }
    }
    if let Ok(cert) = Certificate::parse(der) {
        let _ = verify_chain(
            core::slice::from_ref(&cert),
            core::slice::from_ref(&cert),
            None,
            NOW,
            &mut VerificationCache::default(),
        );
    }
}

fn flipped(choice: &[u8]) {
    let [which, hi, lo, xor, ..] = *choice else {
        return;
    };
    let pki = test_pki();
    assert!(verifies(&pki.chain, &pki.root), "the test chain verifies");
    let mut chain = pki.chain.clone();
    // The leaf and the intermediate: the root in the chain is not used,
    // since the anchor itself issued the intermediate.
    let cert = &mut chain[usize::from(which % 2)];
    let at = usize::from(u16::from_be_bytes([hi, lo])) % cert.len();
    cert[at] ^= xor | 1;
    assert!(
        !verifies(&chain, &pki.root),
        "certificate {} changed at byte {at} still verifies",
        which % 2
    );
}

fuzz_target!(|input: &[u8]| {
    match input.split_first() {
        Some((&RAW, der)) => raw(der),
        Some((&MUTATE, choice)) => flipped(choice),
        _ => {}
    }
});
