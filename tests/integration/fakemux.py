"""A small stand-in for Firecracker's / cloud-hypervisor's hybrid vsock
muxer: listens on a Unix socket, reads "CONNECT <port>\\n" and then, by mode:
  ok       answers "OK <n>\\n" and relays to the Unix socket BACKEND
  refuse   closes without answering (nothing listens on that port)
  garbage  answers a line that is not OK, then closes
  escape   answers a line with terminal escape sequences, then closes
  silent   answers nothing and keeps the connection open
  early    closes before the CONNECT line is complete
usage: fakemux.py MODE SOCKET [BACKEND]
Records each CONNECT line it sees in SOCKET.log."""
import os, socket, sys, threading

mode, path = sys.argv[1], sys.argv[2]
backend = sys.argv[3] if len(sys.argv) > 3 else None

def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass

def serve(c):
    if mode == "early":
        c.recv(3)
        c.close()
        return
    line = b""
    while not line.endswith(b"\n"):
        d = c.recv(1)
        if not d:
            c.close()
            return
        line += d
    with open(path + ".log", "ab") as f:
        f.write(line)
    if mode == "refuse":
        c.close()
    elif mode == "garbage":
        c.sendall(b"NO such port\n")
        c.close()
    elif mode == "escape":
        # A title change, a clear screen and a bell: none may reach a terminal.
        c.sendall(b"NO \x1b]0;owned\x07\x1b[2J\x9b31m\r\n")
        c.close()
    elif mode == "silent":
        threading.Event().wait(60)
    else:
        # The OK line and the first bytes of the stream in one segment: the
        # proxy must not swallow what follows the line.
        b = socket.socket(socket.AF_UNIX)
        b.connect(backend)
        first = b.recv(65536)
        c.sendall(b"OK 1073741824\n" + first)
        threading.Thread(target=pump, args=(c, b), daemon=True).start()
        pump(b, c)

s = socket.socket(socket.AF_UNIX)
try:
    os.unlink(path)
except FileNotFoundError:
    pass
s.bind(path)
s.listen(64)
while True:
    conn, _ = s.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
