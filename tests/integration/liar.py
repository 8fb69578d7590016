#!/usr/bin/python3
"""A lying connection process, for t-monitor.

The connection process runs as the user; its root monitor (server/monitor.c)
must treat what it says as claims.  This takes a connection process's
socket to its monitor (pidfd_getfd, which needs root: run it in a root
session so that it sees that server's /run/utmp) and sends what a
connection process under the user's control could.  The wire format is
monitor.h's struct vs_mon_msg: uint32 op, int32 pid, char line[32].

usage: liar.py probe CONN           which passed descriptors the monitor answers on
       liar.py wedge CONN SECONDS   full pipes passed; holds them SECONDS
       liar.py steal CONN PID USER  end records for terminals no longer the user's
"""
import ctypes
import os
import select
import socket
import struct
import sys
import time

TTY_END, TTY_START, PROC_START, PROC_END = 0, 1, 2, 3
BOGUS = 99  # a kind the monitor does not know
SYS_pidfd_getfd = 438
libc = ctypes.CDLL(None, use_errno=True)


def msg(op, pid=1, line="pts/999999"):
    return struct.pack("=Ii32s", op, pid, line.encode())


def monitor_socket(conn):
    """A copy of the connection's one SOCK_SEQPACKET socket: its monitor's."""
    seqpacket = set()
    with open("/proc/net/unix") as f:
        next(f)
        for row in f:
            w = row.split()
            if w[4] == "0005":
                seqpacket.add(w[6])
    found = []
    for fd in os.listdir(f"/proc/{conn}/fd"):
        try:
            link = os.readlink(f"/proc/{conn}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:[") and link[8:-1] in seqpacket:
            found.append(int(fd))
    if len(found) != 1:
        sys.exit(f"liar: {conn} has {len(found)} SOCK_SEQPACKET sockets, not one")
    pidfd = os.pidfd_open(conn)
    fd = libc.syscall(SYS_pidfd_getfd, pidfd, found[0], 0)
    if fd < 0:
        e = ctypes.get_errno()
        sys.exit(f"liar: pidfd_getfd: {os.strerror(e)}")
    os.close(pidfd)
    return socket.socket(fileno=fd)


def answered(fd, timeout=0.0):
    """Whether fd has a byte to read (the monitor's answer)."""
    if not select.select([fd], [], [], timeout)[0]:
        return False
    try:
        return len(os.read(fd, 16)) > 0
    except BlockingIOError:
        return False


