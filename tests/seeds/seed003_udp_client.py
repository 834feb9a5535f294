# Lab report 003's echo client as a datagram socket. The reports contain no UDP program;
# report 003 describes SOCK_DGRAM ("datagram sockets have to read entire messages at
# once"), and this is its echo client written that way: SOCK_DGRAM, sendto, recvfrom.
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "172.17.17.56"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 65432

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.settimeout(5)
    s.sendto(b"Hello, world", (HOST, PORT))
    data, server = s.recvfrom(1024)

print(f"Received {data!r}")
