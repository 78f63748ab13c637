//! RFC 8448 §4 "Resumed 0-RTT Handshake": the values and records of the trace.

use super::h;

/// §3: `resumption_master_secret` of the first handshake.
pub(crate) const RESUMPTION_MASTER_1: &str = "7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf
    da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c";
/// §3: `{server} generate resumption secret "tls13 resumption"`, nonce 00 00.
pub(crate) const PSK: &str = "4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5
    85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3";
/// §3: `{server} construct a NewSessionTicket handshake message` (205 octets).
pub(crate) const NEW_SESSION_TICKET: &str = "04 00 00 c9 00 00 00 1e fa d6 aa c5 02 00 00 00 b2
    2c 03 5d 82 93 59 ee 5f f7 af 4e c9 00 00 00 00 26 2a 64 94 dc 48 6d
    2c 8a 34 cb 33 fa 90 bf 1b 00 70 ad 3c 49 88 83 c9 36 7c 09 a2 be 78
    5a bc 55 cd 22 60 97 a3 a9 82 11 72 83 f8 2a 03 a1 43 ef d3 ff 5d d3
    6d 64 e8 61 be 7f d6 1d 28 27 db 27 9c ce 14 50 77 d4 54 a3 66 4d 4e
    6d a4 d2 9e e0 37 25 a6 a4 da fc d0 fc 67 d2 ae a7 05 29 51 3e 3d a2
    67 7f a5 90 6c 5b 3f 7d 8f 92 f2 28 bd a4 0d da 72 14 70 f9 fb f2 97
    b5 ae a6 17 64 6f ac 5c 03 27 2e 97 07 27 c6 21 a7 91 41 ef 5f 7d e6
    50 5e 5b fb c3 88 e9 33 43 69 40 93 93 4a e4 d3 57 00 08 00 2a 00 04
    00 00 04 00";
pub(crate) const CLIENT_PRIVATE: &str = "bf f9 11 88 28 38 46 dd 6a 21 34 ef 71 80 ca 2b
    0b 14 fb 10 dc e7 07 b5 09 8c 0d dd c8 13 b2 df";
pub(crate) const CLIENT_PUBLIC: &str = "e4 ff b6 8a c0 5f 8d 96 c9 9d a2 66 98 34 6c 6b
    e1 64 82 ba dd da fe 05 1a 66 b4 f1 8d 66 8f 0b";
pub(crate) const SERVER_PRIVATE: &str = "de 5b 44 76 e7 b4 90 b2 65 2d 33 8a cb f2 94 80
    66 f2 55 f9 44 0e 23 b9 8f c6 98 35 29 8d c1 07";
pub(crate) const ECDHE: &str = "f4 41 94 75 6f f9 ec 9d 25 18 06 35 d6 6e a6 82
    4c 6a b3 bf 17 99 77 be 37 f7 23 57 0e 7c cb 2e";
pub(crate) const EARLY_SECRET: &str = "9b 21 88 e9 b2 fc 6d 64 d7 1d c3 29 90 0e 20 bb
    41 91 50 00 f6 78 aa 83 9c bb 79 7c b7 d8 33 2c";
pub(crate) const BINDER_KEY: &str = "69 fe 13 1a 3b ba d5 d6 3c 64 ee bc c3 0e 39 5b
    9d 81 07 72 6a 13 d0 74 e3 89 db c8 a4 e4 72 56";
pub(crate) const BINDER_FINISHED_KEY: &str = "55 88 67 3e 72 cb 59 c8 7d 22 0c af fe 94 f2 de
    a9 a3 b1 60 9f 7d 50 e9 0a 48 22 7d b9 ed 7e aa";
pub(crate) const PREFIX_HASH: &str = "63 22 4b 2e 45 73 f2 d3 45 4c a8 4b 9d 00 9a 04
    f6 be 9e 05 71 1a 83 96 47 3a ef a0 1e 92 4a 14";
pub(crate) const BINDER: &str = "3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8
    8d ae 99 01 41 c5 92 4d 57 bb 6f a3 1b 9e 5f 9d";
