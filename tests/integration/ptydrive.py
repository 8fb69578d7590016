"""Runs a command (ssh -tt ...) on a real pseudo-terminal, like a user at a
terminal would, and scripts the conversation.

usage: ptydrive.py ROWS COLS SCRIPT -- COMMAND...
SCRIPT is a list of steps separated by ';;':
  expect:REGEX     wait (up to 20 s) until the output so far matches
  send:TEXT        type TEXT (\\n, \\x03 escapes understood)
  resize:R,C       change the terminal size and send SIGWINCH to the child
Exits with the child's exit status, or 90 + message when a step fails;
all output is copied to stdout."""
import os, pty, re, select, signal, struct, sys, time, fcntl, termios

def setsize(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

def main():
    sep = sys.argv.index("--")
    rows, cols, script = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    cmd = sys.argv[sep + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    setsize(fd, rows, cols)
    os.kill(pid, signal.SIGWINCH)
    buf = b""

    def read_some(timeout):
        nonlocal buf
        r, _, _ = select.select([fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        buf += data
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return True

    for step in filter(None, script.split(";;")):
        kind, _, arg = step.partition(":")
        if kind == "expect":
            deadline = time.time() + 20
            while not re.search(arg.encode(), buf):
                if time.time() > deadline or not read_some(0.2) and not re.search(arg.encode(), buf):
                    sys.stderr.write("ptydrive: did not see /%s/\n" % arg)
                    os.kill(pid, signal.SIGKILL)
                    sys.exit(91)
        elif kind == "send":
            os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
        elif kind == "resize":
            r, c = arg.split(",")
            setsize(fd, int(r), int(c))
            os.kill(pid, signal.SIGWINCH)
            # ssh sends window-change from its main loop, after the signal:
            # input typed at once could otherwise overtake it.
            time.sleep(0.3)
        else:
            sys.stderr.write("ptydrive: bad step %r\n" % step)
            sys.exit(92)
    deadline = time.time() + 20
    while time.time() < deadline and read_some(0.2):
        pass
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status) & 0xff)

main()
