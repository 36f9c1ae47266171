"""``RedisGroups``: groups whose broadcasts reach every worker process sharing a Redis server.

Imported by ``socketsundso.groups`` only when ``RedisGroups`` is asked for; the ``redis``
package itself is imported when a hub is made, so an application that never makes one
needs no ``redis`` installed.

Each hub holds, in the event loop that uses it, two connections to Redis: one that
PUBLISHes what a bounded queue holds (``socketsundso._publish_queue``: one drainer task
sends it in order, so one broadcaster's messages keep their order, and a circuit breaker
fails broadcasts fast while Redis doesn't answer) and one that a listener task reads,
SUBSCRIBEd to the channel of each group that has members in this process. Both open on
the first join or broadcast. The listener task owns them: it reconnects with a capped
backoff, subscribes again what has members, and closes both when it is cancelled, which
the event loop's shutdown (uvicorn's, a ``TestClient``'s) does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, NoReturn, Protocol
from urllib.parse import urlsplit

from . import _redis_history
from ._history import History, Membership, Position, Reason, position_head
from ._publish_queue import DEFAULT_PUBLISH_QUEUE_SIZE, Item, PublishQueue
from .exceptions import BroadcastUnavailable
from .groups import Groups, Member, check_group_name

__all__ = ["RedisGroups"]

logger = logging.getLogger("socketsundso")

#: The URL schemes a hub connects with: TCP, TLS, a Unix socket.
SCHEMES = ("redis", "rediss", "unix")
#: What every channel name starts with, before the group's name.
DEFAULT_CHANNEL_PREFIX = "socketsundso:"
#: Default seconds one Redis command (a socket read or write) may take.
SOCKET_TIMEOUT = 2.0
#: Default seconds connecting to Redis may take.
CONNECT_TIMEOUT = 2.0
#: First and longest pause, in seconds, between the listener's attempts to reconnect.
BACKOFF_MIN = 0.05
BACKOFF_MAX = 1.0
#: Default seconds the listener's connection may stay silent before it sends a PING; a
#: second silence as long (no PONG) counts as a lost connection.
HEALTH_CHECK_INTERVAL = 5.0
#: Most channels one SUBSCRIBE or UNSUBSCRIBE command names.
CHANNELS_PER_COMMAND = 1000

_INSTALL_HINT = "pip install 'socketsundso[redis]'"


class _Connection(Protocol):
    """What the hub uses of a ``redis.asyncio`` connection (the same since redis 5)."""

    @property
    def is_connected(self) -> bool: ...

    async def connect(self) -> None: ...

    async def send_command(self, *args: Any, **kwargs: Any) -> None: ...

    def pack_commands(self, commands: Iterable[Iterable[Any]]) -> list[bytes]: ...

    async def send_packed_command(
        self, command: Iterable[bytes], check_health: bool = ...
    ) -> None: ...

    async def read_response(self, *, timeout: float | None = None) -> Any: ...

    async def disconnect(self, nowait: bool = False) -> None: ...


class RedisGroups(Groups):
    """Groups shared by every worker process connected to one Redis server, via pub/sub.

    ``url`` is a ``redis://``, ``rediss://`` or ``unix://`` URL (redis-py's syntax:
    ``redis://:password@host:6379/0``); ``options`` are keyword arguments of a
    ``redis.asyncio`` connection (``password``, ``ssl_ca_certs``, ``socket_timeout``...).
    Socket and connect timeouts default to 2 seconds, so nothing waits on an unreachable
    Redis for longer; ``health_check_interval`` (default 5) is how many seconds the
    listener's connection may be silent before the listener PINGs it (and gives it up
    after as long without an answer). Hubs with the same Redis and ``channel_prefix``
    share their groups (a group is the channel ``channel_prefix + name``), in this
    process too.

    A broadcast is serialized once, given to this process's members directly and
    PUBLISHed once for the other processes; each process's listener skips its own
    messages. The PUBLISH goes through a bounded queue (``publish_queue_size``
    messages, 1024 by default, per event loop): ``broadcast`` returns once this
    process's members have the message, without waiting for Redis (past half the
    queue, it waits 50 ms at most for the batch being published, so a loop of
    broadcasts goes at Redis's pace). One broadcaster's
    messages to a group reach every member in the order they were sent. ``join``
    returns once Redis confirmed the group's subscription, so a broadcast made anywhere
    after it reaches the new member.

    Delivery across processes is at most once, as Redis pub/sub is: a message published
    while a process's listener is disconnected from Redis never reaches that process.
    (A broadcast whose PUBLISH timed out may have reached Redis all the same.)

    When Redis is unreachable or stops answering, local members still get every
    broadcast, at once. A publish that fails (or isn't answered within ``timeout``)
    opens a circuit breaker: the messages still queued are dropped (counted in
    ``unpublished``), and ``broadcast`` raises ``BroadcastUnavailable`` at once, as it
    does when the queue is full or while the listener has lost Redis, until a trial
    publish succeeds (tried after 1 s, then after up to 8 s). ``join`` succeeds
    locally, and the listener reconnects by itself (pausing at most a second between
    attempts) and subscribes again every group with members here. ``healthy`` says
    whether the listener is subscribed and reading; ``on_health_change`` (a plain
    function, called in the event loop) hears of each change; the ``socketsundso``
    logger warns once when Redis is lost and says once when it is back.

    With ``history=History(size, ttl)``, a broadcast is one EVALSHA of a script that
    gives the message the group's next position, keeps it in a stream of the group
    (``size`` messages, expiring ``ttl`` after the last) and PUBLISHes it; every
    member, on this worker too, gets it from Redis, with its position. So a Redis that
    hangs delays every member of a group with history (and the breaker then refuses its
    broadcasts), where plain groups keep delivering locally. ``join(group, member,
    since=position)`` replays what the member missed; see ``socketsundso._history``
    and ``socketsundso._redis_history``.

    The connections open on the first join or broadcast, in the running event loop, and
    close when that loop shuts down (its tasks are cancelled), with nothing to wire up.
    To close them earlier, ``await hub.aclose()``, e.g. at the end of a lifespan; the
    hub reopens when used again. A hub used from another event loop than the one it
    opened in (a test's new ``TestClient``) leaves the old connections and opens anew;
    use a hub from one event loop at a time. ::

        class Chat(WebSocketHandlingEndpoint):
            groups = RedisGroups("redis://127.0.0.1:6379/0")

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            yield
            await Chat.groups.aclose()

        app = Starlette(routes=[WebSocketRoute("/ws", Chat)], lifespan=lifespan)
    """

    def __init__(
        self,
        url: str,
        *,
        channel_prefix: str = DEFAULT_CHANNEL_PREFIX,
        on_health_change: Callable[[bool], object] | None = None,
        publish_queue_size: int = DEFAULT_PUBLISH_QUEUE_SIZE,
        history: History | None = None,
        **options: Any,
    ) -> None:
        super().__init__()
        _check_url(url)
        if history is not None and not isinstance(history, History):
            raise TypeError(f"RedisGroups: history must be a History, not {history!r}")
        self.history = history
        if not isinstance(channel_prefix, str):
            raise TypeError(f"channel_prefix must be a str, not {channel_prefix!r}")
        if (
            not isinstance(publish_queue_size, int)
            or isinstance(publish_queue_size, bool)
            or publish_queue_size < 1
        ):
            raise ValueError(
                "RedisGroups: publish_queue_size must be a positive int, "
                f"not {publish_queue_size!r}"
            )
        #: Most PUBLISHes waiting to be sent, per event loop; a broadcast past it fails fast.
        self.publish_queue_size = publish_queue_size
        module, redis_error = _import_redis()
        #: Seconds of silence after which the listener PINGs Redis.
        self.health_check_interval = _positive(
            "health_check_interval", options.pop("health_check_interval", HEALTH_CHECK_INTERVAL)
        )
        self._connection_class, self._connection_kwargs = _connection_settings(module, url, options)
        #: The URL without its password, for logs and errors.
        self.url = _redacted(url)
        self.on_health_change = on_health_change
        self._prefix = channel_prefix.encode()
        self._origin = secrets.token_hex(8).encode()
        self._errors: tuple[type[BaseException], ...] = (
            redis_error,
            OSError,
            asyncio.TimeoutError,
        )
        kwargs = self._connection_kwargs
        #: Longest wait of a publish for Redis, and of a join for its subscription.
        self.timeout = float(
            (kwargs["socket_connect_timeout"] or CONNECT_TIMEOUT)
            + (kwargs["socket_timeout"] or SOCKET_TIMEOUT)
        )
        self._session: _Session | None = None
        self._healthy = False
        #: Per group, the members whose join is reading the history, or whose listener
        #: has yet to deliver a message past the replay (see ``_redis_history.Joining``).
        self._joining: dict[str, dict[Member, _redis_history.Joining]] = {}
        self._lost = False
        self._unpublished_before = 0

    def __repr__(self) -> str:
        return f"RedisGroups({self.url!r})"

    # -- the Groups interface ----------------------------------------------------------

    async def join(
        self, group: str, member: Member, *, since: Position | None = None
    ) -> Membership:
        """Make ``member`` a member of ``group``; return once Redis confirmed the channel.

        Waits at most ``timeout`` seconds for the confirmation, and not at all while
        Redis is unreachable: the membership holds locally either way, and the group is
        subscribed when the listener reconnects. A join cancelled meanwhile (a handler's
        timeout) is undone.

        With history, the join then reads the group's position (and, with ``since``, the
        messages after it) from Redis; messages that reach the member meanwhile wait,
        and go after the replay, those it replayed left out. When Redis doesn't answer
        within ``timeout``, the membership holds without a position.
        """
        member_already = member in self._members.get(check_group_name(group), ())
        if self.history is not None and not member_already:
            return await self._join_with_history(group, member, since)
        try:
            await self._add(group, member)
            await self._subscribed(group)
        except asyncio.CancelledError:  # a join cut short leaves no member behind
            if not member_already:
                self.leave_all((group,), member)
            raise
        if self.history is not None:  # a member already: it has had every message since
            membership, _ = await self._read_history(group, None)
            return membership
        return Membership(group, None, False, None if since is None else "unknown_group")

    async def _join_with_history(
        self, group: str, member: Member, since: Position | None
    ) -> Membership:
        """``join`` of a new member of a group with history: replay, then live messages."""
        state = self._joining.setdefault(group, {})[member] = _redis_history.Joining()
        try:
            await self._add(group, member)
            await self._subscribed(group)
            membership, replayed = await self._read_history(group, since)
        except BaseException as exc:
            self._joined(group, member)
            if isinstance(exc, asyncio.CancelledError):
                self.leave_all((group,), member)
            raise
        if member not in self._members.get(group, ()):  # it left (its connection ended)
            self._joined(group, member)
            return membership
        for data in replayed:
            member.deliver(data.decode())
        for text in state.settle(membership.position):
            member.deliver(text)
        if membership.position is None:
            self._joined(group, member)
        return membership

    def _joined(self, group: str, member: Member) -> None:
        """``member`` gets ``group``'s messages as any member does from now on."""
        joining = self._joining.get(group)
        if joining is not None and joining.pop(member, None) is not None and not joining:
            del self._joining[group]

    def _remove(self, group: str, member: Member) -> bool:
        if group in self._joining:
            state = self._joining[group].get(member)
            if state is not None and state.waiting is None:  # a join under way cleans up
                self._joined(group, member)
        return super()._remove(group, member)

    async def _read_history(
        self, group: str, since: Position | None
    ) -> tuple[Membership, list[bytes]]:
        """The group's position, and with ``since`` the messages to replay; a membership
        without a position when Redis doesn't answer within ``timeout``."""
        history = self.history
        if history is None:
            return Membership(group, None, False, None if since is None else "unknown_group"), []
        session = self._here()
        keys = self._history_keys(group)

        async def read(after: int, count: int) -> Any:
            return await session.reader.script(
                _redis_history.READ, *keys, after, count, self._ttl_ms, self._origin
            )

        errors: tuple[type[BaseException], ...] = (*self._errors, ValueError)
        try:
            return await asyncio.wait_for(
                _redis_history.replay(read, group, since, history), self.timeout
            )
        except errors as exc:
            logger.warning(
                "RedisGroups: could not read the history of %r from Redis at %s (%s)",
                group,
                self.url,
                str(exc) or type(exc).__name__,
            )
            reason: Reason | None = None if since is None else "unknown_group"
            return Membership(group, None, False, reason), []

    async def _subscribed(self, group: str) -> None:
        """Wait, ``timeout`` seconds at most, until Redis confirmed ``group``'s channel."""
        waiter = self._here().waiter(group)
        if waiter is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(waiter), self.timeout)

    async def broadcast(self, group: str, text: str) -> None:
        """Give ``text`` to ``group``'s members here, and queue its PUBLISH for the others.

        Doesn't wait for Redis (past half the queue, 50 ms at most for the batch being
        published: a loop of broadcasts goes at Redis's pace). Raises
        ``BroadcastUnavailable`` at once when the PUBLISH
        can't be queued: the queue is full, the breaker is open (Redis failed to take a
        message lately), or the listener has lost Redis; the members in this process got
        it all the same.
        """
        session = self._here()
        if self.history is None:
            self.deliver_locally(group, text)
            payload = self._origin + b"\n" + text.encode()
        else:  # members here get it from Redis, with its position, as everyone else
            payload = position_head(text, group).encode()
        if session.down or not session.outgoing.offer(self._channel(group), payload):
            raise BroadcastUnavailable(group)
        await session.outgoing.pace()  # a loop of broadcasts lets others (and Redis) go

    @property
    def unpublished(self) -> int:
        """Broadcasts queued for Redis and then dropped because publishing failed.

        Their broadcasters were not told (``broadcast`` had returned); members on this
        worker got them, those on other workers did not. At most ``publish_queue_size``
        per failure.
        """
        session = self._session
        return self._unpublished_before + (session.outgoing.lost if session else 0)

    @property
    def healthy(self) -> bool:
        """Whether the listener is connected, subscribed to every group with members here,
        and reading (False before the first join or broadcast, and while Redis is lost)."""
        session = self._session
        return self._healthy and session is not None and not session.loop.is_closed()

    async def aclose(self) -> None:
        """Close the connections to Redis now (e.g. in a lifespan's shutdown).

        Members stay members; the next join or broadcast reconnects and subscribes again
        every group that has members.
        """
        session, self._session = self._session, None
        if session is not None:
            self._unpublished_before += session.outgoing.lost
            await session.close()
        self._set_health(False)

    async def _first_joined(self, group: str) -> None:
        await self._here().update((group,))

    async def _last_left(self, group: str) -> None:
        session = self._existing()
        if session is not None:
            await session.update((group,))

    def _last_left_soon(self, group: str) -> None:
        session = self._existing()
        if session is not None:
            session.update_soon(group)

    # -- for the session ---------------------------------------------------------------

    def _here(self) -> _Session:
        """The session of the running event loop; a new one if there is none yet."""
        session = self._existing()
        if session is None:
            if self._session is not None:
                self._unpublished_before += self._session.outgoing.lost
                self._session.abandon()
                self._set_health(False)
            session = self._session = _Session(self, asyncio.get_running_loop())
        return session

    def _existing(self) -> _Session | None:
        """The session of the running event loop, if it has one that is open."""
        session = self._session
        if session is None or session.closed:
            return None
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return session if session.loop is loop else None

    def _new_connection(self) -> _Connection:
        connection: _Connection = self._connection_class(**self._connection_kwargs)
        return connection

    def _channel(self, group: str) -> bytes:
        return self._prefix + group.encode()

    def _group(self, channel: bytes) -> str:
        return channel[len(self._prefix) :].decode()

    def _received(self, channel: bytes, data: bytes) -> None:
        """A message from Redis: give it to the group's members, unless this hub sent it
        (with history: to every member, whoever sent it)."""
        origin, newline, text = data.partition(b"\n")
        if not newline:
            logger.debug("RedisGroups: skipped a message without an origin on %r", channel)
        elif self.history is not None:
            offset, _, epoch = origin.partition(b" ")
            self._deliver_positioned(self._group(channel), int(offset), epoch, text.decode())
        elif origin != self._origin:
            self.deliver_locally(self._group(channel), text.decode())

    def _deliver_positioned(self, group: str, offset: int, epoch: bytes, text: str) -> None:
        """Give a message of a group with history to its members; those still joining
        get it after their replay, or not at all if their replay had it."""
        joining = self._joining.get(group)
        if joining is None:
            self.deliver_locally(group, text)
            return
        for member in tuple(self._members.get(group, ())):
            state = joining.get(member)
            if state is None:
                member.deliver(text)
            elif state.waiting is not None:
                state.waiting.append((offset, epoch, text))
            elif state.past(offset, epoch):
                self._joined(group, member)
                member.deliver(text)

    def _history_keys(self, group: str) -> tuple[bytes, bytes]:
        """The keys of ``group``'s position and history."""
        name = group.encode()
        return self._prefix + b"position:" + name, self._prefix + b"history:" + name

    def _command(self, item: Item) -> tuple[Any, ...]:
        """The command of a queued broadcast: a PUBLISH, or with history the EVALSHA of
        the script that stores and publishes it."""
        channel, payload = item
        if self.history is None:
            return ("PUBLISH", channel, payload)
        group = channel[len(self._prefix) :].decode()
        return (
            "EVALSHA",
            _redis_history.BROADCAST_SHA,
            2,
            *self._history_keys(group),
            channel,
            payload,
            self.history.size,
            self._ttl_ms,
            self._origin,
        )

    @property
    def _ttl_ms(self) -> int:
        return 0 if self.history is None else max(1, round(self.history.ttl * 1000))

    def _set_health(self, healthy: bool) -> None:
        if healthy == self._healthy:
            return
        self._healthy = healthy
        callback = self.on_health_change
        if callback is not None:
            try:
                callback(healthy)
            except Exception:
                logger.exception("RedisGroups: on_health_change(%s) raised", healthy)

    def _note_lost(self, exc: BaseException) -> None:
        """The listener couldn't connect or lost its connection: warn, once per loss."""
        if self._lost:
            return
        self._lost = True
        logger.warning(
            "RedisGroups: lost Redis at %s (%s); broadcasts reach this process's members "
            "only until it returns; reconnecting",
            self.url,
            str(exc) or type(exc).__name__,
            exc_info=not isinstance(exc, self._errors),
        )

    def _note_back(self) -> None:
        if self._lost:
            self._lost = False
            logger.info("RedisGroups: Redis at %s is back; groups subscribed again", self.url)


