# Lab report 003's echo server as a datagram socket (see seed003_udp_client.py): one
# datagram in, the same datagram back, for every client.
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "172.17.17.56"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 65432

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.bind((HOST, PORT))
    print("waiting for datagrams", flush=True)
    while True:
        data, addr = s.recvfrom(1024)
        print(f"Datagram from {addr}")
        s.sendto(data, addr)
