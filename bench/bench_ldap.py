"""LDAP server throughput against OpenLDAP slapd (mdb) holding the same entries, same client.

    python bench/bench_ldap.py [--users 10000] [--groups 500] [--seconds 5]

Both servers get 10,000 users and 500 groups (20 members each): ArkID's from a throwaway
SQLite database through ``manage.py ldap_server`` in its own process; slapd (Debian package
``slapd``, run in the foreground on a private port with a generated ``slapd.conf``, mdb
backend, equality indexes on uid, member, objectClass) from an LDIF of the same entries.
One client measures both, alternating: a small synchronous client built on our own codec
(``apps.ldap_server.protocol``), so the client costs the same for each server and ldap3's
pyasn1 codec does not hide the servers' speed. Measured per server, one connection, one
request at a time:

- ``uid_search``: ``(uid=userN)`` under ``ou=people``, random N, attributes uid cn mail;
- ``member_search``: ``(&(objectClass=groupOfNames)(member=uid=userN,ou=people,...))``;
- ``bind``: simple binds of random users. ArkID hashes with Argon2id (the configured
  hasher), slapd with ``{SSHA}`` (its default), so bind rates are compared with
  ``bare_argon2_verify_per_s`` instead: binds should be limited only by the hash.

It also times decoding one search request with our codec and with pyasn1 (ldap3's).

Goals (exit code 3 when missed, as bench/run.py expects): searches at least half of slapd's
rate; binds at least half of the bare Argon2 verify rate. Without slapd the searches are
reported without a ratio.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "dc=example,dc=org"
PEOPLE = f"ou=people,{BASE}"
PASSWORD = "Bench-Password-2024!"  # noqa: S105 - throwaway accounts in a throwaway database
ADMIN_PASSWORD = "bench-admin"  # noqa: S105
GOAL_MISSED = 3
ARKID_PORT, SLAPD_PORT = 18480, 18481


def setup_django(var_dir: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "arkid.settings"
    os.environ["ARKID_VAR_DIR"] = var_dir
    os.environ["ARKID_DATABASE_URL"] = f"sqlite:///{Path(var_dir) / 'bench.sqlite3'}"
    os.environ["ARKID_LOG_LEVEL"] = "WARNING"
    os.environ["ARKID_LDAP_ADMIN_PASSWORD"] = ADMIN_PASSWORD
    os.environ["ARKID_LDAP_SIZE_LIMIT"] = "0"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def load_directory(n_users: int, n_groups: int) -> None:
    from django.contrib.auth.hashers import make_password

    from apps.directory.models import Group, GroupType, Membership, User

    hashed = make_password(PASSWORD)  # one Argon2id hash shared by all: 10k hashes take minutes
    User.objects.bulk_create(
        [
            User(username=f"user{i}", name=f"User {i}", email=f"user{i}@example.org", password=hashed)
            for i in range(n_users)
        ],
        batch_size=2000,
    )
    root = GroupType.objects.get(key="department").root
    groups = Group.objects.bulk_create(
        [Group(uid=f"g{i}", name=f"Group {i}", type=root.type, parent=root, path="", depth=1) for i in range(n_groups)]
    )
    for group in groups:
        group.path = f"{root.path}{group.pk}/"
    Group.objects.bulk_update(groups, ["path"], batch_size=1000)
    user_ids = list(User.objects.order_by("id").values_list("id", flat=True))
    Membership.objects.bulk_create(
        [
            Membership(group=g, user_id=user_ids[(i * 20 + k) % n_users])
            for i, g in enumerate(groups)
            for k in range(20)
        ],
        batch_size=2000,
    )


# slapd ---------------------------------------------------------------------------------------


def ssha(password: str) -> str:
    salt = os.urandom(8)
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324 - slapd's default scheme
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def write_ldif(path: Path, n_users: int, n_groups: int) -> None:
    hashed = ssha(PASSWORD)
    lines = [
        f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: example\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: ou=dept,{BASE}\nobjectClass: organizationalUnit\nou: dept\n",
    ]
    for i in range(n_users):
        lines.append(
            f"dn: uid=user{i},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: user{i}\ncn: User {i}\nsn: User {i}\n"
            f"displayName: User {i}\nmail: user{i}@example.org\nuserPassword: {hashed}\n"
        )
    for i in range(n_groups):
        members = "".join(f"member: uid=user{(i * 20 + k) % n_users},{PEOPLE}\n" for k in range(20))
        lines.append(f"dn: cn=g{i},ou=dept,{BASE}\nobjectClass: groupOfNames\ncn: g{i}\ncn: Group {i}\n{members}")
    path.write_text("\n".join(lines))


def start_slapd(folder: Path, n_users: int, n_groups: int) -> subprocess.Popen | None:
    slapd, slapadd = shutil.which("slapd") or "/usr/sbin/slapd", shutil.which("slapadd") or "/usr/sbin/slapadd"
    if not Path(slapd).exists():
        return None
    data = folder / "mdb"
    data.mkdir()
    conf = folder / "slapd.conf"
    schema = "/etc/ldap/schema"
    conf.write_text(
        "\n".join(
            [
                f"include {schema}/core.schema",
                f"include {schema}/cosine.schema",
                f"include {schema}/inetorgperson.schema",
                f"pidfile {folder}/slapd.pid",
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "database mdb",
                f"suffix {BASE}",
                f"rootdn cn=admin,{BASE}",
                f"rootpw {ADMIN_PASSWORD}",
                f"directory {data}",
                "maxsize 1073741824",
                "index objectClass eq",
                "index uid eq",
                "index member eq",
                "access to * by * read",
                "",
            ]
        )
    )
    ldif = folder / "data.ldif"
    write_ldif(ldif, n_users, n_groups)
    subprocess.run([slapadd, "-q", "-f", str(conf), "-l", str(ldif)], check=True)  # noqa: S603
    proc = subprocess.Popen(  # noqa: S603
        [slapd, "-d", "0", "-f", str(conf), "-h", f"ldap://127.0.0.1:{SLAPD_PORT}/"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(SLAPD_PORT)
    return proc


def start_arkid(var_dir: str) -> subprocess.Popen:
    env = {**os.environ, "ARKID_VAR_DIR": var_dir}
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, str(ROOT / "manage.py"), "ldap_server", "--port", str(ARKID_PORT), "--ldaps-port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(ARKID_PORT, timeout=120)
    return proc


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


# The client ----------------------------------------------------------------------------------


class Client:
    """One connection, one request at a time, encoded and decoded with our codec."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.mid = 0

    def _read(self) -> bytes:
        from apps.ldap_server import ber

        while True:
            length = ber.message_length(self.buffer, 1 << 24)
            if length is not None and len(self.buffer) >= length:
                message, self.buffer = self.buffer[:length], self.buffer[length:]
                return message
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk

    def bind(self, dn: str, password: str) -> int:
        from apps.ldap_server import ber, protocol

        self.mid += 1
        op = ber.enc_seq(ber.enc_int(3), ber.enc_str(dn), ber.enc_str(password, tag=0x80), tag=0x60)
        self.sock.sendall(protocol.envelope(self.mid, op))
        return protocol.decode_message(self._read()).op.items()[0].as_int()

    def search(self, base: str, filt: bytes, attrs: list[str]) -> int:
        from apps.ldap_server import ber, protocol

        self.mid += 1
        op = ber.enc_seq(
            ber.enc_str(base),
            ber.enc_enum(2),
            ber.enc_enum(0),
            ber.enc_int(0),
            ber.enc_int(0),
            ber.enc_bool(False),
            filt,
            ber.enc_seq(*(ber.enc_str(a) for a in attrs)),
            tag=0x63,
        )
        self.sock.sendall(protocol.envelope(self.mid, op))
        entries = 0
        while True:
            message = protocol.decode_message(self._read())
            if message.op.tag == protocol.SEARCH_DONE:
                assert message.op.items()[0].as_int() == 0
                return entries
            entries += 1


