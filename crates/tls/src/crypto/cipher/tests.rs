use aes::cipher::{BlockCipherEncrypt, KeyInit as _};
use tlsim_sim::RngStream;

use super::*;
use crate::crypto::prf::{PrfAlgorithm, key_block};
use crate::crypto::suites::{
    SUPPORTED_SUITES, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    suite_by_value,
};
use crate::crypto::{TLS11, TLS12};

const APPLICATION_DATA: u8 = 23;

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn hmac_sha256_matches_rfc4231_cases_1_and_2() {
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x0b; 20]).unwrap();
    m.update(b"Hi There");
    assert_eq!(
        hex::encode(m.finalize().into_bytes()),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    );
    let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
    m.update(b"what do ya want for nothing?");
    assert_eq!(
        hex::encode(m.finalize().into_bytes()),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[test]
fn hmac_sha1_matches_rfc2202_case_2() {
    let mut m = <Hmac<Sha1> as KeyInit>::new_from_slice(b"Jefe").unwrap();
    m.update(b"what do ya want for nothing?");
    assert_eq!(
        hex::encode(m.finalize().into_bytes()),
        "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
    );
}

#[test]
fn aes128_matches_fips197_c1() {
    let key = unhex("000102030405060708090a0b0c0d0e0f");
    let aes = Aes128::new_from_slice(&key).unwrap();
    let mut block = Array::try_from(&unhex("00112233445566778899aabbccddeeff")[..]).unwrap();
    aes.encrypt_block(&mut block);
    assert_eq!(hex::encode(block), "69c4e0d86a7b0430d8cdb78070b4c55a");
}

#[test]
fn aes128_cbc_matches_sp800_38a_f21() {
    let key: [u8; 16] = unhex("2b7e151628aed2a6abf7158809cf4f3c")
        .try_into()
        .unwrap();
    let iv: [u8; 16] = unhex("000102030405060708090a0b0c0d0e0f")
        .try_into()
        .unwrap();
    let mut buf = unhex(
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
         30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
    );
    let mut enc = cbc::Encryptor::<Aes128>::new(&key.into(), &iv.into());
    let (blocks, _) = Array::slice_as_chunks_mut(&mut buf);
    enc.encrypt_blocks(blocks);
    assert_eq!(
        hex::encode(&buf),
        "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
         73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"
    );
}

#[test]
fn aes128_gcm_matches_mcgrew_viega_test_case_4() {
    let aead = Aes128Gcm::new_from_slice(&unhex("feffe9928665731c6d6a8f9467308308")).unwrap();
    let nonce = Nonce::try_from(&unhex("cafebabefacedbaddecaf888")[..]).unwrap();
    let aad = unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
    let mut buf = unhex(
        "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
         1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
    );
    let tag = aead
        .encrypt_inout_detached(&nonce, &aad, buf.as_mut_slice().into())
        .unwrap();
    assert_eq!(
        hex::encode(&buf),
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
         21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091"
    );
    assert_eq!(hex::encode(tag), "5bc94fbc3221a5db94fae95ae7121a47");
}

/// An encrypter/decrypter pair for one direction of `suite` at `version`.
fn pair(suite_value: u16, version: u16) -> (RecordEncrypter, RecordDecrypter) {
    let suite = suite_by_value(suite_value).unwrap();
    let kb = key_block(
        suite.prf(version),
        &[0x42; 48],
        &[1; 32],
        &[2; 32],
        suite.key_block_layout(version),
    );
    (
        RecordEncrypter::from_key_block(suite, version, &kb, Side::Client).unwrap(),
        RecordDecrypter::from_key_block(suite, version, &kb, Side::Client).unwrap(),
    )
}

fn every_suite_and_version() -> Vec<(u16, u16)> {
    let mut out = Vec::new();
    for suite in &SUPPORTED_SUITES {
        for version in [TLS10, TLS11, TLS12] {
            if suite.supports_version(version) {
                out.push((suite.value, version));
            }
        }
    }
    out
}

#[test]
fn round_trips_for_every_suite_and_version() {
    let mut rng = RngStream::new(1, "records");
    for (suite, version) in every_suite_and_version() {
        let (mut enc, mut dec) = pair(suite, version);
        for len in [0usize, 1, 15, 16, 31, 100, 1000, MAX_PLAINTEXT_LEN] {
            let plaintext: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let fragment = enc.encrypt(APPLICATION_DATA, version, &plaintext, &mut rng);
            assert!(fragment.len() <= plaintext.len() + enc.max_overhead());
            let back = dec.decrypt(APPLICATION_DATA, version, &fragment).unwrap();
            assert_eq!(
                back, plaintext,
                "suite {suite:04x} version {version:04x} len {len}"
            );
            assert_eq!(dec.last_record().mac(), enc.last_record().mac());
        }
        assert_eq!(enc.sequence_number(), 8);
        assert_eq!(dec.sequence_number(), 8);
    }
}

#[test]
fn tampering_any_byte_gives_bad_record_mac() {
    let mut rng = RngStream::new(2, "records");
    for (suite, version) in every_suite_and_version() {
        let (mut enc, _) = pair(suite, version);
        let fragment = enc.encrypt(APPLICATION_DATA, version, b"GET / HTTP/1.1\r\n", &mut rng);
        for i in 0..fragment.len() {
            let (_, mut dec) = pair(suite, version);
            let mut bad = fragment.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                dec.decrypt(APPLICATION_DATA, version, &bad),
                Err(CryptoError::BadRecordMac),
                "suite {suite:04x} version {version:04x} byte {i}"
            );
        }
        // The header is authenticated too: type, version and sequence.
        let (_, mut dec) = pair(suite, version);
        assert_eq!(
            dec.decrypt(22, version, &fragment),
            Err(CryptoError::BadRecordMac)
        );
        let (_, mut dec) = pair(suite, version);
        assert_eq!(
            dec.decrypt(APPLICATION_DATA, version ^ 1, &fragment),
            Err(CryptoError::BadRecordMac)
        );
        let (_, mut dec) = pair(suite, version);
        assert_eq!(
            dec.decrypt(APPLICATION_DATA, version, &fragment[..fragment.len() - 1]),
            Err(CryptoError::BadRecordMac)
        );
        assert_eq!(
            dec.decrypt(APPLICATION_DATA, version, &[]),
            Err(CryptoError::BadRecordMac)
        );
    }
}

