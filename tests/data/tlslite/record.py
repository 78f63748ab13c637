#!/usr/bin/env python3
"""Records TLS 1.2 sessions between two tlslite-ng peers whose secrets are known.

Every random byte either peer draws comes from its own SHA-256 counter stream
(tlslite's getRandomBytes, and the P-256 key generation of python-ecdsa, are
replaced), so the randoms, session id, ephemeral keys, CBC IVs and signature
salts are all reproducible. Each session writes:

  NAME.pcap   both directions, as IPv4/TCP on 127.0.0.1 (synthetic headers,
              one segment per write of at most 1460 bytes)
  NAME.keys   the NSS key log (CLIENT_RANDOM client_random master_secret)
  NAME.draws  every random draw in order: side, purpose, hex

Run from this folder: python3 record.py [NAME ...]   (needs: pip install tlslite-ng==0.8.2)
With no NAME, every session is recorded.
The capture is test data: tests read the files, not this script.
"""

import hashlib
import socket
import struct
import sys
import threading

import ecdsa
import tlslite.keyexchange
import tlslite.messages
import tlslite.recordlayer
import tlslite.tlsconnection
import tlslite.utils.cryptomath
import tlslite.utils.rsakey
from tlslite import HandshakeSettings, TLSConnection, X509CertChain, parsePEMKey

REQUEST = b"GET / HTTP/1.1\r\nHost: replay.test\r\n\r\n"
RESPONSE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 27\r\n"
            b"Connection: close\r\n\r\nrecorded by two tlslite-ng\n")

SESSIONS = [
    # (name, cipher names, MAC names, key exchange, curves, encrypt-then-MAC
    #  offered, EC point formats: tlsim writes uncompressed points only, so a
    #  P-256 session must offer [0])
    ("gcm", ["aes128gcm"], ["aead"], ["ecdhe_rsa"], ["x25519"], True, [1, 0]),
    # TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, MAC-then-encrypt (RFC 5246 §6.2.3.2).
    ("cbc", ["aes128"], ["sha"], ["ecdhe_rsa"], ["x25519"], False, [1, 0]),
]


class Streams:
    """One SHA-256 counter stream per side, chosen by the thread's name."""

    def __init__(self, label):
        self.label = label
        self.counters = {}
        self.draws = []

    def take(self, count, purpose):
        side = threading.current_thread().name
        out = bytearray()
        while len(out) < count:
            n = self.counters.get(side, 0)
            self.counters[side] = n + 1
            out += hashlib.sha256(
                ("%s %s %d" % (self.label, side, n)).encode()).digest()
        out = out[:count]
        self.draws.append((side, purpose, bytes(out)))
        return out


STREAMS = None


def random_bytes(count):
    return STREAMS.take(count, "getRandomBytes(%d)" % count)


def p256_generate(curve, entropy=None, hashfunc=None):
    # python-ecdsa draws from os.urandom; take the scalar from the stream.
    order = curve.order
    while True:
        scalar = int.from_bytes(STREAMS.take(32, "P-256_private_scalar"), "big")
        if 1 <= scalar < order:
            return ecdsa.SigningKey.from_secret_exponent(scalar, curve)


for module in (tlslite.utils.cryptomath, tlslite.tlsconnection, tlslite.keyexchange,
               tlslite.recordlayer, tlslite.messages, tlslite.utils.rsakey):
    module.getRandomBytes = random_bytes
tlslite.keyexchange.ecdsa.keys.SigningKey.generate = staticmethod(p256_generate)