class _Publisher:
    """One connection that PUBLISHes batches, one batch at a time, so publishes keep their order.

    ``command`` makes each message's command; ``script``, if any, is loaded on each new
    connection before its first batch (the commands EVALSHA it).
    """

    def __init__(
        self,
        connection: _Connection,
        command: Callable[[Item], tuple[Any, ...]],
        script: str | None = None,
    ) -> None:
        self.connection = connection
        self.command = command
        self.script = script
        self.lock = asyncio.Lock()
        self.closed = False
        #: The listener lost Redis: this connection is likely dead too; open a new one.
        self.stale = False

    async def publish(self, messages: list[Item]) -> None:
        """PUBLISH each of ``messages`` (channel, payload), in one write; connect first if
        need be. Returns once Redis answered every one."""
        async with self.lock:
            if self.closed:  # the hub closed while this waited: don't connect again
                raise ConnectionError("the hub's connections were closed")
            connection = self.connection
            try:
                if self.stale:
                    self.stale = False
                    await _disconnect(connection)
                if not connection.is_connected:
                    await connection.connect()
                    if self.script is not None:
                        await connection.send_command("SCRIPT", "LOAD", self.script)
                        await connection.read_response()
                commands = [self.command(message) for message in messages]
                await connection.send_packed_command(
                    connection.pack_commands(commands), check_health=False
                )
                for _ in messages:
                    await connection.read_response()
            except BaseException:
                # A command cut short (a timeout, a cancellation) leaves a reply unread.
                await _disconnect(connection)
                raise

    async def close(self) -> None:
        """Close the connection, for good."""
        async with self.lock:
            self.closed = True
            await _disconnect(self.connection)


