"""A minimal, fast SMTP sink for bench/newsletter: accepts every message on loopback and counts them.

    python bench/newsletter/sink.py PORT_FILE COUNT_FILE

It speaks just enough SMTP for Django's SMTP backend (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), keeps no
message, and counts messages and recipients, and how many recipients it saw more than once. It writes the port it
listens on to PORT_FILE, and its counts as JSON to COUNT_FILE when it receives SIGTERM (then exits). A real server
(aiosmtpd, used by the tests) spends more time per message than the sender under test; this one stays out of the
way so the figure is the sender's.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys


class Counts:
    def __init__(self):
        self.messages = 0
        self.seen: set[str] = set()
        self.duplicates = 0


class Session(asyncio.Protocol):
    def __init__(self, counts: Counts):
        self.counts = counts
        self.buffer = b""
        self.in_data = False
        self.rcpts: list[str] = []

    def connection_made(self, transport):
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n")
                if end < 0:
                    return
                self.buffer = self.buffer[end + 5 :]
                self.in_data = False
                self._delivered()
                self.transport.write(b"250 OK queued\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            self._command(line)

    def _command(self, line: bytes) -> None:
        verb = line[:4].upper()
        if verb == b"EHLO":
            self.transport.write(b"250-sink\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 33554432\r\n")
        elif verb == b"HELO":
            self.transport.write(b"250 sink\r\n")
        elif verb == b"MAIL":
            self.rcpts = []
            self.transport.write(b"250 OK\r\n")
        elif verb == b"RCPT":
            self.rcpts.append(line.split(b":", 1)[1].strip().strip(b"<>").split(b">")[0].decode())
            self.transport.write(b"250 OK\r\n")
        elif verb == b"DATA":
            self.in_data = True
            self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            self.transport.write(b"221 Bye\r\n")
            self.transport.close()
        else:  # RSET, NOOP and anything else
            self.transport.write(b"250 OK\r\n")

    def _delivered(self) -> None:
        counts = self.counts
        counts.messages += 1
        for rcpt in self.rcpts:
            if rcpt in counts.seen:
                counts.duplicates += 1
            else:
                counts.seen.add(rcpt)


async def main(port_file: str, count_file: str) -> None:
    counts = Counts()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Session(counts), "127.0.0.1", 0)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    with open(port_file, "w") as out:
        out.write(str(server.sockets[0].getsockname()[1]))
    await stop.wait()
    server.close()
    with open(count_file, "w") as out:
        json.dump({"messages": counts.messages, "recipients": len(counts.seen), "duplicates": counts.duplicates}, out)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