class Recorder:
    """A socket wrapper that logs every write, in the order writes happen."""

    def __init__(self, sock, side, log, lock):
        self.sock, self.side, self.log, self.lock = sock, side, log, lock

    def send(self, data):
        with self.lock:
            sent = self.sock.send(data)
            self.log.append((self.side, bytes(data[:sent])))
        return sent

    def sendall(self, data):
        with self.lock:
            self.sock.sendall(data)
            self.log.append((self.side, bytes(data)))

    def recv(self, size):
        return self.sock.recv(size)

    def __getattr__(self, name):
        return getattr(self.sock, name)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def write_pcap(path, log, client_port=49152, server_port=4433):
    """The writes as a TCP session: handshake, data with ACKs, FIN both ways."""
    addr = {"client": bytes([127, 0, 0, 1]), "server": bytes([127, 0, 0, 1])}
    port = {"client": client_port, "server": server_port}
    seq = {"client": 1000, "server": 5000}
    other = {"client": "server", "server": "client"}
    packets = []

    def segment(side, flags, payload=b""):
        peer = other[side]
        ack = seq[peer] if flags != 0x02 else 0
        header = struct.pack("!HHIIBBHHH", port[side], port[peer], seq[side], ack,
                             5 << 4, flags, 65535, 0, 0)
        pseudo = addr[side] + addr[peer] + struct.pack("!BBH", 0, 6, len(header) + len(payload))
        tcp_sum = checksum(pseudo + header + payload)
        header = header[:16] + struct.pack("!H", tcp_sum) + header[18:]
        total = 20 + len(header) + len(payload)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, len(packets), 0x4000, 64, 6, 0,
                         addr[side], addr[peer])
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        packets.append(ip + header + payload)
        seq[side] = (seq[side] + len(payload) + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF

    segment("client", 0x02)
    segment("server", 0x12)
    segment("client", 0x10)
    for side, data in log:
        for start in range(0, len(data), 1460):
            segment(side, 0x18, data[start:start + 1460])
        segment(other[side], 0x10)
    segment("client", 0x11)
    segment("server", 0x11)
    segment("client", 0x10)
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for index, packet in enumerate(packets):
            # One millisecond apart from a fixed start.
            out.write(struct.pack("<IIII", 1798761600, index * 1000, len(packet), len(packet)))
            out.write(packet)


def run(name, ciphers, macs, key_exchange, curves, etm, point_formats):
    global STREAMS
    STREAMS = Streams("tlsim replay " + name)
    with open("server-chain.pem") as f:
        chain = X509CertChain()
        chain.parsePemList(f.read())
    with open("server-key.pem") as f:
        key = parsePEMKey(f.read(), private=True)

    def settings():
        s = HandshakeSettings()
        s.minVersion = s.maxVersion = (3, 3)
        s.cipherNames = ciphers
        s.macNames = macs
        s.keyExchangeNames = key_exchange
        s.eccCurves = curves
        s.keyShares = curves
        s.useEncryptThenMAC = etm
        s.ec_point_formats = point_formats
        return s

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    log, lock, master = [], threading.Lock(), {}

    def server():
        sock, _ = listener.accept()
        conn = TLSConnection(Recorder(sock, "server", log, lock))
        conn.handshakeServer(certChain=chain, privateKey=key, settings=settings())
        request = b""
        while not request.endswith(b"\r\n\r\n"):
            request += conn.read()
        conn.write(RESPONSE)
        conn.read()  # the client's close_notify
        conn.close()

    worker = threading.Thread(target=server, name="server")
    worker.start()
    threading.current_thread().name = "client"
    sock = socket.create_connection(listener.getsockname())
    conn = TLSConnection(Recorder(sock, "client", log, lock))
    conn.handshakeClientCert(settings=settings(), serverName="replay.test")
    master["secret"] = bytes(conn.session.masterSecret)
    conn.write(REQUEST)
    response = b""
    while len(response) < len(RESPONSE):
        response += conn.read()
    conn.close()
    worker.join()
    listener.close()

    client_random = log[0][1][11:43]
    write_pcap(name + ".pcap", log)
    with open(name + ".keys", "w") as out:
        out.write("CLIENT_RANDOM %s %s\n" % (client_random.hex(), master["secret"].hex()))
    with open(name + ".draws", "w") as out:
        for side, purpose, value in STREAMS.draws:
            out.write("%s %s %s\n" % (side, purpose, value.hex()))


if __name__ == "__main__":
    wanted = sys.argv[1:]
    for session in SESSIONS:
        if not wanted or session[0] in wanted:
            run(*session)
