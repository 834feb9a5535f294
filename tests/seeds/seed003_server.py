# Lab report 003 (Experiment No. 7), the echo server, as the report wrote it (its two
# code blocks joined). Changed: the address comes from argv.
import socket
import sys

HOST = sys.argv[1] if len(sys.argv) > 1 else "172.17.17.56"  # Standard loopback interface address (localhost)
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 65432  # Port to listen on (non-privileged ports are > 1023)

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind((HOST, PORT))
    s.listen()
    conn, addr = s.accept()
    with conn:
        print(f"Connected by {addr}")
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)