#[test]
fn replayed_record_fails_under_the_next_sequence_number() {
    let mut rng = RngStream::new(3, "records");
    let (mut enc, mut dec) = pair(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS12);
    let fragment = enc.encrypt(APPLICATION_DATA, TLS12, b"once", &mut rng);
    assert!(dec.decrypt(APPLICATION_DATA, TLS12, &fragment).is_ok());
    assert_eq!(
        dec.decrypt(APPLICATION_DATA, TLS12, &fragment),
        Err(CryptoError::BadRecordMac)
    );
}

#[test]
fn tls10_chains_the_last_ciphertext_block_into_the_next_iv() {
    let mut rng = RngStream::new(4, "records");
    let (mut enc, mut dec) = pair(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS10);
    let first = enc.encrypt(APPLICATION_DATA, TLS10, b"first record", &mut rng);
    let second = enc.encrypt(APPLICATION_DATA, TLS10, b"second record", &mut rng);
    // No explicit IV: 12 bytes + 20 of MAC + 16 of padding fill three blocks.
    assert_eq!(first.len(), 48);
    assert_eq!(enc.last_record().iv(), &first[first.len() - 16..]);
    dec.decrypt(APPLICATION_DATA, TLS10, &first).unwrap();
    assert_eq!(
        dec.decrypt(APPLICATION_DATA, TLS10, &second).unwrap(),
        b"second record"
    );
    assert_eq!(dec.last_record().iv(), &first[first.len() - 16..]);
    // Without the first record, the second cannot be opened.
    let (_, mut fresh) = pair(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS10);
    assert_eq!(
        fresh.decrypt(APPLICATION_DATA, TLS10, &second),
        Err(CryptoError::BadRecordMac)
    );
}

#[test]
fn tls11_sends_the_explicit_iv_first() {
    let (mut enc, mut dec) = pair(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS11);
    let iv = [0x5a; 16];
    let fragment = enc.encrypt_with_iv(APPLICATION_DATA, TLS11, b"hello", &iv);
    assert_eq!(&fragment[..16], &iv);
    assert_eq!(enc.last_record().iv(), &iv);
    // 5 + 20 = 25 bytes, padded to 32: padding_length 6.
    assert_eq!(fragment.len(), 16 + 32);
    assert_eq!(enc.last_record().padding_len, 6);
    assert_eq!(
        dec.decrypt(APPLICATION_DATA, TLS11, &fragment).unwrap(),
        b"hello"
    );
    assert_eq!(dec.last_record().padding_len, 6);
}

#[test]
fn gcm_uses_the_sequence_number_as_explicit_nonce() {
    let mut rng = RngStream::new(5, "records");
    let (mut enc, _) = pair(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS12);
    let _ = enc.encrypt(APPLICATION_DATA, TLS12, b"a", &mut rng);
    let second = enc.encrypt(APPLICATION_DATA, TLS12, b"b", &mut rng);
    assert_eq!(&second[..8], &1u64.to_be_bytes());
    assert_eq!(second.len(), 8 + 1 + 16);
    assert_eq!(&enc.last_record().iv()[4..], &1u64.to_be_bytes());
}

