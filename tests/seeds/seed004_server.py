# Lab report 004 (Lab 8), server.py, as the report wrote it. Changed: AF_INET and
# SOCK_STREAM (the report lost their underscores); the address comes from argv (the
# report binds socket.gethostname()).
import socket
import sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind((sys.argv[1] if len(sys.argv) > 1 else socket.gethostname(), int(sys.argv[2]) if len(sys.argv) > 2 else 8000))
s.listen(5)
while True:
    clientsocket, address = s.accept()
    print(f'Connection established with {address}')
    clientsocket.send(bytes('Hello World! This is Bhushan', 'utf-8'))
    clientsocket.close()
