# Lab report 002 (Socket Programming, chat), "Server.py", as the report wrote it.
# Changed: the typos `msg = "` (now ""), `in data`/`out data` (in_data/out_data) and the
# indentation; the address comes from argv, defaults are the report's.
import socket
import sys
LOCALHOST = sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind((LOCALHOST, PORT))
server.listen(1)
print("Server started")
print("Waiting for client request..")
clientConnection, clientAddress = server.accept()
print("Connected clinet :", clientAddress)
msg = ""
while True:
    in_data = clientConnection.recv(1024)
    msg = in_data.decode()
    if msg == 'bye':
        break
    print("From Client :", msg)
    out_data = input()
    clientConnection.send(bytes(out_data, 'UTF-8'))
print("Client disconnected....")
clientConnection.close()
