use aes::cipher::{BlockCipherEncrypt, KeyInit as _};
use tlsim_sim::RngStream;

use super::*;
use crate::crypto::prf::{PrfAlgorithm, key_block};
use crate::crypto::suites::{
    SUPPORTED_SUITES, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
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
fn aes256_matches_fips197_c3() {
    let key = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    let aes = Aes256::new_from_slice(&key).unwrap();
    let mut block = Array::try_from(&unhex("00112233445566778899aabbccddeeff")[..]).unwrap();
    aes.encrypt_block(&mut block);
    assert_eq!(hex::encode(block), "8ea2b7ca516745bfeafc49904b496089");
}

/// SP 800-38A's plaintext for every CBC example.
const SP800_38A_PLAINTEXT: &str = "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
                                   30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

/// Encrypts and decrypts SP 800-38A's plaintext with `key` in CBC mode,
/// through the same [`AesCbc`] the record layer uses.
#[track_caller]
fn check_cbc_vector(key: &str, ciphertext: &str) {
    let iv: [u8; 16] = unhex("000102030405060708090a0b0c0d0e0f")
        .try_into()
        .unwrap();
    let mut buf = unhex(SP800_38A_PLAINTEXT);
    AesCbc::<Sealing>::new(&unhex(key), &iv)
        .unwrap()
        .encrypt(&mut buf);
    assert_eq!(hex::encode(&buf), ciphertext);
    AesCbc::<Opening>::new(&unhex(key), &iv)
        .unwrap()
        .decrypt(&mut buf);
    assert_eq!(hex::encode(&buf), SP800_38A_PLAINTEXT);
}

#[test]
fn aes128_cbc_matches_sp800_38a_f21() {
    check_cbc_vector(
        "2b7e151628aed2a6abf7158809cf4f3c",
        "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2\
         73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7",
    );
}

#[test]
fn aes256_cbc_matches_sp800_38a_f25() {
    check_cbc_vector(
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d\
         39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b",
    );
}

/// Seals `plaintext` with `bulk` through the record layer's [`RecordAead`],
/// checks ciphertext and tag, opens it again, and checks that a changed
/// tag fails.
#[track_caller]
fn check_aead_vector(
    bulk: BulkCipher,
    key: &str,
    nonce: &str,
    aad: &str,
    plaintext: &[u8],
    ciphertext: &str,
    tag: &str,
) {
    let aead = RecordAead::new(bulk, &unhex(key)).unwrap();
    let nonce: [u8; 12] = unhex(nonce).try_into().unwrap();
    let aad = unhex(aad);
    let mut buf = plaintext.to_vec();
    let sealed_tag = aead.seal(&nonce, &aad, &mut buf);
    assert_eq!(hex::encode(&buf), ciphertext);
    assert_eq!(hex::encode(sealed_tag), tag);
    aead.open(&nonce, &aad, &mut buf, &sealed_tag).unwrap();
    assert_eq!(buf, plaintext);
    let mut bad_tag = sealed_tag;
    bad_tag[0] ^= 1;
    assert_eq!(
        aead.open(&nonce, &aad, &mut buf, &bad_tag),
        Err(CryptoError::BadRecordMac)
    );
}

/// The plaintext of the GCM specification's test cases 3 to 6 and 15 to
/// 18, cut to 60 bytes as cases 4 and 16 use it.
const GCM_SPEC_PLAINTEXT: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                                  1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39";

#[test]
fn aes128_gcm_matches_mcgrew_viega_test_case_4() {
    check_aead_vector(
        BulkCipher::Aes128Gcm,
        "feffe9928665731c6d6a8f9467308308",
        "cafebabefacedbaddecaf888",
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        &unhex(GCM_SPEC_PLAINTEXT),
        "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e\
         21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
        "5bc94fbc3221a5db94fae95ae7121a47",
    );
}

#[test]
fn aes256_gcm_matches_mcgrew_viega_test_case_16() {
    check_aead_vector(
        BulkCipher::Aes256Gcm,
        "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
        "cafebabefacedbaddecaf888",
        "feedfacedeadbeeffeedfacedeadbeefabaddad2",
        &unhex(GCM_SPEC_PLAINTEXT),
        "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
         8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
        "76fc6ece0f4e1768cddf8853bb2d551b",
    );
}

#[test]
fn chacha20_poly1305_matches_rfc8439_section_2_8_2() {
    check_aead_vector(
        BulkCipher::ChaCha20Poly1305,
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
        "070000004041424344454647",
        "50515253c0c1c2c3c4c5c6c7",
        b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for \
          the future, sunscreen would be it.",
        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6\
         3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36\
         92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc\
         3ff4def08e4b7a9de576d26586cec64b6116",
        "1ae10b594f09e26a7e902ecbd0600691",
    );
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

/// OpenSSL starts its explicit nonces at a random value and counts up;
/// pinned, the first one is that value and each record adds one, and the
/// peer opens them all (it reads the nonce from the record).
#[test]
fn a_pinned_first_gcm_nonce_counts_up_from_there() {
    let mut rng = RngStream::new(5, "records");
    let (mut enc, mut dec) = pair(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS12);
    let first = [0x04, 0xa6, 0xf9, 0x7c, 0x87, 0x28, 0x0a, 0xff];
    enc.start_explicit_nonces_at(first);
    let one = enc.encrypt(APPLICATION_DATA, TLS12, b"a", &mut rng);
    let two = enc.encrypt(APPLICATION_DATA, TLS12, b"b", &mut rng);
    assert_eq!(one[..8], first);
    assert_eq!(two[..8], [0x04, 0xa6, 0xf9, 0x7c, 0x87, 0x28, 0x0b, 0x00]);
    assert_eq!(dec.decrypt(APPLICATION_DATA, TLS12, &one).unwrap(), b"a");
    assert_eq!(dec.decrypt(APPLICATION_DATA, TLS12, &two).unwrap(), b"b");
}

#[test]
fn chacha20_poly1305_xors_the_sequence_number_into_the_key_block_iv() {
    let mut rng = RngStream::new(6, "records");
    let suite = suite_by_value(TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256).unwrap();
    let kb = key_block(
        suite.prf(TLS12),
        &[0x42; 48],
        &[1; 32],
        &[2; 32],
        suite.key_block_layout(TLS12),
    );
    assert_eq!(kb.client_iv.len(), 12);
    let (mut enc, mut dec) = pair(TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, TLS12);
    let first = enc.encrypt(APPLICATION_DATA, TLS12, b"a", &mut rng);
    assert_eq!(enc.last_record().iv(), kb.client_iv);
    let second = enc.encrypt(APPLICATION_DATA, TLS12, b"b", &mut rng);
    // RFC 7905 §2: no explicit nonce, only the ciphertext and the tag.
    assert_eq!(second.len(), 1 + 16);
    let mut expected = kb.client_iv.clone();
    expected[11] ^= 1;
    assert_eq!(enc.last_record().iv(), expected);
    dec.decrypt(APPLICATION_DATA, TLS12, &first).unwrap();
    assert_eq!(dec.decrypt(APPLICATION_DATA, TLS12, &second).unwrap(), b"b");
    assert_eq!(dec.last_record().iv(), expected);
}

#[test]
fn cbc_sha384_records_carry_a_48_byte_mac() {
    let (mut enc, mut dec) = pair(TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, TLS12);
    let fragment = enc.encrypt_with_iv(APPLICATION_DATA, TLS12, b"hello", &[0x5a; 16]);
    // 5 + 48 = 53 bytes, padded to 64: padding_length 10.
    assert_eq!(fragment.len(), 16 + 64);
    assert_eq!(enc.last_record().padding_len, 10);
    assert_eq!(enc.last_record().mac().len(), 48);
    assert_eq!(
        dec.decrypt(APPLICATION_DATA, TLS12, &fragment).unwrap(),
        b"hello"
    );
    assert_eq!(dec.last_record().mac(), enc.last_record().mac());
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
    let mut tag = [0u8; MAX_MAC_LEN];
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
    let aes256 = suite_by_value(TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384).unwrap();
    assert!(matches!(
        RecordDecrypter::new(aes256, TLS12, &[], &[0; 16], &[0; 4]),
        Err(CryptoError::BadKeyLength)
    ));
    let chacha = suite_by_value(TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256).unwrap();
    assert!(matches!(
        RecordEncrypter::new(chacha, TLS12, &[], &[0; 32], &[0; 4]),
        Err(CryptoError::BadKeyLength)
    ));
}
