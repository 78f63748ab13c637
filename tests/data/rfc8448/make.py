#!/usr/bin/env python3
"""RFC 8448 §3: the server certificate (from the Certificate message) as
server-cert.pem, the RSA key (given as numbers) as PKCS #1 server-key.pem, and
the RSA-PSS salts of the CertificateVerify messages of §3 and §5, recovered
with the public key. Run from this directory."""

import base64
import hashlib

def h(t): return bytes.fromhex(''.join(t.split()))
cert_msg = h("""0b 00 01 b9 00 00 01 b5 00 01 b0 30 82 01 ac 30
        82 01 15 a0 03 02 01 02 02 01 02 30 0d 06 09 2a
        86 48 86 f7 0d 01 01 0b 05 00 30 0e 31 0c 30 0a
        06 03 55 04 03 13 03 72 73 61 30 1e 17 0d 31 36
        30 37 33 30 30 31 32 33 35 39 5a 17 0d 32 36 30
        37 33 30 30 31 32 33 35 39 5a 30 0e 31 0c 30 0a
        06 03 55 04 03 13 03 72 73 61 30 81 9f 30 0d 06
        09 2a 86 48 86 f7 0d 01 01 01 05 00 03 81 8d 00
        30 81 89 02 81 81 00 b4 bb 49 8f 82 79 30 3d 98
        08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26
        d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a
        95 13 7a ce 6c 1a f1 9e aa 6a f9 8c 7c ed 43 12
        09 98 e1 87 a8 0e e0 cc b0 52 4b 1b 01 8c 3e 0b
        63 26 4d 44 9a 6d 38 e2 2a 5f da 43 08 46 74 80
        30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0
        3e 2b d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a
        8d 88 d7 9f 7f 1e 3f 02 03 01 00 01 a3 1a 30 18
        30 09 06 03 55 1d 13 04 02 30 00 30 0b 06 03 55
        1d 0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86
        f7 0d 01 01 0b 05 00 03 81 81 00 85 aa d2 a0 e5
        b9 27 6b 90 8c 65 f7 3a 72 67 17 06 18 a5 4c 5f
        8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea e8 f8 a5
        8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a
        03 01 51 56 72 60 96 fd 33 5e 5e 67 f2 db f1 02
        70 2e 60 8c ca e6 be c1 fc 63 a4 2a 99 be 5c 3e
        b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b 1c 3b 84 e0
        a8 b2 f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8
        f8 96 12 29 ac 91 87 b4 2b 4d e1 00 00""")
assert len(cert_msg) == 4 + 0x1b9
cert = cert_msg[11:11+0x1b0]
assert cert_msg[11+0x1b0:] == b"\0\0"
n = int(h("""b4 bb 49 8f 82 79 30 3d 98 08 36 39 9b 36 c6 98 8c
           0c 68 de 55 e1 bd b8 26 d3 90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab
           bc 9a 95 13 7a ce 6c 1a f1 9e aa 6a f9 8c 7c ed 43 12 09 98 e1 87
           a8 0e e0 cc b0 52 4b 1b 01 8c 3e 0b 63 26 4d 44 9a 6d 38 e2 2a 5f
           da 43 08 46 74 80 30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0
           3e 2b d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e
           3f""").hex(),16)
e = 65537
d = int(h("""04 de a7 05 d4 3a 6e a7 20 9d d8 07 21 11 a8 3c 81
           e3 22 a5 92 78 b3 34 80 64 1e af 7c 0a 69 85 b8 e3 1c 44 f6 de 62
           e1 b4 c2 30 9f 61 26 e7 7b 7c 41 e9 23 31 4b bf a3 88 13 05 dc 12
           17 f1 6c 81 9c e5 38 e9 22 f3 69 82 8d 0e 57 19 5d 8c 84 88 46 02
           07 b2 fa a7 26 bc f7 08 bb d7 db 7f 67 9f 89 34 92 fc 2a 62 2e 08
           97 0a ac 44 1c e4 e0 c3 08 8d f2 5a e6 79 23 3d f8 a3 bd a2 ff 99
           41""").hex(),16)
p = int(h("""e4 35 fb 7c c8 37 37 75 6d ac ea 96 ab 7f 59 a2 cc 10 69 db
           7d eb 19 0e 17 e3 3a 53 2b 27 3f 30 a3 27 aa 0a aa bc 58 cd 67 46
           6a f9 84 5f ad c6 75 fe 09 4a f9 2c 4b d1 f2 c1 bc 33 dd 2e 05 15""").hex(),16)
q = int(h("""ca bd 3b c0 e0 43 86 64 c8 d4 cc 9f 99 97 7a 94 d9 bb fe ad
           8e 43 87 0a ba e3 f7 eb 8b 4e 0e ee 8a f1 d9 b4 71 9b a6 19 6c f2
           cb ba ee eb f8 b3 49 0a fe 9e 9f fa 74 a8 8a a5 1f c6 45 62 93 03""").hex(),16)