class _Reader:
    """One connection that runs scripts, one at a time: the reads of joins with history."""

    def __init__(self, connection: _Connection) -> None:
        from redis.exceptions import ConnectionError as LostConnection
        from redis.exceptions import NoScriptError, ResponseError

        self.connection = connection
        self.lock = asyncio.Lock()
        self.closed = False
        #: What redis-py raises for an error reply, and for NOSCRIPT.
        self.response_error = ResponseError
        self.no_script = NoScriptError
        #: What a connection that died raises: worth one more try on a new connection.
        self.lost: tuple[type[BaseException], ...] = (LostConnection, OSError)

    async def script(self, script: str, *args: Any) -> Any:
        """``script``'s reply: EVALSHA, or EVAL when Redis doesn't have it yet (which
        loads it); ``args`` are its two keys then its arguments."""
        sha = hashlib.sha1(script.encode()).hexdigest()
        try:
            return await self._command("EVALSHA", sha, 2, *args)
        except self.no_script:
            return await self._command("EVAL", script, 2, *args)

    async def _command(self, *args: Any) -> Any:
        """Send one command and read its reply. A connection made earlier may have died
        since (Redis restarted): if it fails, the command is tried once on a new one."""
        async with self.lock:
            if self.closed:
                raise ConnectionError("the hub's connections were closed")
            connection = self.connection
            retry = connection.is_connected
            while True:
                try:
                    if not connection.is_connected:
                        await connection.connect()
                    await connection.send_command(*args, check_health=False)
                    return await connection.read_response()
                except self.response_error:
                    raise  # an error reply: the connection is fine
                except self.lost:
                    await _disconnect(connection)
                    if not retry:
                        raise
                    retry = False
                except BaseException:
                    await _disconnect(connection)  # a command cut short leaves a reply unread
                    raise

    async def close(self) -> None:
        """Close the connection, for good."""
        async with self.lock:
            self.closed = True
            await _disconnect(self.connection)


