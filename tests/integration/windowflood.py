"""A client that ignores the channel window (paramiko, told the window is
huge): it sends up to LIMIT bytes into a session whose command never reads
(or, with a PORT, into a direct-tcpip channel to 127.0.0.1:PORT, where a
server never reads), and reports how far it got before the server dropped
it.

usage: windowflood.py SOCKET USER LIMIT_MB [PORT]
prints "dropped after N bytes" or "not dropped after N bytes"."""
import socket
import sys

import paramiko

path, user, limit = sys.argv[1], sys.argv[2], int(sys.argv[3]) << 20
sock = socket.socket(socket.AF_UNIX)
sock.connect(path)
t = paramiko.Transport(sock)
t.start_client(timeout=20)
t.auth_none(user)
if len(sys.argv) > 4:
    chan = t.open_channel("direct-tcpip", ("127.0.0.1", int(sys.argv[4])), ("127.0.0.1", 0),
                          timeout=20)
else:
    chan = t.open_session(timeout=20)
    chan.exec_command("sleep 60")  # never reads its input
chan.out_window_size = 1 << 40  # ignore what the server advertised
block = b"x" * 32768
sent = 0
try:
    while sent < limit:
        chan.out_window_size = 1 << 40
        n = chan.send(block)
        if n <= 0:
            break
        sent += n
except (OSError, EOFError, paramiko.SSHException):
    pass
dropped = not t.is_active() or chan.closed
if not dropped:
    try:  # the next packet shows whether the server is still there
        chan.send(block)
        t.send_ignore()
        sock.settimeout(5)
        dropped = not t.is_active()
    except (OSError, EOFError, paramiko.SSHException):
        dropped = True
print(("dropped" if dropped else "not dropped") + f" after {sent} bytes")
t.close()
