//! The documented Client Hello as a byte fixture: decode, re-encode,
//! dissect, and the arithmetic that makes its record 244 bytes.

use tlsim_tls::codec::Codec;
use tlsim_tls::enums::{
    CipherSuite, CompressionMethod, ContentType, DOCUMENTED_CLIENT_CURVES,
    DOCUMENTED_CLIENT_SUITES, EcPointFormat, ExtensionType, ProtocolVersion,
};
use tlsim_tls::error::{Error, InvalidMessage};
use tlsim_tls::msgs::dissect::dissect_record;
use tlsim_tls::msgs::{ClientExtension, ClientHello, HandshakeMessage, Random, SessionId};
use tlsim_tls::record::{Deframer, HandshakeJoiner, Record};

/// The client's first record: TLS 1.0, 51 suites, null compression, SNI
/// www.google.com, empty renegotiation_info, 25 curves, 3 point formats.
static DOCUMENTED_CLIENT_HELLO: [u8; 244] = [
    // record header: Handshake, TLS 1.0, length 239
    0x16, 0x03, 0x01, 0x00, 0xef, // handshake header: Client Hello, length 235
    0x01, 0x00, 0x00, 0xeb, // client_version TLS 1.0
    0x03, 0x01, // random
    0x52, 0x36, 0x2d, 0x1e, 0x0b, 0x30, 0x55, 0x7a, 0x9f, 0xc4, 0xe9, 0x0e, 0x33, 0x58, 0x7d, 0xa2,
    0xc7, 0xec, 0x11, 0x36, 0x5b, 0x80, 0xa5, 0xca, 0xef, 0x14, 0x39, 0x5e, 0x83, 0xa8, 0xcd, 0xf2,
    // session ID length 0
    0x00, // cipher suites length 102, then 51 suites
    0x00, 0x66, 0xc0, 0x14, 0xc0, 0x0a, 0xc0, 0x22, 0xc0, 0x21, 0x00, 0x39, 0x00, 0x38, 0x00, 0x88,
    0x00, 0x87, 0xc0, 0x0f, 0xc0, 0x05, 0x00, 0x35, 0x00, 0x84, 0xc0, 0x12, 0xc0, 0x08, 0xc0, 0x1c,
    0xc0, 0x1b, 0x00, 0x16, 0x00, 0x13, 0xc0, 0x0d, 0xc0, 0x03, 0x00, 0x0a, 0xc0, 0x13, 0xc0, 0x09,
    0xc0, 0x1f, 0xc0, 0x1e, 0x00, 0x33, 0x00, 0x32, 0x00, 0x9a, 0x00, 0x99, 0x00, 0x45, 0x00, 0x44,
    0xc0, 0x0e, 0xc0, 0x04, 0x00, 0x2f, 0x00, 0x96, 0x00, 0x41, 0x00, 0x07, 0xc0, 0x11, 0xc0, 0x07,
    0xc0, 0x0c, 0xc0, 0x02, 0x00, 0x05, 0x00, 0x04, 0x00, 0x15, 0x00, 0x12, 0x00, 0x09, 0x00, 0x14,
    0x00, 0x11, 0x00, 0x08, 0x00, 0x06, 0x00, 0x03, // 1 compression method: null
    0x01, 0x00, // extensions length 92
    0x00, 0x5c, // server_name: www.google.com
    0x00, 0x00, 0x00, 0x13, 0x00, 0x11, 0x00, 0x00, 0x0e, 0x77, 0x77, 0x77, 0x2e, 0x67, 0x6f, 0x6f,
    0x67, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d, // renegotiation_info: empty
    0xff, 0x01, 0x00, 0x01, 0x00, // elliptic_curves: 25 curves
    0x00, 0x0a, 0x00, 0x34, 0x00, 0x32, 0x00, 0x0e, 0x00, 0x0d, 0x00, 0x19, 0x00, 0x0b, 0x00, 0x0c,
    0x00, 0x18, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x17, 0x00, 0x08, 0x00, 0x06, 0x00, 0x07,
    0x00, 0x14, 0x00, 0x15, 0x00, 0x04, 0x00, 0x05, 0x00, 0x12, 0x00, 0x13, 0x00, 0x01, 0x00, 0x02,
    0x00, 0x03, 0x00, 0x0f, 0x00, 0x10, 0x00, 0x11, // ec_point_formats: 3 formats
    0x00, 0x0b, 0x00, 0x04, 0x03, 0x00, 0x01, 0x02,
];

