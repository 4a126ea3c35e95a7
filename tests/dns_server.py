"""A DNS server on loopback that answers the names a test sets (A and AAAA records).

Used where a real resolver must be pointed somewhere the test controls: nginx following
a restarted app to its new address, the webhook client refusing a name that resolves to
a private address.
"""

import socket
import threading

from dnslib import AAAA, QTYPE, RR, A, DNSRecord


class DNSServer:
    def __init__(self, ttl: int = 0) -> None:
        self.names: dict[str, list[str]] = {}  # name -> addresses, changed by the test
        self.ttl, self.queries = ttl, 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while self.running:
            try:
                data, peer = self.sock.recvfrom(512)
            except (TimeoutError, OSError):
                continue
            query = DNSRecord.parse(data)
            reply = query.reply()
            name = str(query.q.qname).rstrip(".")
            for address in self.names.get(name, []):
                v6 = ":" in address
                if query.q.qtype == (QTYPE.AAAA if v6 else QTYPE.A):
                    rdata = AAAA(address) if v6 else A(address)
                    reply.add_answer(RR(name, query.q.qtype, rdata=rdata, ttl=self.ttl))
            self.queries += 1
            self.sock.sendto(reply.pack(), peer)

    def stop(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()
