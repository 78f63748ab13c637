//! RFC 8448 §5 "HelloRetryRequest": the values and records of the trace.
//! The client shares x25519; the server, preferring secp256r1, asks for
//! a share there with a cookie; the second Client Hello carries the P-256
//! share and the cookie, padded to 512 octets.

/// {client} create an ephemeral x25519 key pair: the first share's private key.
pub(crate) const CLIENT_X25519_PRIVATE: &str = "0e d0 2f 8e 81 17 ef c7 5c a7 ac 32 aa 7e 34 ed
    a6 4c dc 0d da d1 54 a5 e8 52 89 f9 59 f6 32 04";

/// {client} construct a ClientHello handshake message (180 octets): an x25519
/// share only, no padding.
pub(crate) const CLIENT_HELLO_1: &str = "01 00 00 b0 03 03 b0 b1 c5 a5 aa 37 c5 91 9f 2e
    d1 d5 c6 ff f7 fc b7 84 97 16 94 5a 2b 8c ee 92 58
    a3 46 67 7b 6f 00 00 06 13 01 13 03 13 02 01 00 00
    81 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72 ff
    01 00 01 00 00 0a 00 08 00 06 00 1d 00 17 00 18 00
    33 00 26 00 24 00 1d 00 20 e8 e8 e3 f3 b9 3a 25 ed
    97 a1 4a 7d ca cb 8a 27 2c 62 88 e5 85 c6 48 4d 05
    26 2f ca d0 62 ad 1f 00 2b 00 03 02 03 04 00 0d 00
    20 00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06
    04 01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00
    2d 00 02 01 01 00 1c 00 02 40 01";

/// {server} construct a ServerHello handshake message (176 octets): the
/// HelloRetryRequest, asking for secp256r1, with a cookie.
pub(crate) const HELLO_RETRY_REQUEST: &str = "02 00 00 ac 03 03 cf 21 ad 74 e5 9a 61 11 be 1d
    8c 02 1e 65 b8 91 c2 a2 11 16 7a bb 8c 5e 07 9e 09
    e2 c8 a8 33 9c 00 13 01 00 00 84 00 33 00 02 00 17
    00 2c 00 74 00 72 71 dc d0 4b b8 8b c3 18 91 19 39
    8a 00 00 00 00 ee fa fc 76 c1 46 b8 23 b0 96 f8 aa
    ca d3 65 dd 00 30 95 3f 4e df 62 56 36 e5 f2 1b b2
    e2 3f cc 65 4b 1b 5b 40 31 8d 10 d1 37 ab cb b8 75
    74 e3 6e 8a 1f 02 5f 7d fa 5d 6e 50 78 1b 5e da 4a
    a1 5b 0c 8b e7 78 25 7d 16 aa 30 30 e9 e7 84 1d d9
    e4 c0 34 22 67 e8 ca 0c af 57 1f b2 b7 cf f0 f9 34
    b0 00 2b 00 02 03 04";

/// The HelloRetryRequest's cookie (114 octets).
pub(crate) const COOKIE: &str = "71 dc d0 4b b8 8b c3 18 91 19 39 8a 00 00 00 00
    ee fa fc 76 c1 46 b8 23 b0 96 f8 aa ca d3 65 dd 00
    30 95 3f 4e df 62 56 36 e5 f2 1b b2 e2 3f cc 65 4b
    1b 5b 40 31 8d 10 d1 37 ab cb b8 75 74 e3 6e 8a 1f
    02 5f 7d fa 5d 6e 50 78 1b 5e da 4a a1 5b 0c 8b e7
    78 25 7d 16 aa 30 30 e9 e7 84 1d d9 e4 c0 34 22 67
    e8 ca 0c af 57 1f b2 b7 cf f0 f9 34 b0";

/// {client} create an ephemeral P-256 key pair: the second share's private key.
pub(crate) const CLIENT_P256_PRIVATE: &str = "ab 54 73 46 7e 19 34 6c eb 0a 04 14 e4 1d a2 1d
    4d 24 45 bc 30 25 af e9 7c 4e 8d c8 d5 13 da 39";