pub(crate) const CLIENT_EARLY_TRAFFIC: &str = "3f bb e6 a6 0d eb 66 c3 0a 32 79 5a ba 0e ff 7e
    aa 10 10 55 86 e7 be 5c 09 67 8d 63 b6 ca ab 62";
pub(crate) const EARLY_EXPORTER_MASTER: &str = "b2 02 68 66 61 09 37 d7 42 3e 5b e9 08 62 cc f2
    4c 0e 60 91 18 6d 34 f8 12 08 9f f5 be 2e f7 df";
pub(crate) const EARLY_KEY: &str = "92 02 05 a5 b7 bf 21 15 e6 fc 5c 29 42 83 4f 54";
pub(crate) const EARLY_IV: &str = "6d 47 5f 09 93 c8 e5 64 61 0d b2 b9";
pub(crate) const DERIVED_FROM_EARLY: &str = "5f 17 90 bb d8 2c 5e 7d 37 6e d2 e1 e5 2f 8e 60
    38 c9 34 6d b6 1b 43 be 9a 52 f7 7e f3 99 8e 80";
pub(crate) const HANDSHAKE_SECRET: &str = "00 5c b1 12 fd 8e b4 cc c6 23 bb 88 a0 7c 64 b3
    ed e1 60 53 63 fc 7d 0d f8 c7 ce 4f f0 fb 4a e6";
pub(crate) const CLIENT_HS_TRAFFIC: &str = "2f aa c0 8f 85 1d 35 fe a3 60 4f cb 4d e8 2d c6
    2c 9b 16 4a 70 97 4d 04 62 e2 7f 1a b2 78 70 0f";
pub(crate) const SERVER_HS_TRAFFIC: &str = "fe 92 7a e2 71 31 2e 8b f0 27 5b 58 1c 54 ee f0
    20 45 0d c4 ec ff aa 05 a1 a3 5d 27 51 8e 78 03";
pub(crate) const MASTER_SECRET: &str = "e2 d3 2d 4e d6 6d d3 78 97 a0 e8 0c 84 10 75 03
    ce 58 bf 8a ad 4c b5 5a 50 02 d7 7e cb 89 0e ce";
pub(crate) const CLIENT_AP_TRAFFIC: &str = "2a bb f2 b8 e3 81 d2 3d be be 1d d2 a7 d1 6a 8b
    f4 84 cb 49 50 d2 3f b7 fb 7f a8 54 70 62 d9 a1";
pub(crate) const SERVER_AP_TRAFFIC: &str = "cc 21 f1 bf 8f eb 7d d5 fa 50 5b d9 c4 b4 68 a9
    98 4d 55 4a 99 3d c4 9e 6d 28 55 98 fb 67 26 91";
pub(crate) const EXPORTER_MASTER: &str = "3f d9 3d 4f fd dc 98 e6 4b 14 dd 10 7a ed f8 ee
    4a dd 23 f4 51 0f 58 a4 59 2d 0b 20 1b ee 56 b4";
pub(crate) const RESUMPTION_MASTER_2: &str = "5e 95 bd f1 f8 90 05 ea 2e 9a a0 ba 85 e7 28 e3
    c1 9c 5f e0 c6 99 e3 f5 be e5 9f ae bd 0b 54 06";
