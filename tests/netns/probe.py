#!/usr/bin/env python3
"""Small network probes for the namespace tests (no ping or tcpdump needed).

  probe.py ping HOST [TIMEOUT]          ICMP echo (raw socket); exit 0 on reply
  probe.py udp-echo PORT SECONDS        answer every datagram, print "IP PORT"
  probe.py udp-ask HOST PORT [TIMEOUT]  send one datagram, exit 0 on an answer
  probe.py capture IFACE PORT SECONDS FILE
                                        record UDP datagrams (IPv4) sent to
                                        PORT seen on IFACE (AF_PACKET): one
                                        "SRC SPORT PAYLOAD-HEX" a line
  probe.py hostile HOST PORT COUNT FILE send COUNT random datagrams, then
                                        replay each payload of FILE 3 times,
                                        also truncated and bit-flipped
  probe.py flood HOST PORT SECONDS FILE  for SECONDS, as fast as it can:
                                        FILE's payloads, copies with a random
                                        last 16 bytes, and random junk
  udp-echo and capture write their pid to the file $PROBE_READY (when set)
  once their socket is bound, so a caller can wait for that instead of
  sleeping, and stop them early.
  probe.py resolve-wait NAME SECONDS     poll getaddrinfo(NAME) (glibc, so
                                        through nsswitch.conf) every 10 ms;
                                        print the wall-clock ms it first
                                        answered, or "timeout"
  probe.py spoof HOST PORT FILE         replay FILE's datagrams 3 times each
                                        from their original source address
                                        and port (raw socket, IPv4)
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


def ready():
    path = os.environ.get("PROBE_READY")
    if path:
        with open(path + ".tmp", "w") as f:
            f.write("%d\n" % os.getpid())
        os.rename(path + ".tmp", path)


def udp_echo(port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", port))
    ready()
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
    ready()
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
            if addr[1] != 0x0800 or len(data) < 28 or data[9] != 17:
                continue
            ihl = (data[0] & 0x0F) * 4
            src = socket.inet_ntoa(data[12:16])
            udp = data[ihl:]
            sport, dport = struct.unpack("!HH", udp[0:4])
            if dport != port or len(udp) <= 8:
                continue
            out.write("%s %d %s\n" % (src, sport, udp[8:].hex()))
            n += 1
    print(n)
    return 0


def now_ms():
    return int(time.time() * 1000)


def resolve_wait(name, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            socket.getaddrinfo(name, None)
            print(now_ms(), flush=True)
            return 0
        except OSError:
            time.sleep(0.01)
    print("timeout", flush=True)
    return 1


def load(path):
    got = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                w = line.split()
                if len(w) == 3:
                    got.append((w[0], int(w[1]), bytes.fromhex(w[2])))
    return got


def spoof(host, port, path):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    dst = socket.inet_aton(host)
    sent = 0
    for src, sport, payload in load(path):
        udp = struct.pack("!HHHH", sport, port, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64,
                         17, 0, socket.inet_aton(src), dst)
        ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
        for _ in range(3):
            s.sendto(ip + udp, (host, 0))
            sent += 1
    print(sent)
    return 0


def hostile(host, port, count, path):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    sent = 0
    for i in range(count):
        size = (1, 4, 32, 92, 148, 300, 1200)[i % 7]
        s.sendto(os.urandom(size), (host, port))
        sent += 1
    replay = [p for _, _, p in load(path)]
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


def flood(host, port, seconds, path, pps=0):
    """Datagrams for SECONDS, PPS a second (0: as many as one process can
    send): the captured packets replayed, and copies with a random mac1
    (handshakes) or a random tail (transport), so that meshd pays its real
    per-packet cost."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setblocking(False)
    pkts = []
    for _, _, p in load(path):
        pkts.append(p)
        if p[0] in (1, 2):      # handshakes end mac1 | mac2
            pkts.append(p[:-32] + os.urandom(16) + p[-16:])
        else:                   # transport ends in its AEAD tag
            pkts.append(p[:-16] + os.urandom(16))
    pkts += [os.urandom(n) for n in (1, 32, 148, 300, 1200)]
    start = time.monotonic()
    end = start + seconds
    sent = 0
    while True:
        now = time.monotonic()
        if now >= end:
            break
        if pps and sent >= (now - start) * pps:
            time.sleep(0.001)
            continue
        for p in pkts:
            try:
                s.sendto(p, (host, port))
                sent += 1
            except BlockingIOError:
                pass
    print(sent)
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
    if cmd == "resolve-wait":
        return resolve_wait(a[0], float(a[1]))
    if cmd == "spoof":
        return spoof(a[0], int(a[1]), a[2])
    if cmd == "flood":
        return flood(a[0], int(a[1]), float(a[2]), a[3],
                     int(a[4]) if len(a) > 4 else 0)
    if cmd == "hostile":
        return hostile(a[0], int(a[1]), int(a[2]), a[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
