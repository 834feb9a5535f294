# Lab report 000 (Lab Report No 06), "Code of server side" (which is a client: it
# resolves a name with gethostbyname and connects to port 80), as the report wrote it.
# Changed: Python 3 print(), the misplaced sys.exit() now only runs when resolving
# fails (as the except block means), the line-broken print joined; the host comes from
# argv (the lab has no www.google.com).
import socket  # for socket
import sys

try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    print("Socket successfully created")
except socket.error as err:
    print("socket creation failed with error %s" % (err))

port = 80

try:
    host_ip = socket.gethostbyname(sys.argv[1] if len(sys.argv) > 1 else 'www.google.com')
except socket.gaierror:
    print("there was an error resolving the host")
    sys.exit()

s.connect((host_ip, port))
print("the socket has successfully connected to google \non port == %s" % (host_ip))
