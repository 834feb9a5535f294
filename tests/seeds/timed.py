"""Runs one seed program unchanged and times each exchange it makes.

Usage: python3 -u timed.py SEED.py [ARGS...]

socket.socket is replaced by a subclass before the seed runs (accept() builds its
sockets from the module's name, so accepted connections are timed too). An exchange
runs from the first send after the last receive (or from connect(), for a client that
only listens) to the receive that returns; each one is printed on stderr as
`exchange_ms 1.234 <what came back>`, for the test to read.
"""

import runpy
import socket
import sys
import time

_Base = socket.socket


class Timed(_Base):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._began = None
        self._sent = False

    def _sending(self):
        if not self._sent:
            self._began = time.monotonic()
            self._sent = True

    def _received(self, data):
        if self._began is not None:
            ms = (time.monotonic() - self._began) * 1000.0
            print(f"exchange_ms {ms:.3f} {data!r}", file=sys.stderr, flush=True)
        self._began = None
        self._sent = False

    def connect(self, address):
        result = super().connect(address)
        self._began = time.monotonic()
        return result

    def send(self, data, *args):
        self._sending()
        return super().send(data, *args)

    def sendall(self, data, *args):
        self._sending()
        return super().sendall(data, *args)

    def sendto(self, data, *args):
        self._sending()
        return super().sendto(data, *args)

    def recv(self, *args):
        data = super().recv(*args)
        self._received(data)
        return data

    def recvfrom(self, *args):
        data, peer = super().recvfrom(*args)
        self._received(data)
        return data, peer


socket.socket = Timed
seed = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(seed, run_name="__main__")