pub(crate) const SERVER_HS_KEY: &str = "27 c6 bd c0 a3 dc ea 39 a4 73 26 d7 9b c9 e4 ee";
pub(crate) const SERVER_HS_IV: &str = "95 69 ec dd 4d 05 36 70 5e 9e f7 25";
pub(crate) const CLIENT_HS_KEY: &str = "b1 53 08 06 f4 ad fe ac 83 f1 41 30 32 bb fa 82";
pub(crate) const CLIENT_HS_IV: &str = "eb 50 c1 6b e7 65 4a bf 99 dd 06 d9";
pub(crate) const SERVER_AP_KEY: &str = "e8 57 c6 90 a3 4c 5a 91 29 d8 33 61 96 84 f9 5e";
pub(crate) const SERVER_AP_IV: &str = "06 85 d6 b5 61 aa b9 ef 10 13 fa f9";
pub(crate) const CLIENT_AP_KEY: &str = "3c f1 22 f3 01 c6 35 8c a7 98 95 53 25 0e fd 72";
pub(crate) const CLIENT_AP_IV: &str = "ab 1a ec 26 aa 78 b8 fc 11 76 b9 ac";
/// {client} construct a ClientHello handshake message: the prefix (477
/// octets) the binder covers; the whole message (512 octets) adds the
/// binders list.
pub(crate) const CLIENT_HELLO_PREFIX: &str = "01 00 01 fc 03 03 1b c3 ce b6 bb e3 9c ff
    93 83 55 b5 a5 0a db 6d b2 1b 7a 6a f6 49 d7 b4 bc 41 9d 78 76 48 7d
    95 00 00 06 13 01 13 03 13 02 01 00 01 cd 00 00 00 0b 00 09 00 00 06
    73 65 72 76 65 72 ff 01 00 01 00 00 0a 00 14 00 12 00 1d 00 17 00 18
    00 19 01 00 01 01 01 02 01 03 01 04 00 33 00 26 00 24 00 1d 00 20 e4
    ff b6 8a c0 5f 8d 96 c9 9d a2 66 98 34 6c 6b e1 64 82 ba dd da fe 05
    1a 66 b4 f1 8d 66 8f 0b 00 2a 00 00 00 2b 00 03 02 03 04 00 0d 00 20
    00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06 04 01 05 01 06 01 02
    01 04 02 05 02 06 02 02 02 00 2d 00 02 01 01 00 1c 00 02 40 01 00 15
    00 57 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 29 00
    dd 00 b8 00 b2 2c 03 5d 82 93 59 ee 5f f7 af 4e c9 00 00 00 00 26 2a
    64 94 dc 48 6d 2c 8a 34 cb 33 fa 90 bf 1b 00 70 ad 3c 49 88 83 c9 36
    7c 09 a2 be 78 5a bc 55 cd 22 60 97 a3 a9 82 11 72 83 f8 2a 03 a1 43
    ef d3 ff 5d d3 6d 64 e8 61 be 7f d6 1d 28 27 db 27 9c ce 14 50 77 d4
    54 a3 66 4d 4e 6d a4 d2 9e e0 37 25 a6 a4 da fc d0 fc 67 d2 ae a7 05
    29 51 3e 3d a2 67 7f a5 90 6c 5b 3f 7d 8f 92 f2 28 bd a4 0d da 72 14
    70 f9 fb f2 97 b5 ae a6 17 64 6f ac 5c 03 27 2e 97 07 27 c6 21 a7 91
    41 ef 5f 7d e6 50 5e 5b fb c3 88 e9 33 43 69 40 93 93 4a e4 d3 57 fa
    d6 aa cb";
/// {server} construct a ServerHello handshake message (96 octets).
pub(crate) const SERVER_HELLO: &str = "02 00 00 5c 03 03 3c cf d2 de c8 90 22 27 63 47
    2a e8 13 67 77 c9 d7 35 87 77 bb 66 e9 1e a5 12 24 95 f5 59 ea 2d 00
    13 01 00 00 34 00 29 00 02 00 00 00 33 00 24 00 1d 00 20 12 17 61 ee
    42 c3 33 e1 b9 e7 7b 60 dd 57 c2 05 3c d9 45 12 ab 47 f1 15 e8 6e ff
    50 94 2c ea 31 00 2b 00 02 03 04";
/// {server} construct an EncryptedExtensions handshake message (44 octets).
pub(crate) const ENCRYPTED_EXTENSIONS: &str = "08 00 00 28 00 26 00 0a 00 14 00 12 00 1d 00 17
    00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 1c 00 02 40 01 00 00 00
    00 00 2a 00 00";
/// {client} send application_data record: "ABCDEF" as 0-RTT data.
pub(crate) const EARLY_DATA_RECORD: &str = "17 03 03 00 17 ab 1d f4 20 e7 5c 45 7a 7c c5 d2
    84 4f 76 d5 ae e4 b4 ed bf 04 9b e0";