#[test]
fn good_mac_with_bad_padding_is_still_bad_record_mac() {
    // Build a TLS 1.1 record by hand whose MAC is right but whose padding
    // bytes disagree with the padding length.
    let suite = suite_by_value(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA).unwrap();
    let kb = key_block(
        PrfAlgorithm::Tls10,
        &[9; 48],
        &[1; 32],
        &[2; 32],
        suite.key_block_layout(TLS11),
    );
    let plaintext = b"0123456789a"; // 11 + 20 = 31 bytes: one padding byte 0
    let mac = RecordMac::new(suite.mac, &kb.client_mac_key).unwrap();
    let mut tag = [0u8; 32];
    mac.compute(
        &pseudo_header(0, APPLICATION_DATA, TLS11, 11),
        plaintext,
        &mut tag,
    );
    let mut body = [&plaintext[..], &tag[..20], &[1u8]].concat(); // claims 2 bytes of padding
    body.resize(32, 1);
    let iv = [7u8; 16];
    let key: &[u8; 16] = kb.client_write_key.as_slice().try_into().unwrap();
    let mut enc = cbc::Encryptor::<Aes128>::new(key.into(), &iv.into());
    let (blocks, _) = Array::slice_as_chunks_mut(&mut body);
    enc.encrypt_blocks(blocks);
    let fragment = [&iv[..], &body].concat();
    let mut dec = RecordDecrypter::from_key_block(suite, TLS11, &kb, Side::Client).unwrap();
    assert_eq!(
        dec.decrypt(APPLICATION_DATA, TLS11, &fragment),
        Err(CryptoError::BadRecordMac)
    );
}

#[test]
fn a_cbc_tamper_reaches_the_mac_and_padding() {
    let mut rng = RngStream::new(3, "records");
    let plaintext = b"0123456789abcdef0123";
    for (suite, version) in every_suite_and_version() {
        let (mut enc, mut dec) = pair(suite, version);
        let mut seal = |tamper: CbcTamper<'_>| {
            let fragment =
                enc.encrypt_tampered(APPLICATION_DATA, version, plaintext, &mut rng, tamper);
            dec.decrypt(APPLICATION_DATA, version, &fragment)
        };
        assert_eq!(seal(&mut |_, _| {}).unwrap(), plaintext);
        // RFC 5246 §6.2.3.2: padding may be longer than needed, up to 255.
        let longer = seal(&mut |_, padding| {
            let len = padding.len() + AES_BLOCK_LEN;
            *padding = vec![(len - 1) as u8; len];
        });
        assert_eq!(
            longer.unwrap(),
            plaintext,
            "suite {suite:04x} version {version:04x}"
        );
        if suite_by_value(suite).unwrap().bulk != BulkCipher::Aes128Cbc {
            continue;
        }
        assert_eq!(
            seal(&mut |mac, _| mac[0] ^= 1),
            Err(CryptoError::BadRecordMac)
        );
        // A fresh pair: the failed record left the decrypter's sequence
        // number behind the encrypter's.
        let (mut enc, mut dec) = pair(suite, version);
        let fragment = enc.encrypt_tampered(
            APPLICATION_DATA,
            version,
            plaintext,
            &mut rng,
            &mut |_, padding| {
                if let Some(length) = padding.last_mut() {
                    *length ^= 1;
                }
            },
        );
        assert_eq!(
            dec.decrypt(APPLICATION_DATA, version, &fragment),
            Err(CryptoError::BadRecordMac)
        );
    }
}

#[test]
fn padding_check_accepts_only_consistent_padding() {
    let mac_len = 20;
    let mut buf = vec![0u8; 48];
    buf[45..].copy_from_slice(&[2, 2, 2]);
    assert_eq!(check_padding(&buf, mac_len), (48 - 3 - 20, true));
    buf[45] = 3;
    assert!(!check_padding(&buf, mac_len).1);
    buf[47] = 200; // longer than the record
    assert!(!check_padding(&buf, mac_len).1);
}

#[test]
fn rejects_keys_of_the_wrong_length() {
    let suite = suite_by_value(TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA).unwrap();
    assert!(matches!(
        RecordEncrypter::new(suite, TLS12, &[0; 20], &[0; 15], &[]),
        Err(CryptoError::BadKeyLength)
    ));
    assert!(matches!(
        RecordEncrypter::new(suite, TLS10, &[0; 20], &[0; 16], &[]),
        Err(CryptoError::BadKeyLength)
    ));
    let gcm = suite_by_value(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256).unwrap();
    assert!(matches!(
        RecordDecrypter::new(gcm, TLS11, &[], &[0; 16], &[0; 4]),
        Err(CryptoError::UnsupportedVersion(TLS11))
    ));
}