def sync(s, timeout=3.0):
    """A TTY start with a proper answer channel: once it is answered, the
    monitor has handled everything sent before it."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    socket.send_fds(s, [msg(TTY_START)], [b.fileno()])
    b.close()
    ok = answered(a.fileno(), timeout)
    a.close()
    return ok


def probe(s):
    """Each kind with a pipe, a datagram socket and a stream socket: which
    of them the monitor wrote to."""
    for op in (TTY_START, TTY_END, PROC_START, PROC_END, BOGUS):
        pr, pw = os.pipe()
        d1, d2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        s1, s2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        for fd in (pw, d2.fileno(), s2.fileno()):
            socket.send_fds(s, [msg(op)], [fd])
        os.close(pw)
        d2.close()
        s2.close()
        if not sync(s):
            print("no answer")
            return
        for fd in (pr, d1.fileno(), s1.fileno()):
            os.set_blocking(fd, False)
        print(f"kind {op}: pipe={answered(pr):d} dgram={answered(d1.fileno()):d} "
              f"stream={answered(s1.fileno()):d}")
        os.close(pr)
        d1.close()
        s1.close()
    # Too long a TTY start, with a stream socket: not a message at all.
    s1, s2 = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    socket.send_fds(s, [msg(TTY_START) + b"x"], [s2.fileno()])
    s2.close()
    if not sync(s):
        print("no answer")
        return
    s1.setblocking(False)
    print(f"long: stream={answered(s1.fileno()):d}")


def full_pipe():
    r, w = os.pipe()
    os.set_blocking(w, False)
    for size in (65536, 4096, 1):
        try:
            while True:
                os.write(w, b"x" * size)
        except BlockingIOError:
            pass
    os.set_blocking(w, True)  # a write() there blocks for good
    return r, w


def wedge(s, seconds):
    """Full pipes passed with an unknown kind and with a TTY start: a
    monitor that writes to them blocks until their reader goes."""
    pipes = [full_pipe(), full_pipe()]
    socket.send_fds(s, [msg(BOGUS)], [pipes[0][1]])
    socket.send_fds(s, [msg(TTY_START)], [pipes[1][1]])
    for _, w in pipes:
        os.close(w)
    print("answered" if sync(s) else "no answer", flush=True)
    time.sleep(seconds)  # holding the read ends


def utmp_records():
    data = open("/run/utmp", "rb").read()
    for i in range(0, len(data) - 383, 384):  # struct utmp, x86_64
        kind, pid = struct.unpack_from("hxxi", data, i)
        line = struct.unpack_from("32s", data, i + 8)[0].split(b"\0")[0].decode()
        user = struct.unpack_from("32s", data, i + 44)[0].split(b"\0")[0].decode()
        yield i, kind, pid, line, user


def claim(line, user, pid):
    """Makes utmp's record for line another login's: user's, process pid."""
    with open("/run/utmp", "r+b") as f:
        for off, kind, _, l, _ in utmp_records():
            if l == line and kind == 7:
                f.seek(off + 4)
                f.write(struct.pack("i", pid))
                f.seek(off + 44)
                f.write(user.encode().ljust(32, b"\0"))
                return
    sys.exit(f"liar: no utmp record for {line}")


def holder(line):
    for _, kind, pid, l, user in utmp_records():
        if l == line and kind == 7:
            return f"{user}/{pid}"
    return "none"


def steal(s, conn, pid, user):
    """A terminal of the user's is recorded (a real session's process as the
    one on it), then becomes another login's; the lying child ends it, or
    dies with it recorded.  Prints whose record the line holds after."""
    uid = int(open(f"/proc/{conn}/status").read().split("\nUid:")[1].split()[0])
    monitor = int(open(f"/proc/{conn}/stat").read().rsplit(")", 1)[1].split()[1])
    ptys = {}

    def start(name):
        master, slave = os.openpty()
        line = os.ttyname(slave)[len("/dev/"):]
        os.fchown(slave, uid, -1)
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        socket.send_fds(s, [msg(TTY_START, pid, line)], [b.fileno()])
        b.close()
        if not answered(a.fileno(), 3.0):
            sys.exit("liar: no answer to a TTY start")
        if holder(line) != f"{user}/{pid}":
            sys.exit(f"liar: {line} not recorded for {user}/{pid}: {holder(line)}")
        ptys[name] = (master, slave, line)
        return slave, line

    # Another user's now (root's, as a freed pts/N handed to root's login).
    slave, line = start("owner")
    os.fchown(slave, 0, -1)
    claim(line, "root", os.getpid())
    s.send(msg(TTY_END, pid, line))
    sync(s)
    print(f"end, owner changed: {holder(line)}")
    # Still the user's, but utmp's record another login's (pid).
    slave, line = start("login")
    claim(line, user, os.getpid())
    s.send(msg(TTY_END, pid, line))
    sync(s)
    print(f"end, another login's: {holder(line)}")
    # Recorded when the child dies: the monitor's last records.
    slave, line = start("exit")
    os.fchown(slave, 0, -1)
    claim(line, "root", os.getpid())
    os.kill(conn, 9)
    for _ in range(50):
        try:
            if open(f"/proc/{monitor}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        except OSError:
            break
        time.sleep(0.1)
    print(f"exit, owner changed: {holder(line)}")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    what, conn = sys.argv[1], int(sys.argv[2])
    s = monitor_socket(conn)
    if what == "probe":
        probe(s)
    elif what == "wedge":
        wedge(s, float(sys.argv[3]))
    elif what == "steal":
        steal(s, conn, int(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)


main()
