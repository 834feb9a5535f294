# Lab report 001 (Lab report no 03), "code for client socket", as the report wrote it.
# Changed: the address comes from argv; defaults are the report's.
import socket
import sys

c = socket.socket()

c.connect((sys.argv[1] if len(sys.argv) > 1 else 'localhost', int(sys.argv[2]) if len(sys.argv) > 2 else 9999))

name = input("Enter your name")
c.send(bytes(name, 'utf-8'))

print(c.recv(1024).decode())
