# SPDX-License-Identifier: LGPL-2.1-or-later
# A minimal D-Bus peer-to-peer client for the hostile-peer suite: SASL EXTERNAL, method calls
# with s/u/t/b arguments, replies with their file descriptors; raw bytes for malformed input.
import array
import os
import socket
import struct
import time

PATH = "/org/udrv/Manager1"
IFACE = "org.udrv.Manager1"


def _pad(buf, n):
    buf.extend(b"\0" * (-len(buf) % n))


def _str(buf, s, sig=False):
    b = s.encode() if isinstance(s, str) else s
    if sig:
        buf.append(len(b))
    else:
        _pad(buf, 4)
        buf.extend(struct.pack("<I", len(b)))
    buf.extend(b + b"\0")


def marshal_body(sig, args):
    body = bytearray()
    for t, a in zip(sig, args):
        if t == "s":
            _str(body, a)
        elif t in "ub":
            _pad(body, 4)
            body.extend(struct.pack("<I", int(a)))
        elif t == "t":
            _pad(body, 8)
            body.extend(struct.pack("<Q", a))
        else:
            raise ValueError(t)
    return bytes(body)


def method_call(member, sig="", args=(), serial=1):
    body = marshal_body(sig, args)
    fields = bytearray()
    for code, t, v in ((1, "o", PATH), (2, "s", IFACE), (3, "s", member)) + (
        ((8, "g", sig),) if sig else ()
    ):
        _pad(fields, 8)
        fields.append(code)
        _str(fields, t, sig=True)
        _str(fields, v, sig=(t == "g"))
    head = bytearray(b"l\x01\x00\x01")
    head.extend(struct.pack("<III", len(body), serial, len(fields)))
    head.extend(fields)
    _pad(head, 8)
    return bytes(head) + body


AUTH = b"\0AUTH EXTERNAL %s\r\nNEGOTIATE_UNIX_FD\r\nBEGIN\r\n"


def auth_bytes():
    return AUTH % str(os.geteuid()).encode().hex().encode()


class Reply:
    def __init__(self, mtype, fields, body, fds):
        self.type = mtype  # 2 return, 3 error
        self.fields = fields
        self.body = body
        self.fds = fds
        self.size = 16 + len(body)

    @property
    def error(self):
        return self.fields.get(4)

    def error_text(self):
        if len(self.body) < 4:
            return ""
        n = struct.unpack_from("<I", self.body, 0)[0]
        return self.body[4 : 4 + n].decode(errors="replace")


def _parse_fields(raw):
    out, i = {}, 0
    while i < len(raw):
        i += -i % 8
        if i >= len(raw):
            break
        code = raw[i]
        sl = raw[i + 1]
        sig = raw[i + 2 : i + 2 + sl].decode()
        i += 3 + sl
        if sig in ("s", "o"):
            i += -i % 4
            n = struct.unpack_from("<I", raw, i)[0]
            out[code] = raw[i + 4 : i + 4 + n].decode(errors="replace")
            i += 5 + n
        elif sig == "g":
            n = raw[i]
            out[code] = raw[i + 1 : i + 1 + n].decode()
            i += 2 + n
        elif sig == "u":
            i += -i % 4
            out[code] = struct.unpack_from("<I", raw, i)[0]
            i += 4
        else:
            break
    return out


class Conn:
    def __init__(self, path, timeout=5.0, auth=True):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # A blocking connect waits for room in udrvd's backlog, as libudrv's does (bounded).
        tv = struct.pack("ll", int(timeout), int((timeout % 1) * 1e6))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
        self.sock.connect(path)
        self.sock.settimeout(timeout)
        self.buf = b""
        self.fds = []
        self.serial = 0
        if auth:
            self.sock.sendall(auth_bytes())
            self._read_auth()

    def _read_auth(self):
        # OK <guid>\r\n, AGREE_UNIX_FD\r\n
        while self.buf.count(b"\r\n") < 2:
            d = self.sock.recv(4096)
            if not d:
                raise ConnectionError("closed during auth")
            self.buf += d
        lines = self.buf.split(b"\r\n")
        if not lines[0].startswith(b"OK"):
            raise ConnectionError("auth refused: %r" % lines[0])
        self.buf = b"\r\n".join(lines[2:])

    def _fill(self, n):
        while len(self.buf) < n:
            fds = array.array("i")
            d, anc, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(253 * 4))
            for level, kind, data in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(data[: len(data) - len(data) % 4])
            self.fds.extend(fds)
            if not d:
                raise ConnectionError("closed")
            self.buf += d

    def read_message(self):
        self._fill(16)
        blen, _, flen = struct.unpack_from("<III", self.buf, 4)
        total = 16 + flen + (-flen % 8) + blen
        self._fill(total)
        msg, self.buf = self.buf[:total], self.buf[total:]
        fields = _parse_fields(msg[16 : 16 + flen])
        fds, self.fds = self.fds, []
        return Reply(msg[1], fields, msg[16 + flen + (-flen % 8) :], fds)

    def send(self, member, sig="", args=()):
        self.serial += 1
        self.sock.sendall(method_call(member, sig, args, self.serial))

    def call(self, member, sig="", args=()):
        self.send(member, sig, args)
        while True:
            r = self.read_message()
            if r.type in (2, 3):
                return r

    def close(self):
        for fd in self.fds:
            os.close(fd)
        self.sock.close()


def timed_status(path, timeout=5.0):
    """One fresh connection, GetStatus; the seconds it took (or None on failure)."""
    t = time.monotonic()
    try:
        c = Conn(path, timeout)
        r = c.call("GetStatus")
        c.close()
        if r.type != 2:
            return None
    except (OSError, ConnectionError):
        return None
    return time.monotonic() - t
