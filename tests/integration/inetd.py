"""inetd / systemd Accept=yes in miniature: listens on a Unix socket and
runs COMMAND for each connection with the socket as stdin and stdout.
usage: inetd.py SOCKET COMMAND..."""
import os, socket, subprocess, sys

path, cmd = sys.argv[1], sys.argv[2:]
s = socket.socket(socket.AF_UNIX)
s.bind(path)
s.listen(16)
while True:
    c, _ = s.accept()
    subprocess.Popen(cmd, stdin=c.fileno(), stdout=c.fileno())
    c.close()
