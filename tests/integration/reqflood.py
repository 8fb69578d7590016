"""A client that floods channel requests (paramiko): COUNT "env" requests that
want no answer, prepared first and then written in one burst, so that they
arrive as fast as the server can read them; then one that wants an answer.

usage: reqflood.py SOCKET USER COUNT
prints "answered after N" or "dropped after N"."""
import socket
import sys

import paramiko

path, user, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sock = socket.socket(socket.AF_UNIX)
sock.connect(path)
t = paramiko.Transport(sock)
t.start_client(timeout=20)
t.auth_none(user)


class Burst:
    """Collects what paramiko sends instead of sending it."""

    def __init__(self, real):
        self.real, self.data = real, []

    def send(self, b):
        self.data.append(bytes(b))
        return len(b)

    def __getattr__(self, name):
        return getattr(self.real, name)


chan = t.open_session(timeout=20)
pk = t.packetizer
real = pk._Packetizer__socket
pk._Packetizer__socket = Burst(real)
for _ in range(count):
    # Requests libssh parses and queues for the server (an unknown global
    # request, or one that wants no answer, it handles itself).
    chan.set_environment_variable("LANG", "C")
burst = b"".join(pk._Packetizer__socket.data)
pk._Packetizer__socket = real
try:
    real.settimeout(None)
    real.sendall(burst)
    t.global_request("last@vsock-ssh.test", wait=True, )
    print(("answered" if t.is_active() else "dropped") + f" after {count}")
except (OSError, EOFError, paramiko.SSHException) as e:
    print(f"dropped after {count} ({e.__class__.__name__}: {e})")
t.close()
