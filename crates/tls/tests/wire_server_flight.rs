//! The documented server flight: Certificate (three certificates),
//! ServerKeyExchange (named_curve) and ServerHelloDone in TLS 1.1 records,
//! carried in TCP segments of 1418 bytes, reassembled and dissected.

use tlsim_tls::codec::Codec;
use tlsim_tls::enums::{ContentType, EcCurveType, HandshakeType, NamedGroup, ProtocolVersion};
use tlsim_tls::msgs::dissect::dissect_records;
use tlsim_tls::msgs::{
    Certificate, DigitallySigned, EcdheServerKeyExchange, HandshakeMessage, ServerEcdhParams,
};
use tlsim_tls::record::{Deframer, HandshakeJoiner, fragment};

/// The documented segment size of the server's flight.
const SEGMENT_LEN: usize = 1418;

fn flight() -> Vec<HandshakeMessage> {
    // Stand-in DER of the documented lengths: www.google.com,
    // Google Internet Authority G2, GeoTrust Global CA.
    let chain = [1146, 1032, 897]
        .iter()
        .map(|&len| vec![0x30; len])
        .collect();
    let ske = EcdheServerKeyExchange {
        params: ServerEcdhParams {
            curve_type: EcCurveType::NamedCurve,
            named_curve: NamedGroup::Secp256r1,
            public: vec![0x04; 65],
        },
        signed: DigitallySigned {
            algorithm: None,
            signature: vec![0x5a; 256],
        },
    };
    vec![
        HandshakeMessage::Certificate(Certificate { chain }),
        HandshakeMessage::ServerKeyExchange(ske.to_bytes()),
        HandshakeMessage::ServerHelloDone,
    ]
}

/// One record per message, as the documented server sends them.
fn wire_bytes(messages: &[HandshakeMessage]) -> Vec<u8> {
    let mut wire = Vec::new();
    for message in messages {
        for record in fragment(
            ContentType::Handshake,
            ProtocolVersion::Tls11,
            &message.to_bytes(),
        ) {
            record.encode(&mut wire);
        }
    }
    wire
}

#[test]
fn reassembles_the_flight_from_1418_byte_segments() {
    let messages = flight();
    let wire = wire_bytes(&messages);
    // 3 records: (5 + 4 + 3 + 3*3 + 1146 + 1032 + 897) + (5 + 4 + 4 + 65 + 2 + 256) + (5 + 4)
    assert_eq!(wire.len(), 3096 + 336 + 9);

    let mut deframer = Deframer::new();
    let mut joiner = HandshakeJoiner::new();
    let mut transcript = Vec::new();
    let mut received = Vec::new();
    for segment in wire.chunks(SEGMENT_LEN) {
        deframer.push(segment);
        while let Some(record) = deframer.pop() {
            let record = record.unwrap();
            assert_eq!(record.version, ProtocolVersion::Tls11);
            joiner.push(&record.fragment).unwrap();
            while let Some(joined) = joiner.pop() {
                let joined = joined.unwrap();
                transcript.extend_from_slice(&joined.bytes);
                received.push(joined.message().unwrap().clone());
            }
        }
    }
    assert_eq!(received, messages);
    let expected: Vec<u8> = messages.iter().flat_map(|m| m.to_bytes()).collect();
    assert_eq!(transcript, expected);
    assert!(joiner.is_empty());
    assert_eq!(deframer.buffered(), 0);

    let HandshakeMessage::ServerKeyExchange(body) = &received[1] else {
        panic!("second message is not a Server Key Exchange");
    };
    let ske = EcdheServerKeyExchange::from_body(body, ProtocolVersion::Tls11).unwrap();
    assert_eq!(ske.params.named_curve, NamedGroup::Secp256r1);
}

#[test]
fn dissects_the_three_records_in_order() {
    let wire = wire_bytes(&flight());
    let fields = dissect_records(&wire, Some(ProtocolVersion::Tls11));
    let layers: Vec<&str> = fields
        .iter()
        .filter(|f| f.name == "TLSv1.1 Record Layer")
        .map(|f| f.value.as_str())
        .collect();
    assert_eq!(
        layers,
        [
            "Handshake Protocol: Certificate",
            "Handshake Protocol: Server Key Exchange",
            "Handshake Protocol: Server Hello Done"
        ]
    );
    let types: Vec<String> = fields
        .iter()
        .filter(|f| f.name == "Handshake Type")
        .map(|f| f.value.clone())
        .collect();
    assert_eq!(
        types,
        [
            HandshakeType::Certificate.to_string(),
            HandshakeType::ServerKeyExchange.to_string(),
            HandshakeType::ServerHelloDone.to_string()
        ]
    );
    let value = |name: &str| {
        fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value.as_str())
    };
    assert_eq!(value("Certificate Length"), Some("1146"));
    assert_eq!(value("Curve Type"), Some("named_curve (0x03)"));
    assert_eq!(value("Named Curve"), Some("secp256r1 (0x0017)"));
    assert_eq!(value("Pubkey Length"), Some("65"));
    assert!(fields.iter().all(|f| f.name != "Malformed"));
}
