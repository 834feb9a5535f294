# Lab report 001 (Lab report no 03), "Code for server socket", as the report wrote it.
# Changed: the address comes from argv (the lab's server is not on the client's
# localhost); defaults are the report's.
import socket
import sys
s = socket.socket()
print('socket created')

s.bind((sys.argv[1] if len(sys.argv) > 1 else 'localhost', int(sys.argv[2]) if len(sys.argv) > 2 else 9999))

s.listen(3)
print('waiting for connections')

while True:
    c, addr = s.accept()
    name = c.recv(1024).decode()
    print("connected with", addr, name)

    c.send(bytes('welcome ', 'utf-8'))

    c.close()