def eq(attr: str, value: str) -> bytes:
    from apps.ldap_server import ber

    return ber.enc_seq(ber.enc_str(attr), ber.enc_str(value), tag=0xA3)


def rate(fn, seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        done += 1
    return done / (time.perf_counter() - start)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=10000)
    parser.add_argument("--groups", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    var_dir = tempfile.mkdtemp(prefix="arkid-bench-ldap-")
    procs = []
    try:
        setup_django(var_dir)
        start = time.perf_counter()
        load_directory(args.users, args.groups)
        print(f"  loaded {args.users} users, {args.groups} groups: {time.perf_counter() - start:.1f} s", flush=True)
        procs.append(start_arkid(var_dir))
        slapd = start_slapd(Path(var_dir), args.users, args.groups)
        if slapd is not None:
            procs.append(slapd)
        servers = {"arkid": ARKID_PORT, **({"slapd": SLAPD_PORT} if slapd else {})}
        clients = {}
        for name, port in servers.items():
            clients[name] = Client(port)
            assert clients[name].bind(f"cn=admin,{BASE}", ADMIN_PASSWORD) == 0, name
        compare_codecs(args.seconds)
        ok = compare_searches(clients, args.users, args.seconds)
        ok &= compare_binds(servers, args.users, args.seconds)
        return 0 if ok else GOAL_MISSED
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(var_dir, ignore_errors=True)


def alternate(make, clients: dict, seconds: float) -> dict[str, float]:
    """Requests per second per server, in five alternating rounds so machine noise hits both."""
    for client in clients.values():
        make(client)()  # warm up
    totals = {name: [0.0, 0] for name in clients}
    for _ in range(5):
        for name, client in clients.items():
            fn = make(client)
            begin, count = time.perf_counter(), 0
            while time.perf_counter() - begin < seconds / 5:
                fn()
                count += 1
            totals[name][0] += time.perf_counter() - begin
            totals[name][1] += count
    return {name: count / spent for name, (spent, count) in totals.items()}


def compare_searches(clients: dict, n: int, seconds: float) -> bool:
    rng = random.Random(7)

    def uid_search(client):
        return lambda: client.search(PEOPLE, eq("uid", f"user{rng.randrange(n)}"), ["uid", "cn", "mail"])

    def member_search(client):
        def run():
            member = eq("member", f"uid=user{rng.randrange(n)},{PEOPLE}")
            return client.search(BASE, _and(eq("objectClass", "groupOfNames"), member), ["cn"])

        return run

    ok = True
    for label, make in (("uid_search", uid_search), ("member_search", member_search)):
        result = alternate(make, clients, seconds)
        ours = result["arkid"]
        line = f"ldap.{label}_per_s {ours:.0f}"
        print(f"RESULT ldap.{label}_per_s {ours:.2f} 1/s", flush=True)
        if "slapd" in result:
            ratio = ours / result["slapd"]
            met = ratio >= 0.5
            ok &= met
            line += f"  slapd {result['slapd']:.0f}/s  ratio {ratio:.2f} (goal >= 0.5: {'met' if met else 'MISSED'})"
            print(f"RESULT ldap.{label}_slapd_per_s {result['slapd']:.2f} 1/s", flush=True)
        print(f"  {line}", flush=True)
    return ok


def compare_binds(servers: dict, n: int, seconds: float) -> bool:
    """Our binds against the bare Argon2id verify of the same hash; slapd for information."""
    from django.contrib.auth.hashers import check_password, make_password

    rng = random.Random(11)
    hashed = make_password(PASSWORD)
    bare = rate(lambda: check_password(PASSWORD, hashed), seconds)
    binds = {}
    for name, port in servers.items():
        client = Client(port)

        def one(c=client):
            if c.bind(f"uid=user{rng.randrange(n)},{PEOPLE}", PASSWORD) != 0:
                raise RuntimeError("bind failed")

        binds[name] = rate(one, seconds)
    ratio = binds["arkid"] / bare
    met = ratio >= 0.5
    slapd = f"  slapd ({{SSHA}}) {binds['slapd']:.0f}/s" if "slapd" in binds else ""
    print(
        f"  ldap.bind_per_s {binds['arkid']:.0f}  bare_argon2_verify_per_s {bare:.0f}  ratio {ratio:.2f} "
        f"(goal >= 0.5: {'met' if met else 'MISSED'}){slapd}",
        flush=True,
    )
    print(f"RESULT ldap.bind_per_s {binds['arkid']:.2f} 1/s", flush=True)
    print(f"RESULT ldap.bare_argon2_verify_per_s {bare:.2f} 1/s", flush=True)
    return met


def compare_codecs(seconds: float) -> None:
    """Decoding one search request: our codec against pyasn1's (what ldap3 uses), same bytes."""
    import ldap3
    from ldap3.operation.search import search_operation
    from ldap3.protocol.rfc4511 import LDAPMessage, MessageID, ProtocolOp
    from ldap3.utils.asn1 import encode
    from pyasn1.codec.ber import decoder

    from apps.ldap_server import protocol

    # The bytes come from ldap3's own encoder, so both decoders read what a real client sends.
    request = search_operation(
        PEOPLE, "(uid=user42)", ldap3.SUBTREE, ldap3.DEREF_NEVER,
        ["uid", "cn"], 0, 0, False, True, True,
    )  # fmt: skip
    message = LDAPMessage()
    message["messageID"] = MessageID(7)
    message["protocolOp"] = ProtocolOp().setComponentByName("searchRequest", request)
    data = encode(message)
    ours = rate(lambda: protocol.parse_search(protocol.decode_message(data).op), seconds / 2)
    theirs = rate(lambda: decoder.decode(data, asn1Spec=LDAPMessage()), seconds / 2)
    print(
        f"  ldap.codec_decode_us {1e6 / ours:.1f}  pyasn1 {1e6 / theirs:.1f} us  x{ours / theirs:.0f} faster",
        flush=True,
    )
    print(f"RESULT ldap.codec_decode_us {1e6 / ours:.2f} us", flush=True)
    print(f"RESULT ldap.pyasn1_decode_us {1e6 / theirs:.2f} us", flush=True)


def _and(*parts: bytes) -> bytes:
    from apps.ldap_server import ber

    return ber.tlv(0xA0, b"".join(parts))


if __name__ == "__main__":
    sys.exit(main())
