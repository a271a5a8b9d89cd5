"""The asyncio LDAP server: connections, operations, TLS and the change feed loop.

One process serves every connection from one :class:`~apps.ldap_server.dit.DirectoryView`.
Searches, compares and WhoAmI run on the event loop against memory; binds (password hashing,
audit rows) and change reads (ORM) run in a small thread pool. A malformed message gets a
notice of disconnection (protocolError) and that connection is closed; others are untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import count

from django.conf import settings
from django.db import close_old_connections

from apps.core import metrics
from apps.ldap_server import auth, ber, changes, dit, schema, search
from apps.ldap_server import protocol as p
from apps.ldap_server.ber import BerError
from apps.ldap_server.bind_cache import BindCache
from apps.ldap_server.protocol import Result

logger = logging.getLogger(__name__)

MAX_MESSAGE = 1 << 20  # bytes; LDAP requests are small, a bigger one is an attack
MAX_PAGED_SEARCHES = 16  # open paged-result cursors per connection
ACCEPTED_CONTROLS = {p.OID_PAGED_RESULTS, "2.16.840.1.113730.3.4.2"}  # paged, ManageDsaIT (no-op)


@dataclass
class Limits:
    max_connections: int = 1000
    idle_timeout: float = 300.0
    size_limit: int = 1000
    time_limit: float = 30.0


@dataclass
class Session:
    peer: str
    principal: auth.Principal | None = None  # None: not bound
    tls: bool = False
    pages: dict[bytes, list[str]] = field(default_factory=dict)


def tls_context(cert: str, key: str) -> ssl.SSLContext | None:
    if not (cert and key):
        return None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    return context


class LdapServer:
    def __init__(
        self, view: dit.DirectoryView, *, ssl_context=None, limits: Limits | None = None, bind_cache_seconds: float = 0
    ):
        self.view = view
        self.ssl_context = ssl_context
        self.limits = limits or Limits()
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ldap-db")
        self.connections = 0
        self.servers: list[asyncio.AbstractServer] = []
        self.reader: changes.ChangeReader | None = None
        self.wake = asyncio.Event()
        self._poll_lock = asyncio.Lock()
        self.bind_cache = BindCache(bind_cache_seconds)
        self._cookies = count(1)
        self._tasks: set[asyncio.Task] = set()
        self.writers: set[asyncio.StreamWriter] = set()

    @classmethod
    def from_settings(cls) -> LdapServer:
        return cls(
            dit.DirectoryView(settings.LDAP_BASE_DN, posix=settings.LDAP_POSIX),
            ssl_context=tls_context(settings.LDAP_TLS_CERT, settings.LDAP_TLS_KEY),
            limits=Limits(
                settings.LDAP_MAX_CONNECTIONS,
                settings.LDAP_IDLE_TIMEOUT,
                settings.LDAP_SIZE_LIMIT,
                settings.LDAP_TIME_LIMIT,
            ),
            bind_cache_seconds=settings.LDAP_BIND_CACHE_SECONDS,
        )

    async def _db(self, func, *args):
        def run():
            close_old_connections()
            try:
                return func(*args)
            finally:
                close_old_connections()

        return await asyncio.get_running_loop().run_in_executor(self.executor, run)

    # Lifecycle ------------------------------------------------------------------------------

    async def start(self, host: str, port: int, ldaps_port: int | None = None) -> None:
        """Listen on ``port`` and, with a TLS context, on ``ldaps_port`` (``None``: no LDAPS;
        0 for either: a free port the system picks, see :meth:`ports`)."""
        started = time.monotonic()
        self.reader = await self._db(changes.ChangeReader, self.view)
        self.view.load(await self._db(dit.fetch_all))
        logger.info("LDAP view loaded: %d entries in %.2fs", len(self.view.entries), time.monotonic() - started)
        self.servers.append(await asyncio.start_server(self._serve, host, port, limit=MAX_MESSAGE))
        if ldaps_port is not None and self.ssl_context:
            self.servers.append(
                await asyncio.start_server(self._serve, host, ldaps_port, ssl=self.ssl_context, limit=MAX_MESSAGE)
            )
        self._spawn(self._follow_changes())
        self._start_redis_listener()

    def ports(self) -> list[int]:
        return [s.sockets[0].getsockname()[1] for s in self.servers]

    async def close(self) -> None:
        for server in self.servers:
            server.close()
        for task in list(self._tasks):
            task.cancel()
        for writer in list(self.writers):
            writer.transport.abort()
        await asyncio.sleep(0.05)  # let the connection tasks see their closed transports
        for server in self.servers:
            await server.wait_closed()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _follow_changes(self) -> None:
        last_prune = time.monotonic()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), changes.POLL_INTERVAL)
            self.wake.clear()
            try:
                await self.poll_changes()
                if time.monotonic() - last_prune > 60:
                    last_prune = time.monotonic()
                    await self._db(changes.prune)
            except Exception:  # noqa: BLE001 - a failed poll is retried on the next tick
                logger.exception("LDAP change feed poll failed")

    async def poll_changes(self) -> None:
        """Fetch pending changes (worker thread) and apply them (here, on the loop); one at a
        time, so a fetch never marks rows seen that another poll is still applying."""
        async with self._poll_lock:
            updates = await self._db(self.reader.fetch)
            self.reader.apply(updates)
            if any(kind in ("user", "all") for kind, _data in updates):
                self.bind_cache.clear()

    def _start_redis_listener(self) -> None:
        """With Redis, a published change wakes the poller at once instead of at the next tick."""
        if not settings.REDIS_URL:
            return
        loop = asyncio.get_running_loop()

        def listen() -> None:
            import redis

            while True:
                try:
                    pubsub = redis.Redis.from_url(settings.REDIS_URL).pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(changes.CHANNEL)
                    for _message in pubsub.listen():
                        loop.call_soon_threadsafe(self.wake.set)
                except Exception:  # noqa: BLE001 - reconnect; the timer covers the gap
                    time.sleep(1)

        threading.Thread(target=listen, name="ldap-redis", daemon=True).start()

    # Connections ------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        session = Session(peer=peer[0] if peer else "", tls=writer.get_extra_info("sslcontext") is not None)
        if self.connections >= self.limits.max_connections:
            writer.write(self._notice(Result.BUSY, "too many connections"))
            await self._close(writer)
            return
        self.connections += 1
        self.writers.add(writer)
        try:
            await self._loop(reader, writer, session)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            self.connections -= 1
            self.writers.discard(writer)
            await self._close(writer)

    async def _close(self, writer: asyncio.StreamWriter) -> None:
        try:
            writer.close()
            await asyncio.wait_for(writer.wait_closed(), 2)
        except (ConnectionError, TimeoutError, ssl.SSLError, OSError):
            pass

    def _notice(self, code: int, message: str) -> bytes:
        return p.envelope(0, p.extended_response(code, message, oid=p.OID_NOTICE_OF_DISCONNECTION))

    async def _loop(self, reader, writer, session: Session) -> None:
        buffer = bytearray()
        while True:
            try:
                length = ber.message_length(buffer, MAX_MESSAGE)
            except BerError as exc:
                writer.write(self._notice(Result.PROTOCOL_ERROR, str(exc)))
                return
            if length is None or len(buffer) < length:
                try:
                    async with asyncio.timeout(self.limits.idle_timeout):  # no extra task per read
                        chunk = await reader.read(65536)
                except TimeoutError:
                    writer.write(self._notice(Result.UNAVAILABLE, "idle timeout"))
                    return
                if not chunk:
                    return
                buffer += chunk
                continue
            data = bytes(buffer[:length])
            del buffer[:length]
            try:
                message = p.decode_message(data)
                keep_going = await self._dispatch(message, writer, session)
            except BerError as exc:
                writer.write(self._notice(Result.PROTOCOL_ERROR, str(exc)))
                return
            except Exception:
                # A bug must cost one connection, never the server.
                logger.exception("LDAP request failed")
                writer.write(self._notice(Result.OTHER, "internal error"))
                return
            if not keep_going:
                return
            if writer.transport.get_write_buffer_size() > 1 << 20:
                await writer.drain()

    # Operations -------------------------------------------------------------------------------

    async def _dispatch(self, message: p.Message, writer, session: Session) -> bool:
        """Answer one message; False closes the connection."""
        tag = message.op.tag
        mid = message.message_id
        if tag == p.UNBIND_REQUEST:
            return False
        if tag == p.ABANDON_REQUEST:
            return True  # searches finish before the next message is read: nothing to abandon
        unsupported = next((c for c in message.controls if c.critical and c.oid not in ACCEPTED_CONTROLS), None)
        if unsupported is not None and tag in p.RESPONSE_TAGS:
            code = Result.UNAVAILABLE_CRITICAL_EXTENSION
            writer.write(p.envelope(mid, p.result(p.RESPONSE_TAGS[tag], code, message=unsupported.oid)))
            return True
        pending = session.principal is not None and session.principal.pending_user is not None
        if pending and tag in (p.SEARCH_REQUEST, p.COMPARE_REQUEST):
            session.principal = await self._db(auth.resolve, session.principal)
        if tag == p.BIND_REQUEST:
            writer.write(p.envelope(mid, await self._bind(p.parse_bind(message.op), session)))
            metrics.ldap_operation("bind", "success" if session.principal is not None else "failure")
        elif tag == p.SEARCH_REQUEST:
            self._search(message, writer, session)
            metrics.ldap_operation("search", "done")
        elif tag == p.COMPARE_REQUEST:
            writer.write(p.envelope(mid, self._compare(message.op, session)))
            metrics.ldap_operation("compare", "done")
        elif tag == p.EXTENDED_REQUEST:
            metrics.ldap_operation("extended", "done")
            return await self._extended(message, writer, session)
        elif tag in p.WRITE_RESPONSES:
            writer.write(
                p.envelope(mid, p.result(p.WRITE_RESPONSES[tag], Result.UNWILLING_TO_PERFORM, message="read-only"))
            )
            metrics.ldap_operation("write", "refused")
        else:
            raise BerError("unknown operation")
        return True

    async def _bind(self, request: p.BindRequest, session: Session) -> bytes:
        session.principal = None  # a bind resets the connection's identity, even when it fails
        session.pages.clear()
        if request.version != 3:
            return p.result(p.BIND_RESPONSE, Result.PROTOCOL_ERROR, message="only LDAPv3 is supported")
        if request.password is None:
            return p.result(p.BIND_RESPONSE, Result.AUTH_METHOD_NOT_SUPPORTED, message="only simple binds")
        try:
            password = request.password.decode("utf-8")
        except UnicodeDecodeError:
            return p.result(p.BIND_RESPONSE, Result.INVALID_CREDENTIALS)
        cached = self.bind_cache.get(request.name, password)
        if cached is not None:
            await self._db(auth.audit_cached_bind, cached, session.peer)
            session.principal = cached
            return p.result(p.BIND_RESPONSE, Result.SUCCESS)
        try:
            principal = await self._db(auth.bind, request.name, password, session.peer)
        except auth.BindRefused as refused:
            return p.result(p.BIND_RESPONSE, refused.code, message=refused.message)
        if principal.kind == "user":
            self.bind_cache.put(request.name, password, principal)
        session.principal = principal
        return p.result(p.BIND_RESPONSE, Result.SUCCESS)

    def _may_read(self, session: Session) -> bool:
        return session.principal is not None or settings.LDAP_ALLOW_ANONYMOUS

    def _search(self, message: p.Message, writer, session: Session) -> None:
        mid = message.message_id
        request = p.parse_search(message.op)
        paged = message.control(p.OID_PAGED_RESULTS)
        page = p.parse_paged_control(paged.value) if paged else None
        done_controls = b""
        base = request.base.strip()
        if base == "" and request.scope == p.Scope.BASE:
            self._send_static(writer, mid, schema.root_dse(self.view.base_dn, self.ssl_context is not None), request)
            writer.write(p.envelope(mid, p.result(p.SEARCH_DONE, Result.SUCCESS)))
            return
        if base.lower() == schema.SUBSCHEMA_DN.lower():
            if request.scope == p.Scope.BASE:
                self._send_static(writer, mid, schema.subschema(), request)
            writer.write(p.envelope(mid, p.result(p.SEARCH_DONE, Result.SUCCESS)))
            return
        if not self._may_read(session):
            writer.write(
                p.envelope(mid, p.result(p.SEARCH_DONE, Result.INSUFFICIENT_ACCESS_RIGHTS, message="bind first"))
            )
            return
        principal = session.principal or auth.ANONYMOUS
        try:
            if page is not None and page[1]:
                keys = session.pages.pop(page[1], None)
                if keys is None:
                    raise search.SearchError(Result.UNWILLING_TO_PERFORM, "unknown or expired paged results cookie")
            else:
                keys = search.find(self.view, principal, request, self._time_limit(request))
        except search.SearchError as exc:
            writer.write(p.envelope(mid, p.result(p.SEARCH_DONE, exc.code, exc.matched, exc.message)))
            return
        code, text = Result.SUCCESS, ""
        if page is not None:
            size = page[0]
            rest = keys[size:] if size else []
            keys = keys[:size]
            cookie = b""
            if rest:
                cookie = str(next(self._cookies)).encode()
                if len(session.pages) >= MAX_PAGED_SEARCHES:
                    session.pages.pop(next(iter(session.pages)))
                session.pages[cookie] = rest
            done_controls = p.paged_control(cookie, len(rest))
        else:
            limit = self._size_limit(request)
            if limit and len(keys) > limit:
                keys = keys[:limit]
                code, text = Result.SIZE_LIMIT_EXCEEDED, "size limit exceeded"
        self._send_entries(writer, mid, keys, request)
        writer.write(p.envelope(mid, p.result(p.SEARCH_DONE, code, message=text), done_controls))

    def _size_limit(self, request: p.SearchRequest) -> int:
        server = self.limits.size_limit
        return min(filter(None, (request.size_limit, server)), default=0)

    def _time_limit(self, request: p.SearchRequest) -> float:
        return min(filter(None, (request.time_limit, self.limits.time_limit)), default=0)

    def _send_entries(self, writer, mid: int, keys: list[str], request: p.SearchRequest) -> None:
        view = self.view
        out = []
        for key in keys:
            entry = view.entries.get(key)
            if entry is None:  # removed since the first page
                continue
            attrs = search.select(view, entry, request.attributes, request.types_only)
            out.append(p.envelope(mid, p.search_entry(entry.dn, attrs)))
        writer.write(b"".join(out))

    def _send_static(self, writer, mid: int, entry: dit.Entry, request: p.SearchRequest) -> None:
        from apps.ldap_server import filters

        if filters.evaluate(self.view, entry, filters.prepare(request.filter)) is not True:
            return
        wanted = {a.lower() for a in request.attributes}
        everything = not wanted or wanted & {"*", "+"}
        attrs = [
            (name, [] if request.types_only else values)
            for key, (name, values) in entry.attrs.items()
            if everything or key in wanted
        ]
        writer.write(p.envelope(mid, p.search_entry(entry.dn, attrs)))

    def _compare(self, op, session: Session) -> bytes:
        dn, attr, value = p.parse_compare(op)
        if not self._may_read(session):
            return p.result(p.COMPARE_RESPONSE, Result.INSUFFICIENT_ACCESS_RIGHTS, message="bind first")
        entry = self.view.get(dn)
        principal = session.principal or auth.ANONYMOUS
        if entry is None or not search.visible(principal, entry):
            return p.result(p.COMPARE_RESPONSE, Result.NO_SUCH_OBJECT)
        name = attr.lower()
        if name in search.NEVER_RETURNED:
            return p.result(p.COMPARE_RESPONSE, Result.INSUFFICIENT_ACCESS_RIGHTS)
        from apps.ldap_server import filters, matching

        have = filters.values(self.view, entry, name)
        if not have:
            return p.result(p.COMPARE_RESPONSE, Result.NO_SUCH_ATTRIBUTE)
        want = matching.normalize(name, value.decode("utf-8", errors="replace"))
        return p.result(p.COMPARE_RESPONSE, Result.COMPARE_TRUE if want in have else Result.COMPARE_FALSE)

    async def _extended(self, message: p.Message, writer, session: Session) -> bool:
        request = p.parse_extended(message.op)
        mid = message.message_id
        if request.oid == p.OID_WHOAMI:
            principal = session.principal
            value = principal.authzid().encode() if principal else b""
            writer.write(p.envelope(mid, p.extended_response(Result.SUCCESS, value=value)))
            return True
        if request.oid == p.OID_STARTTLS:
            if self.ssl_context is None:
                writer.write(p.envelope(mid, p.extended_response(Result.UNAVAILABLE, "TLS is not configured")))
                return True
            if session.tls:
                writer.write(p.envelope(mid, p.extended_response(Result.OPERATIONS_ERROR, "TLS is already on")))
                return True
            writer.write(p.envelope(mid, p.extended_response(Result.SUCCESS, oid=p.OID_STARTTLS)))
            await writer.drain()
            await writer.start_tls(self.ssl_context)
            session.tls = True
            return True
        writer.write(
            p.envelope(mid, p.extended_response(Result.PROTOCOL_ERROR, f"unsupported extended operation {request.oid}"))
        )
        return True