/// {server} send handshake record: EncryptedExtensions and Finished.
pub(crate) const SERVER_FLIGHT_RECORD: &str = "17 03 03 00 61 dc 48 23 7b 4b 87 9f 50 d0 d4 d2
    62 ea 8b 47 16 eb 40 dd c1 eb 95 7e 11 12 6e 8a 71 49 c2 d0 12 d3 7a
    71 15 95 7e 64 ce 30 00 8b 9e 03 23 f2 c0 5a 9c 1c 77 b4 f3 78 49 a6
    95 ab 25 50 60 a3 3f ee 77 0c a9 5c b8 48 6b fd 08 43 b8 70 24 86 5c
    a3 5c c4 1c 4e 51 5c 64 dc b1 36 9f 98 63 5b c7 a5";
/// {client} send handshake record: EndOfEarlyData, under the early keys.
pub(crate) const END_OF_EARLY_DATA_RECORD: &str = "17 03 03 00 15 ac a6 fc 94 48 41 29 8d f9 95 93
    72 5f 9b f9 75 44 29 b1 2f 09";
/// {client} send handshake record: the client's Finished.
pub(crate) const CLIENT_FINISHED_RECORD: &str = "17 03 03 00 35 00 f8 b4 67 d1 4c f2 2a 4b 3f 0b
    6a e0 d8 e6 cc 8d 08 e0 db 35 15 ef 5c 2b df 19 22 ea fb b7 00 09 96
    47 16 d8 34 fb 70 c3 d2 a5 6c 5b 1f 5f 6b db a6 c3 33 cf";
pub(crate) const SERVER_FINISHED_VERIFY_DATA: &str =
    "48 d3 e0 e1 b3 d9 07 c6 ac ff 14 5e 16 09 03 88
    c7 7b 05 c0 50 b6 34 ab 1a 88 bb d0 dd 1a 34 b2";
pub(crate) const CLIENT_FINISHED_VERIFY_DATA: &str =
    "72 30 a9 c9 52 c2 5c d6 13 8f c5 e6 62 83 08 c4
    1c 53 35 dd 81 b9 f9 6b ce a5 0f d3 2b da 41 6d";
/// {client} send application_data record: 00 01 … 31 (72 octets).
pub(crate) const CLIENT_APP_RECORD: &str = "17 03 03 00 43 b1 ce bc e2 42 aa 20
    1b e9 ae 5e 1c b2 a9 aa 4b 33 d4 e8 66 af 1e db 06 89 19 23 77
    41 aa 03 1d 7a 74 d4 91 c9 9b 9d 4e 23 2b 74 20 6b c6 fb aa 04
    fe 78 be 44 a9 b4 f5 43 20 a1 7e b7 69 92 af ac 31 03";
/// {server} send application_data record: the same 50 bytes (72 octets).
pub(crate) const SERVER_APP_RECORD: &str = "17 03 03 00 43 27 5e 9f 20 ac ff 57
    bc 00 06 57 d3 86 7d f0 39 cc cf 79 04 78 84 cf 75 77 17 46 f7
    40 b5 a8 3f 46 2a 09 54 c3 58 13 93 a2 03 a2 5a 7d d1 41 41 ef
    1a 37 90 0c db 62 ff 62 de e1 ba 39 ab 25 90 cb f1 94";
/// {client} send alert record: close_notify (24 octets).
pub(crate) const CLIENT_ALERT_RECORD: &str = "17 03 03 00 13 0f ac ce 32 46 bd fc
    63 69 83 8d 6a 82 ae 6d e5 d4 22 dc";
/// {server} send alert record: close_notify (24 octets).
pub(crate) const SERVER_ALERT_RECORD: &str = "17 03 03 00 13 5b 18 af 44 4e 8e 1e
    ec 71 58 fb 62 d8 f2 57 7d 37 ba 5d";

/// The whole Client Hello: the prefix, then `binders` holding one 32-byte
/// binder.
pub(crate) fn client_hello() -> Vec<u8> {
    [h(CLIENT_HELLO_PREFIX), vec![0x00, 0x21, 0x20], h(BINDER)].concat()
}