class _Session:
    """A hub's connections in one event loop, and the listener task that owns them.

    ``subscribed`` holds the groups whose SUBSCRIBE was sent on the current connection
    and not undone by an UNSUBSCRIBE; ``pending`` the futures of SUBSCRIBEs not yet
    confirmed, per group in sending order (Redis confirms in that order).
    """

    def __init__(self, hub: RedisGroups, loop: asyncio.AbstractEventLoop) -> None:
        self.hub = hub
        self.loop = loop
        script = None if hub.history is None else _redis_history.BROADCAST
        self.publisher = _Publisher(hub._new_connection(), hub._command, script)
        #: Runs the history's READ script for joins (made on the first).
        self.reader = _Reader(hub._new_connection())
        #: The PUBLISHes waiting to be sent, and the breaker that fails broadcasts fast.
        self.outgoing = PublishQueue(
            self.publisher.publish, hub._errors, hub.publish_queue_size, hub.timeout, hub.url
        )
        self.connection: _Connection | None = None
        #: Orders the commands sent on the listener's connection.
        self.lock = asyncio.Lock()
        #: The listener's connection is up: subscription changes are sent on it.
        self.writable = False
        #: The connection is subscribed to every group with members here, and read.
        self.healthy = False
        #: The last attempt to connect failed, or the connection was lost.
        self.down = False
        self.closed = False
        self.subscribed: set[str] = set()
        self.pending: dict[str, deque[asyncio.Future[None]]] = {}
        #: Done once the first connection is subscribed, or failed.
        self.ready: asyncio.Future[None] = loop.create_future()
        self.ready_after: asyncio.Future[None] | None = None
        self.leaving: set[str] = set()
        self.leaver: asyncio.Task[None] | None = None
        self.task = loop.create_task(self._run(), name="socketsundso redis listener")

    # -- subscriptions -------------------------------------------------------------------

    def waiter(self, group: str) -> asyncio.Future[None] | None:
        """What a join of ``group`` waits for: its SUBSCRIBE's confirmation, the first
        connection, or nothing (subscribed already, or Redis is down)."""
        waiters = self.pending.get(group)
        if waiters:
            return waiters[-1]
        if not self.writable and not self.down:
            return self.ready
        return None

    async def update(self, groups: Iterable[str]) -> None:
        """Subscribe or unsubscribe ``groups`` as their members here say."""
        connection = self.connection
        if connection is None or not self.writable:
            return
        subscribe, unsubscribe = self._changes(groups)
        await self._send(connection, "SUBSCRIBE", subscribe)
        await self._send(connection, "UNSUBSCRIBE", unsubscribe)

    def update_soon(self, group: str) -> None:
        """``update`` for ``group`` in the background (groups left together go in one command)."""
        if not self.writable or self.closed:
            return
        self.leaving.add(group)
        if self.leaver is None:
            self.leaver = self.loop.create_task(self._update_leaving())

    async def _update_leaving(self) -> None:
        groups, self.leaving, self.leaver = self.leaving, set(), None
        await self.update(groups)

    def _changes(self, groups: Iterable[str]) -> tuple[list[str], list[str]]:
        """The groups to subscribe and to unsubscribe, recorded as done."""
        subscribe: list[str] = []
        unsubscribe: list[str] = []
        for group in groups:
            wanted = self.hub.members(group) > 0
            if wanted and group not in self.subscribed:
                self.subscribed.add(group)
                self.pending.setdefault(group, deque()).append(self.loop.create_future())
                subscribe.append(group)
            elif not wanted and group in self.subscribed:
                self.subscribed.discard(group)
                unsubscribe.append(group)
        return subscribe, unsubscribe

    async def _send(self, connection: _Connection, command: str, groups: list[str]) -> None:
        channels = [self.hub._channel(group) for group in groups]
        for start in range(0, len(channels), CHANNELS_PER_COMMAND):
            await self._command(
                connection, command, *channels[start : start + CHANNELS_PER_COMMAND]
            )

    async def _command(self, connection: _Connection, *args: Any) -> None:
        """Send a command on the listener's connection; its reply comes to the listener.

        A failure is the listener's to notice (its read fails): it reconnects.
        """
        async with self.lock:
            if connection is not self.connection or not connection.is_connected:
                return  # never reconnect here: a new connection is the listener's to make
            try:
                await connection.send_command(*args, check_health=False)
            except self.hub._errors:
                logger.debug("RedisGroups: sending %s failed", args[0], exc_info=True)

    def _confirmed(self, group: str) -> None:
        waiters = self.pending.get(group)
        if not waiters:
            return
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)
        if not waiters:
            del self.pending[group]

    # -- the listener ----------------------------------------------------------------------

    async def _run(self) -> None:
        delay = BACKOFF_MIN
        try:
            while True:
                if await self._listen_once():
                    delay = BACKOFF_MIN
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
        finally:
            self.closed = True
            if self.leaver is not None:
                self.leaver.cancel()
            self.outgoing.stop()
            await self._disconnect()
            await self.publisher.close()
            await self.reader.close()
            if self.hub._session is self:
                self.hub._set_health(False)

    async def _listen_once(self) -> bool:
        """Connect, subscribe, deliver until the connection fails; say if it was healthy."""
        try:
            connection = await self._connect()
            await self._read(connection)
        except Exception as exc:
            return self._lost(exc)
        finally:
            await self._disconnect()

    async def _connect(self) -> _Connection:
        connection = self.connection = self.hub._new_connection()
        await connection.connect()
        self.writable = True
        groups = self.hub.groups()
        subscribe, _ = self._changes(groups)
        self.ready_after = self.pending[subscribe[-1]][-1] if subscribe else None
        await self._send(connection, "SUBSCRIBE", subscribe)
        self._check_ready()
        return connection

    async def _read(self, connection: _Connection) -> NoReturn:
        """Deliver what Redis sends until the connection fails (PING it when silent)."""
        pinged = False
        while True:
            interval = self.hub.health_check_interval
            response = await connection.read_response(timeout=interval)
            if response is None:
                if pinged:
                    raise TimeoutError(f"no reply to PING in {interval:g} seconds")
                pinged = True
                await self._command(connection, "PING")
                continue
            pinged = False
            try:
                self._handle(response)
            except Exception:  # a member's or a stranger's fault: the connection is fine
                logger.exception("RedisGroups: a message from Redis could not be delivered")
            if not self.healthy:
                self._check_ready()

    def _handle(self, response: Any) -> None:
        if not isinstance(response, list) or len(response) != 3:
            return  # a PONG
        kind, channel, data = response
        if kind == b"message":
            self.hub._received(channel, data)
        elif kind == b"subscribe":
            self._confirmed(self.hub._group(channel))

    def _check_ready(self) -> None:
        """Once every group of the connection's first SUBSCRIBE is confirmed: healthy."""
        if self.ready_after is not None and not self.ready_after.done():
            return
        self.healthy = True
        self.down = False
        if not self.ready.done():
            self.ready.set_result(None)
        if self.hub._session is self:
            self.hub._set_health(True)
            self.hub._note_back()

    def _lost(self, exc: Exception) -> bool:
        """The connection failed or couldn't be made; say whether it had been healthy."""
        self.down = True
        self.publisher.stale = True
        if self.hub._session is self:
            self.hub._set_health(False)
            self.hub._note_lost(exc)
        return self.healthy

    async def _disconnect(self) -> None:
        """Forget the listener's connection and what it subscribed; wake waiting joins."""
        self.writable = self.healthy = False
        self.subscribed.clear()
        for waiters in self.pending.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        self.pending.clear()
        if not self.ready.done():
            self.ready.set_result(None)
        connection, self.connection = self.connection, None
        if connection is not None:
            await _disconnect(connection)

    # -- the end -------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop the listener and close both connections."""
        if self.loop is not asyncio.get_running_loop():
            self.abandon()
            return
        self.closed = True
        self.task.cancel()
        await asyncio.wait([self.task])

    def abandon(self) -> None:
        """Leave a session of another event loop: have its loop cancel the listener, if
        that loop is still open (its cancellation closes the connections)."""
        self.closed = True
        if not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed meanwhile
                self.loop.call_soon_threadsafe(self.task.cancel)


