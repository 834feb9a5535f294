# Lab report 004 (Lab 8), client.py, as the report wrote it. Changed: AF_INET and
# SOCK_STREAM (the report lost their underscores); the address comes from argv.
import socket
import sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((sys.argv[1] if len(sys.argv) > 1 else socket.gethostname(), int(sys.argv[2]) if len(sys.argv) > 2 else 8000))
msg = s.recv(1024)
print(msg.decode('utf-8'))
