"""A small TCP proxy in front of a real server (PostgreSQL), that a test can make refuse or go silent.

- `refuse()`: nothing listens any more and every open connection is cut (a database that is down).
- `go_silent()`: connections are accepted and kept, but nothing goes through in either direction
  (a frozen server or a black-holed network: the worst kind, since nothing ever fails).
- `go_silent_at(marker)`: forward until a client sends `marker` (e.g. b"COMMIT"), then go silent.
- `forward()`: back to normal for new connections.
"""

import select
import socket
import threading

from tests.smtp import free_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.mode = "forward"
        self.marker: bytes | None = None
        self._listener: socket.socket | None = None
        self._connections: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    def start(self) -> None:
        self._listen()

    def _listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True, name="proxy-accept").start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed: refusing, or stopped
            with self._lock:
                self._connections.append(client)
            if self.mode == "silent":
                continue  # accepted, and never a word
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._connections.append(upstream)
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True, name="proxy-pump").start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        while not self._stopped.is_set():
            try:
                readable, _, _ = select.select(list(peers), [], [], 0.1)
                if self.mode == "silent":
                    continue  # hold everything: the other side waits for an answer that never comes
                for source in readable:
                    data = source.recv(65536)
                    if not data:
                        return self._close(client, upstream)
                    if source is client and self.mode == "silent_at" and self.marker in data:
                        self.mode = "silent"
                        continue  # the marked message never arrives
                    peers[source].sendall(data)
            except OSError:
                return self._close(client, upstream)

    def _close(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            try:
                sock.close()
            except OSError:
                pass

    def forward(self) -> None:
        self.mode = "forward"
        if self._listener is None:
            self._listen()

    def refuse(self) -> None:
        """Stop listening (connections are refused) and cut every open connection."""
        self._close_listener()
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._close(connection)

    def go_silent(self) -> None:
        self.mode = "silent"

    def go_silent_at(self, marker: bytes) -> None:
        self.marker = marker
        self.mode = "silent_at"

    def stop(self) -> None:
        self._stopped.set()
        self.refuse()

    def _close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self._close(self._listener)
            self._listener = None