async def _disconnect(connection: _Connection) -> None:
    with contextlib.suppress(Exception):
        await connection.disconnect(nowait=True)


def _import_redis() -> tuple[ModuleType, type[Exception]]:
    """``redis.asyncio.connection`` and ``redis.exceptions.RedisError``, or an ImportError
    that says what to install."""
    try:
        import redis.asyncio.connection as connection_module
        from redis.exceptions import RedisError
    except ImportError as exc:
        raise ImportError(
            f"RedisGroups needs the redis package, which is not installed: {_INSTALL_HINT}"
        ) from exc
    return connection_module, RedisError


def _check_url(url: object) -> None:
    if not isinstance(url, str):
        raise TypeError(f"RedisGroups needs a URL (a str), not {type(url).__name__} {url!r}")
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise ValueError(
            f"RedisGroups needs a redis://, rediss:// or unix:// URL, not {_redacted(url)!r}"
        )


def _connection_settings(
    module: ModuleType, url: str, options: dict[str, Any]
) -> tuple[Callable[..., Any], dict[str, Any]]:
    """The connection class and its keyword arguments for ``url`` and ``options``.

    The URL's settings win over ``options``, as in redis-py. The listener reads RESP2
    replies as bytes and checks its connection's health itself, whatever ``options``
    say. An option no connection takes fails here, not at the first join.
    """
    kwargs: dict[str, Any] = {
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": CONNECT_TIMEOUT,
        **options,
        **module.parse_url(url),
        "decode_responses": False,
        "protocol": 2,
        "health_check_interval": 0,
    }
    connection_class = kwargs.pop("connection_class", module.Connection)
    connection_class(**kwargs)
    return connection_class, kwargs


def _positive(name: str, value: object) -> float:
    """``value`` if it is a positive number of seconds, else a ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"RedisGroups: {name} must be a positive number of seconds, not {value!r}")
    return float(value)


def _redacted(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()