/// {client} construct a ClientHello handshake message (512 octets): the
/// P-256 share, the cookie, and padding to 512 octets.
pub(crate) const CLIENT_HELLO_2: &str = "01 00 01 fc 03 03 b0 b1 c5 a5 aa 37 c5 91 9f 2e
    d1 d5 c6 ff f7 fc b7 84 97 16 94 5a 2b 8c ee 92 58
    a3 46 67 7b 6f 00 00 06 13 01 13 03 13 02 01 00 01
    cd 00 00 00 0b 00 09 00 00 06 73 65 72 76 65 72 ff
    01 00 01 00 00 0a 00 08 00 06 00 1d 00 17 00 18 00
    33 00 47 00 45 00 17 00 41 04 a6 da 73 92 ec 59 1e
    17 ab fd 53 59 64 b9 98 94 d1 3b ef b2 21 b3 de f2
    eb e3 83 0e ac 8f 01 51 81 26 77 c4 d6 d2 23 7e 85
    cf 01 d6 91 0c fb 83 95 4e 76 ba 73 52 83 05 34 15
    98 97 e8 06 57 80 00 2b 00 03 02 03 04 00 0d 00 20
    00 1e 04 03 05 03 06 03 02 03 08 04 08 05 08 06 04
    01 05 01 06 01 02 01 04 02 05 02 06 02 02 02 00 2c
    00 74 00 72 71 dc d0 4b b8 8b c3 18 91 19 39 8a 00
    00 00 00 ee fa fc 76 c1 46 b8 23 b0 96 f8 aa ca d3
    65 dd 00 30 95 3f 4e df 62 56 36 e5 f2 1b b2 e2 3f
    cc 65 4b 1b 5b 40 31 8d 10 d1 37 ab cb b8 75 74 e3
    6e 8a 1f 02 5f 7d fa 5d 6e 50 78 1b 5e da 4a a1 5b
    0c 8b e7 78 25 7d 16 aa 30 30 e9 e7 84 1d d9 e4 c0
    34 22 67 e8 ca 0c af 57 1f b2 b7 cf f0 f9 34 b0 00
    2d 00 02 01 01 00 1c 00 02 40 01 00 15 00 af 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
    00 00 00";

/// {server} create an ephemeral P-256 key pair: the private key.
pub(crate) const SERVER_P256_PRIVATE: &str = "8c 51 06 01 f9 76 5b fb 8e d6 93 44 9a 48 98 98
    59 b5 cf a8 79 cb 9f 54 43 c4 1c 5f f1 06 34 ed";

/// {server} construct a ServerHello handshake message (123 octets).
pub(crate) const SERVER_HELLO: &str = "02 00 00 77 03 03 bb 34 1d 84 7f d7 89 c4 7c 38
    71 72 dc 0c 9b f1 47 fc ca cb 50 43 d8 6c a4 c5 98
    d3 ff 57 1b 98 00 13 01 00 00 4f 00 33 00 45 00 17
    00 41 04 58 3e 05 4b 7a 66 67 2a e0 20 ad 9d 26 86
    fc c8 5b 5a d4 1a 13 4a 0f 03 ee 72 b8 93 05 2b d8
    5b 4c 8d e6 77 6f 5b 04 ac 07 d8 35 40 ea b3 e3 d9
    c5 47 bc 65 28 c4 31 7d 29 46 86 09 3a 6c ad 7d 00
    2b 00 02 03 04";

/// {server} derive secret "tls13 c hs traffic".
pub(crate) const CLIENT_HS_TRAFFIC: &str = "15 8a a7 ab 88 55 07 35 82 b4 1d 67 4b 40 55 ca
    bc c5 34 72 8f 65 93 14 86 1b 4e 08 e2 01 15 66";

/// {server} derive secret "tls13 s hs traffic".
pub(crate) const SERVER_HS_TRAFFIC: &str = "34 03 e7 81 e2 af 7b 65 08 da 28 57 4f 6e 95 a1
    ab f1 62 de 83 a9 79 27 c3 76 72 a4 a0 ce f8 a1";

/// {server} derive secret "tls13 c ap traffic".
pub(crate) const CLIENT_AP_TRAFFIC: &str = "75 ec f4 b9 72 52 5a a0 dc d0 57 c9 94 4d 4c d5
    d8 26 71 d8 84 31 41 d7 dc 2a 4f f1 5a 21 dc 51";

/// {server} derive secret "tls13 s ap traffic".
pub(crate) const SERVER_AP_TRAFFIC: &str = "5c 74 f8 7d f0 42 25 db 0f 82 09 c9 de 64 29 e4
    94 35 fd ef a7 ca d6 18 64 87 4d 12 f3 1c fc 8d";

/// {server} derive secret "tls13 exp master".
pub(crate) const EXPORTER_MASTER: &str = "7c 06 d3 ae 10 6a 3a 37 4a ce 48 37 b3 98 5c ac
    67 78 0a 6e 2c 5c 04 b5 83 19 d5 84 df 09 d2 23";