fn documented_hello() -> ClientHello {
    let random: [u8; 32] = DOCUMENTED_CLIENT_HELLO[11..43].try_into().unwrap();
    ClientHello {
        client_version: ProtocolVersion::Tls10,
        random: Random(random),
        session_id: SessionId::empty(),
        cipher_suites: DOCUMENTED_CLIENT_SUITES.to_vec(),
        compression_methods: vec![CompressionMethod::Null],
        extensions: vec![
            ClientExtension::ServerName(vec!["www.google.com".into()]),
            ClientExtension::RenegotiationInfo(Vec::new()),
            ClientExtension::SupportedGroups(DOCUMENTED_CLIENT_CURVES.to_vec()),
            ClientExtension::EcPointFormats(vec![
                EcPointFormat::Uncompressed,
                EcPointFormat::AnsiX962CompressedPrime,
                EcPointFormat::AnsiX962CompressedChar2,
            ]),
        ],
    }
}

fn record_of(hello: ClientHello) -> Vec<u8> {
    Record {
        typ: ContentType::Handshake,
        version: ProtocolVersion::Tls10,
        fragment: HandshakeMessage::ClientHello(hello).to_bytes(),
    }
    .to_bytes()
}

#[test]
fn documented_client_hello_is_244_bytes() {
    // Extensions, each with a 4-byte type+length header (RFC 5246 §7.4.1.4).
    let server_name = 4 + 2 + 1 + 2 + "www.google.com".len(); // list len, type, name len
    let renegotiation_info = 4 + 1; // renegotiated_connection<0..255>, empty
    let elliptic_curves = 4 + 2 + 2 * 25;
    let ec_point_formats = 4 + 1 + 3;
    let extensions = server_name + renegotiation_info + elliptic_curves + ec_point_formats;
    assert_eq!(
        (
            server_name,
            renegotiation_info,
            elliptic_curves,
            ec_point_formats
        ),
        (23, 5, 56, 8)
    );
    assert_eq!(extensions, 92);

    let body = 2 // client_version
        + 32 // random
        + 1 // session ID length, 0
        + 2 + 2 * 51 // cipher suites
        + 1 + 1 // one compression method
        + 2 + extensions;
    assert_eq!(body, 235);
    let record = 5 + 4 + body;
    assert_eq!(record, 244);

    let encoded = record_of(documented_hello());
    assert_eq!(encoded.len(), record);
    assert_eq!(encoded, DOCUMENTED_CLIENT_HELLO);
}

#[test]
fn deconstructs_the_documented_client_hello() {
    let record = Record::from_bytes(&DOCUMENTED_CLIENT_HELLO).unwrap();
    assert_eq!(record.typ, ContentType::Handshake);
    assert_eq!(record.version, ProtocolVersion::Tls10);
    let HandshakeMessage::ClientHello(hello) =
        HandshakeMessage::from_bytes(&record.fragment).unwrap()
    else {
        panic!("not a Client Hello");
    };
    assert_eq!(hello, documented_hello());
    assert_eq!(hello.cipher_suites.len(), 51);
    assert_eq!(
        hello.cipher_suites[0],
        CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA
    );
    assert!(
        hello
            .cipher_suites
            .contains(&CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA)
    );
    assert_eq!(
        hello.extension(ExtensionType::ServerName),
        Some(&ClientExtension::ServerName(vec!["www.google.com".into()]))
    );
}

