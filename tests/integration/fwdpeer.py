#!/usr/bin/python3
"""Far ends for the forwarding tests.

fwdpeer.py echo PORTFILE      TCP echo server on 127.0.0.1, port written to PORTFILE
fwdpeer.py unix-echo PATH     the same on a Unix socket
fwdpeer.py http DIR PORTFILE  HTTP server for DIR on 127.0.0.1
fwdpeer.py free-port          prints a TCP port nobody listens on

The echo servers echo until EOF, then half-close their side: a tunnel that
does not pass EOF on hangs them, and one that loses bytes changes the output.
"""
import functools
import http.server
import os
import socket
import sys
import threading


def echo(conn):
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)
        conn.shutdown(socket.SHUT_WR)


def serve(sock):
    sock.listen(64)
    while True:
        conn, _ = sock.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def write_port(path, port):
    with open(path + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.rename(path + ".tmp", path)


def main():
    mode = sys.argv[1]
    if mode == "echo":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        write_port(sys.argv[2], s.getsockname()[1])
        serve(s)
    elif mode == "unix-echo":
        s = socket.socket(socket.AF_UNIX)
        s.bind(sys.argv[2])
        os.chmod(sys.argv[2], 0o666)
        serve(s)
    elif mode == "http":
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])
        handler.log_message = lambda *a: None
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        write_port(sys.argv[3], srv.server_address[1])
        srv.serve_forever()
    elif mode == "free-port":
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        print(s.getsockname()[1])
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