/// {server} send handshake record: EncryptedExtensions, Certificate,
/// CertificateVerify and Finished in one record (667 octets).
pub(crate) const SERVER_FLIGHT_RECORD: &str = "17 03 03 02 96 99 be e2 0b af 5b 7f c7 27 bf ab
    62 23 92 8a 38 1e 6d 0c f9 c4 da 65 3f 9d 2a 7b 23
    f7 de 11 cc e8 42 d5 cf 75 63 17 63 45 0f fb 8b 0c
    c1 d2 38 e6 58 af 7a 12 ad c8 62 43 11 4a b1 4a 1d
    a2 fa e4 26 21 ce 48 3f b6 24 2e ab fa ad 52 56 6b
    02 b3 1d 2e dd ed ef eb 80 e6 6a 99 00 d5 f9 73 b4
    0c 4f df 74 71 9e cf 1b 68 d7 f9 c3 b6 ce b9 03 ca
    13 dd 1b b8 f8 18 7a e3 34 17 e1 d1 52 52 2c 58 22
    a1 a0 3a d5 2c 83 8c 55 95 3d 61 02 22 87 4c ce 8e
    17 90 b2 29 a2 aa 0b 53 c8 d3 77 ee 72 01 82 95 1d
    c6 18 1d c5 d9 0b d1 f0 10 5e d1 e8 4a a5 f7 59 57
    c6 66 18 97 07 9e 5e a5 00 74 49 e3 19 7b dc 7c 9b
    ee ed dd ea fd d8 44 af a5 c3 15 ec fe 65 e5 76 af
    e9 09 81 28 80 62 0e c7 04 8b 42 d7 f5 c7 8d 76 f2
    99 d6 d8 25 34 bd d8 f5 12 fe bc 0e d3 81 4a ca 47
    0c d8 00 0d 3e 1c b9 96 2b 05 2f bb 95 0d f6 83 a5
    2c 2b a7 7e d3 71 3b 12 29 37 a6 e5 17 09 64 e2 ab
    79 69 dc d9 80 b3 db 9b 45 8d a7 60 31 24 d6 dc 00
    5e 4d 6e 04 b4 d0 c4 ba f3 27 5d b8 27 db ba 0a 6d
    b0 96 72 17 1f c0 57 b3 85 1d 7e 02 68 41 e2 97 8f
    bd 23 46 bb ef dd 03 76 bb 11 08 fe 9a cc 92 18 9f
    56 50 aa 5e 85 d8 e8 c7 b6 7a c5 10 db a0 03 d3 d7
    e1 63 50 bb 66 d4 50 13 ef d4 4c 9b 60 7c 0d 31 8c
    4c 7d 1a 1f 5c bc 57 e2 06 11 80 4e 37 87 d7 b4 a4
    b5 f0 8e d8 fd 70 bd ae ad e0 22 60 b1 2a b8 42 ef
    69 0b 4a 3e e7 91 1e 84 1b 37 4e cd 5e bb bc 2a 54
    d0 47 b6 00 33 6d d7 d0 c8 8b 4b c1 0e 58 ee 6c b6
    56 de 72 47 fa 20 d8 e9 1d eb 84 62 86 08 cf 80 61
    5b 62 e9 6c 14 91 c7 ac 37 55 eb 69 01 40 5d 34 74
    fe 1a c7 9d 10 6a 0c ee 56 c2 57 7f c8 84 80 f9 6c
    b6 b8 c6 81 b7 b6 8b 53 c1 46 09 39 08 f3 50 88 81
    75 bd fb 0b 1e 31 ad 61 e3 0b a0 ad fe 6d 22 3a a0
    3c 07 83 b5 00 1a 57 58 7c 32 8a 9a fc fc fb 97 8d
    1c d4 32 8f 7d 9d 60 53 0e 63 0b ef d9 6c 0c 81 6e
    e2 0b 01 00 76 8a e2 a6 df 51 fc 68 f1 72 74 0a 79
    af 11 39 8e e3 be 12 52 49 1f a9 c6 93 47 9e 87 7f
    94 ab 7c 5f 8c ad 48 02 03 e6 ab 7b 87 dd 71 e8 a0
    72 91 13 df 17 f5 ee e8 6c e1 08 d1 d7 20 07 ec 1c
    d1 3c 85 a6 c1 49 62 1e 77 b7 d7 8d 80 5a 30 f0 be
    03 0c 31 5e 54";

/// {client} send handshake record: the client's Finished.
pub(crate) const CLIENT_FINISHED_RECORD: &str = "17 03 03 00 35 d7 4f 19 23 c6 62 fd 34 13 7c 6f
    50 2f 3d d2 b9 3d 95 1d 1b 3b c9 7e 42 af e2 3c 31
    ab ea 92 fe 91 b4 74 99 9e 85 e3 b7 91 ce 25 2f e8
    c3 e9 f9 39 a4 12 0c b2";

/// {client} send alert record: close_notify (24 octets).
pub(crate) const CLIENT_ALERT_RECORD: &str = "17 03 03 00 13 2e a6 cd f7 49 19 60 23 e2 b3 a4
    94 91 69 55 36 42 60 47";

/// {server} send alert record: close_notify (24 octets).
pub(crate) const SERVER_ALERT_RECORD: &str = "17 03 03 00 13 51 9f c5 07 5c b0 88 43 49 75 9f
    f9 ef 6f 01 1b b4 c6 f2";