#[test]
fn dissects_the_documented_client_hello_in_wireshark_terms() {
    let fields = dissect_record(&DOCUMENTED_CLIENT_HELLO, None);
    let value = |name: &str| {
        fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    };
    assert_eq!(
        value("TLSv1 Record Layer"),
        Some("Handshake Protocol: Client Hello")
    );
    assert_eq!(value("Content Type"), Some("Handshake (22)"));
    assert_eq!(value("Version"), Some("TLS 1.0 (0x0301)"));
    assert_eq!(value("Length"), Some("239"));
    assert_eq!(value("Handshake Type"), Some("Client Hello (1)"));
    assert_eq!(value("Session ID Length"), Some("0"));
    assert_eq!(value("Cipher Suites Length"), Some("102"));
    assert_eq!(value("Cipher Suites"), Some("51 suites"));
    assert_eq!(value("Compression Methods"), Some("1 method"));
    assert_eq!(value("Server Name"), Some("www.google.com"));
    assert_eq!(value("Elliptic curves point formats"), Some("3"));
    assert_eq!(value("Elliptic curves"), Some("25 curves"));
    assert!(fields.iter().all(|f| f.name != "Malformed"));

    let extensions: Vec<&str> = fields
        .iter()
        .filter(|f| f.name == "Extension")
        .map(|f| f.value.as_str())
        .collect();
    assert_eq!(
        extensions,
        [
            "server_name (len=19)",
            "renegotiation_info (len=1)",
            "elliptic_curves (len=52)",
            "ec_point_formats (len=4)"
        ]
    );

    // Each suite is a child of "Cipher Suites", one level deeper, located
    // in the record.
    let parent = fields
        .iter()
        .position(|f| f.name == "Cipher Suites")
        .unwrap();
    let suites: Vec<_> = fields[parent + 1..]
        .iter()
        .take_while(|f| f.depth == fields[parent].depth + 1)
        .collect();
    assert_eq!(suites.len(), 51);
    assert_eq!(
        suites[0].value,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA (0xc014)"
    );
    assert_eq!(suites[0].span, Some([46, 48]));
    let name = fields.iter().find(|f| f.name == "Server Name").unwrap();
    let [start, end] = name.span.unwrap();
    assert_eq!(
        &DOCUMENTED_CLIENT_HELLO[start as usize..end as usize],
        b"www.google.com"
    );
}

#[test]
fn documented_client_hello_survives_any_segmentation() {
    for split in 1..DOCUMENTED_CLIENT_HELLO.len() {
        let mut deframer = Deframer::new();
        deframer.push(&DOCUMENTED_CLIENT_HELLO[..split]);
        assert!(deframer.pop().is_none());
        deframer.push(&DOCUMENTED_CLIENT_HELLO[split..]);
        let record = deframer.pop().unwrap().unwrap();
        let mut joiner = HandshakeJoiner::new();
        joiner.push(&record.fragment).unwrap();
        let joined = joiner.pop().unwrap().unwrap();
        assert_eq!(joined.bytes, DOCUMENTED_CLIENT_HELLO[5..]);
        assert_eq!(
            joined.message(),
            Ok(&HandshakeMessage::ClientHello(documented_hello()))
        );
    }
}

#[test]
fn rejects_documented_client_hello_with_a_repeated_extension() {
    // Repeat ec_point_formats: append its 8 bytes and grow the three
    // lengths that enclose it.
    let mut bytes = DOCUMENTED_CLIENT_HELLO.to_vec();
    bytes.extend_from_within(236..244);
    let grow = |bytes: &mut Vec<u8>, at: usize, width: usize| {
        let mut n = 0usize;
        for b in &bytes[at..at + width] {
            n = n << 8 | usize::from(*b);
        }
        n += 8;
        for i in 0..width {
            bytes[at + width - 1 - i] = (n >> (8 * i)) as u8;
        }
    };
    grow(&mut bytes, 3, 2); // record length
    grow(&mut bytes, 6, 3); // handshake length
    grow(&mut bytes, 150, 2); // extensions length
    let record = Record::from_bytes(&bytes).unwrap();
    assert_eq!(
        HandshakeMessage::from_bytes(&record.fragment).unwrap_err(),
        InvalidMessage::DuplicateExtension(ExtensionType::EcPointFormats)
    );
    let mut joiner = HandshakeJoiner::new();
    joiner.push(&record.fragment).unwrap();
    let err = Error::from(joiner.pop().unwrap().unwrap().message().unwrap_err());
    assert_eq!(
        err.alert(),
        Some(tlsim_tls::enums::AlertDescription::IllegalParameter)
    );
    assert!(matches!(err, Error::InvalidMessage(_)));
}

#[test]
fn rejects_every_truncation_of_the_documented_client_hello() {
    let record = Record::from_bytes(&DOCUMENTED_CLIENT_HELLO).unwrap();
    for cut in 0..record.fragment.len() {
        assert!(
            HandshakeMessage::from_bytes(&record.fragment[..cut]).is_err(),
            "accepted {cut} bytes"
        );
        assert!(Record::from_bytes(&DOCUMENTED_CLIENT_HELLO[..5 + cut]).is_err());
    }
}
