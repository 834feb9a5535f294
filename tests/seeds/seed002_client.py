# Lab report 002 (Socket Programming, chat), "Cleint.py", as the report wrote it.
# Changed: the typos `in data`/`out data` (in_data/out_data) and the indentation; the
# address comes from argv, defaults are the report's.
import socket
import sys
SERVER = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((SERVER, PORT))
client.sendall(bytes("This is from Client", 'UTF-8'))
while True:
    in_data = client.recv(1024)
    print("From Server :", in_data.decode())
    out_data = input()
    client.sendall(bytes(out_data, 'UTF-8'))
    if out_data == 'bye':
        break
client.close()