dp = int(h("""3f 57 34 5c 27 fe 1b 68 7e 6e 76 16 27 b7 8b 1b 82 64 33
           dd 76 0f a0 be a6 a6 ac f3 94 90 aa 1b 47 cd a4 86 9d 68 f5 84 dd
           5b 50 29 bd 32 09 3b 82 58 66 1f e7 15 02 5e 5d 70 a4 5a 08 d3 d3
           19""").hex(),16)
dq = int(h("""18 3d a0 13 63 bd 2f 28 85 ca cb dc 99 64 bf 47 64 f1 51
           76 36 f8 64 01 28 6f 71 89 3c 52 cc fe 40 a6 c2 3d 0d 08 6b 47 c6
           fb 10 d8 fd 10 41 e0 4d ef 7e 9a 40 ce 95 7c 41 77 94 e1 04 12 d1
           39""").hex(),16)
qi = int(h("""83 9c a9 a0 85 e4 28 6b 2c 90 e4 66 99 7a 2c 68 1f 21
           33 9a a3 47 78 14 e4 de c1 18 33 05 0e d5 0d d1 3c c0 38 04 8a 43
           c5 9b 2a cc 41 68 89 c0 37 66 5f e5 af a6 05 96 9f 8c 01 df a5 ca
           96 9d""").hex(),16)
assert p*q == n and dp == d % (p-1) and dq == d % (q-1) and (qi*q) % p == 1
assert (pow(pow(12345, e, n), d, n)) == 12345
assert n.to_bytes(128,'big') in cert
def der_len(l):
    if l < 128: return bytes([l])
    b = l.to_bytes((l.bit_length()+7)//8,'big'); return bytes([0x80|len(b)])+b
def der_int(x):
    b = x.to_bytes((x.bit_length()+8)//8 or 1,'big')
    return b'\x02'+der_len(len(b))+b
body = b''.join(der_int(v) for v in [0,n,e,d,p,q,dp,dq,qi])
key = b'\x30'+der_len(len(body))+body
def pem(label, der):
    b = base64.b64encode(der).decode()
    return f"-----BEGIN {label}-----\n" + "\n".join(b[i:i+64] for i in range(0,len(b),64)) + f"\n-----END {label}-----\n"
open('server-cert.pem','w').write(pem('CERTIFICATE', cert))
open('server-key.pem','w').write(pem('RSA PRIVATE KEY', key))
# RSA-PSS salts of the CertificateVerify messages: EM = s^e mod n, then
# undo MGF1.
def pss_salt(sig):
    emlen = 128  # emBits = 1023
    em = pow(int.from_bytes(sig,'big'), e, n).to_bytes(emlen,'big')
    assert em[-1] == 0xbc
    hlen=32
    masked, H = em[:emlen-hlen-1], em[emlen-hlen-1:-1]
    def mgf1(seed, l):
        out=b''; c=0
        while len(out)<l:
            out+=hashlib.sha256(seed+c.to_bytes(4,'big')).digest(); c+=1
        return out[:l]
    db = bytes(a^b for a,b in zip(masked, mgf1(H, len(masked))))
    db = bytes([db[0] & 0x7f]) + db[1:]
    i = db.index(1)
    assert all(x==0 for x in db[:i])
    return db[i+1:]
# §3 (and §4, which resumes without a signature).
sig = h("""5a 74 7c 5d 88 fa 9b d2
        e5 5a b0 85 a6 10 15 b7 21 1f 82 4c d4 84 14 5a
        b3 ff 52 f1 fd a8 47 7b 0b 7a bc 90 db 78 e2 d3
        3a 5c 14 1a 07 86 53 fa 6b ef 78 0c 5e a2 48 ee
        aa a7 85 c4 f3 94 ca b6 d3 0b be 8d 48 59 ee 51
        1f 60 29 57 b1 54 11 ac 02 76 71 45 9e 46 44 5c
        9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27 84 09
        d3 be 15 2a 3d a5 04 3e 06 3d da 65 cd f5 ae a2
        0d 53 df ac d4 2f 74 f3""")
salt = pss_salt(sig)
print("salt", len(salt), salt.hex())
# §5, after the HelloRetryRequest.
sig = h("""33 ab 13 d4 46 27 07 23 1b 5d ca e6 c8 19 0b 63 d1 da bc 74 f2
        8c 39 53 70 da 0b 07 e5 b8 30 66 d0 24 6a 31 ac d9 5d f4 75 bf d7
        99 a4 a7 0d 33 ad 93 d3 a3 17 a9 b2 c0 d2 37 a5 68 5b 21 9e 77 41
        12 e3 91 a2 47 60 7d 1a ef f1 bb d0 a3 9f 38 2e e1 a5 fe 88 ae 99
        ec 59 22 8e 64 97 e4 5d 48 ce 27 5a 6d 5e f4 0d 16 9f b6 f9 d3 3b
        05 2e d3 dc dd 6b 5a 48 ba af ff bc b2 90 12 84 15 bd 38""")
salt = pss_salt(sig)
print("hrr salt", len(salt), salt.hex())
