#!/usr/bin/env python3
"""Small network probes for the namespace tests (no ping or tcpdump needed).

  probe.py ping HOST [TIMEOUT]          ICMP echo (raw socket); exit 0 on reply
  probe.py udp-echo PORT SECONDS        answer every datagram, print "IP PORT"
  probe.py udp-ask HOST PORT [TIMEOUT]  send one datagram, exit 0 on an answer
  probe.py capture IFACE PORT SECONDS FILE
                                        record UDP payloads sent to PORT seen
                                        on IFACE (AF_PACKET), hex, one a line
  probe.py hostile HOST PORT COUNT FILE send COUNT random datagrams, then
                                        replay each payload of FILE 3 times
"""
import os
import select
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ping(host, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xFFFF
    body = b"nss-mesh-probe"
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
    pkt = struct.pack("!BBHHH", 8, 0, checksum(hdr + body), ident, 1) + body
    s.sendto(pkt, (host, 0))
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0 or not select.select([s], [], [], left)[0]:
            return 1
        data, addr = s.recvfrom(2048)
        ihl = (data[0] & 0x0F) * 4
        typ, _, _, rid, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if typ == 0 and rid == ident and addr[0] == host:
            return 0


def udp_echo(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return 0
        if select.select([s], [], [], left)[0]:
            data, addr = s.recvfrom(2048)
            s.sendto(data, addr)
            print(addr[0], addr[1], flush=True)


def udp_ask(host, port, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(3):
        s.sendto(b"probe", (host, port))
        if select.select([s], [], [], timeout / 3)[0]:
            return 0 if s.recv(2048) == b"probe" else 1
    return 1


def capture(iface, port, seconds, path):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0003))
    s.bind((iface, 0))
    end = time.monotonic() + seconds
    n = 0
    with open(path, "w") as out:
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            if not select.select([s], [], [], left)[0]:
                continue
            data, addr = s.recvfrom(65535)
            if addr[4] == socket.PACKET_OUTGOING:
                continue
            payload = None
            if addr[1] == 0x0800 and len(data) >= 20 and data[9] == 17:
                ihl = (data[0] & 0x0F) * 4
                payload = data[ihl:]
            elif addr[1] == 0x86DD and len(data) >= 40 and data[6] == 17:
                payload = data[40:]
            if payload is None or len(payload) < 8:
                continue
            if struct.unpack("!H", payload[2:4])[0] != port:
                continue
            out.write(payload[8:].hex() + "\n")
            n += 1
    print(n)
    return 0


def hostile(host, port, count, path):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    sent = 0
    for i in range(count):
        size = (1, 4, 32, 92, 148, 300, 1200)[i % 7]
        s.sendto(os.urandom(size), (host, port))
        sent += 1
    replay = []
    if os.path.exists(path):
        with open(path) as f:
            replay = [bytes.fromhex(l.strip()) for l in f if l.strip()]
    for p in replay:
        for _ in range(3):
            s.sendto(p, (host, port))
            sent += 1
        # Truncated and bit-flipped copies as well.
        if len(p) > 1:
            s.sendto(p[: len(p) // 2], (host, port))
            flipped = bytearray(p)
            flipped[len(p) // 2] ^= 0x01
            s.sendto(bytes(flipped), (host, port))
            sent += 2
    print(sent, len(replay))
    return 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, a = argv[1], argv[2:]
    if cmd == "ping":
        return ping(a[0], float(a[1]) if len(a) > 1 else 1.0)
    if cmd == "udp-echo":
        return udp_echo(int(a[0]), float(a[1]))
    if cmd == "udp-ask":
        return udp_ask(a[0], int(a[1]), float(a[2]) if len(a) > 2 else 1.0)
    if cmd == "capture":
        return capture(a[0], int(a[1]), float(a[2]), a[3])
    if cmd == "hostile":
        return hostile(a[0], int(a[1]), int(a[2]), a[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
