"""The container pieces: compose file structure, Dockerfile rules, and the entrypoint's roles
run for real (manage, migrate, probes, a live web server) from this checkout."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "docker-compose" / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "docker-compose" / ".env.example"
ENTRYPOINT = ROOT / "docker" / "entrypoint.sh"
ARKID_ROLES = {"migrate", "web", "worker", "beat", "ldap"}
WEB_PORT = 18501


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def _env_example() -> dict[str, str]:
    return dict(
        line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines() if line and not line.startswith("#")
    )


def _interpolated(env: dict[str, str]) -> str:
    """The compose file as `docker compose` sees it with ``env``: ${VAR}, ${VAR:-default}, ${VAR:?error}."""

    def value(match: re.Match) -> str:
        name, operator, fallback = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise AssertionError(f"{name} is required: {fallback}")
        return fallback or ""

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", value, COMPOSE.read_text())


def test_compose_file_is_valid_against_the_compose_specification():
    """compose-spec (Rust compose_spec bindings) validates every key, type and enum, once the
    variables from .env.example are substituted and the YAML anchors merged, as Compose does."""
    from compose_spec import PyCompose

    document = yaml.safe_load(_interpolated(_env_example()))
    document = {key: value for key, value in document.items() if not key.startswith("x-")}
    parsed = PyCompose.from_yaml(yaml.safe_dump(document))
    assert sorted(parsed.service_names()) == sorted({"postgres", "redis", "nginx", *ARKID_ROLES})
    document["services"]["web"]["depends_on"]["migrate"]["condition"] = "service_done"
    with pytest.raises(ValueError, match="service_done"):  # the validation is real
        PyCompose.from_yaml(yaml.safe_dump(document))


def test_compose_refuses_to_start_without_its_secrets():
    env = _env_example() | {"ARKID_SECRET_KEY": ""}
    with pytest.raises(AssertionError, match="ARKID_SECRET_KEY is required"):
        _interpolated(env)


def test_compose_has_every_service_with_health_checks(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "nginx", *ARKID_ROLES}
    for name, service in services.items():
        if name != "migrate":
            assert "healthcheck" in service, name
            assert service["restart"] == "unless-stopped", name
    assert services["migrate"]["restart"] == "no"
    assert {s: services[s]["command"] for s in ARKID_ROLES} == {s: [s] for s in ARKID_ROLES}


def test_compose_runs_migrations_once_before_anything_else(compose):
    services = compose["services"]
    assert services["migrate"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    for name in ARKID_ROLES - {"migrate"}:
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}
    assert services["nginx"]["depends_on"] == {"web": {"condition": "service_healthy"}}


def test_compose_has_exactly_one_beat_and_persistent_volumes(compose):
    services = compose["services"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert "-B" not in services["worker"]["command"] and "--beat" not in services["worker"]["command"]
    assert set(compose["volumes"]) == {"postgres-data", "redis-data", "arkid-var"}
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert "redis-data:/data" in services["redis"]["volumes"]
    for name in ARKID_ROLES:
        assert "arkid-var:/var/lib/arkid" in services[name]["volumes"]


def test_compose_trusts_only_the_proxy_and_requires_its_secrets(compose):
    env = compose["services"]["web"]["environment"]
    proxy_address = compose["services"]["nginx"]["networks"]["arkid"]["ipv4_address"]
    assert env["ARKID_TRUSTED_PROXIES"] == proxy_address
    text = COMPOSE.read_text()
    for secret in ("ARKID_SECRET_KEY", "POSTGRES_PASSWORD"):
        assert re.search(r"\$\{" + secret + r":\?", text), f"{secret} must be required, never defaulted"
    assert "ports" not in compose["services"]["web"]  # reachable only through nginx
    nginx = (ROOT / "docker-compose" / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in nginx  # replaced, not appended


def test_env_example_documents_every_variable_the_compose_file_uses():
    documented = _env_example()
    used = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    assert used - set(documented) == set()
    # Every assignment belongs to a paragraph that starts with an explanatory comment.
    for paragraph in ENV_EXAMPLE.read_text().split("\n\n"):
        lines = [line for line in paragraph.splitlines() if line]
        assert not lines or lines[0].startswith("#"), lines
        if any(not line.startswith("#") for line in lines):
            assert sum(line.startswith("#") and "---" not in line for line in lines) >= 1, lines
    assert documented["ARKID_SECRET_KEY"] == "change-me"  # no usable default secret anywhere


def test_dockerfile_is_multi_stage_and_runs_unprivileged():
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert re.search(r"^COPY --from=build ", text, re.M)
    instructions = [line.split()[0] for line in text.splitlines() if line and not line[0].isspace()]
    assert [line for line in text.splitlines() if line.startswith("USER")][-1] == "USER 10001:10001"
    assert "USER" in instructions[instructions.index("ENTRYPOINT") - 5 :]
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in text
    assert "ARKID_WORKER_HEARTBEAT_FILE=/tmp/" in text  # per container, not on the shared volume
    env_block = text[text.index("ENV PATH") :]
    assert "SECRET" not in env_block.split("WORKDIR")[0]
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert {".git", ".venv", "var", "settings_local.py", "docker-compose/.env"} <= set(ignore)


def _role_env(tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARKID_", "PROMETHEUS_", "DJANGO_"))}
    env.update(ARKID_PYTHON=sys.executable, ARKID_VAR_DIR=str(tmp_path / "var"), **extra)
    return env


def _entrypoint(tmp_path, *args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own script
        ["sh", str(ENTRYPOINT), *args],  # noqa: S607
        env=_role_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("web", "gunicorn -c arkid/gunicorn_conf.py arkid.wsgi:application"),
        ("worker", "celery -A arkid worker --loglevel INFO --concurrency 2"),
        ("beat", "celery -A arkid beat --loglevel INFO --schedule"),
        ("ldap", "manage.py ldap_server --host 0.0.0.0 --port 10389"),
    ],
)
def test_long_running_roles_start_the_right_process(tmp_path, role, expected):
    result = _entrypoint(tmp_path, role, ARKID_ENTRYPOINT_DRY_RUN="1")
    assert result.returncode == 0, result.stderr
    assert expected in result.stdout


def test_ldaps_port_is_passed_when_set(tmp_path):
    result = _entrypoint(tmp_path, "ldap", ARKID_ENTRYPOINT_DRY_RUN="1", ARKID_LDAPS_PORT="10636")
    assert "--port 10389 --ldaps-port 10636" in result.stdout


def test_unknown_role_is_refused(tmp_path):
    result = _entrypoint(tmp_path, "bogus")
    assert result.returncode == 2 and "unknown role" in result.stderr


def test_migrate_then_manage_commands_run_for_real(tmp_path):
    migrated = _entrypoint(tmp_path, "migrate", ARKID_ADMIN_PASSWORD="An-admin-passw0rd")
    assert migrated.returncode == 0, migrated.stderr
    check = _entrypoint(tmp_path, "manage", "check")
    assert check.returncode == 0 and "no issues" in check.stdout
    # The image sets PROMETHEUS_MULTIPROC_DIR; a command that audits must work even where
    # that directory does not exist (a Kubernetes emptyDir over /tmp).
    missing = tmp_path / "no" / "metrics"
    exported = _entrypoint(tmp_path, "manage", "arkid_export", PROMETHEUS_MULTIPROC_DIR=str(missing))
    assert exported.returncode == 0, exported.stderr
    assert '"username": "admin"' in exported.stdout


def test_worker_and_beat_probes(tmp_path):
    assert _entrypoint(tmp_path, "probe", "worker").returncode == 1
    (tmp_path / "var").mkdir(exist_ok=True)
    (tmp_path / "var" / "worker-heartbeat").write_text(f"{time.time()}\n")
    assert _entrypoint(tmp_path, "probe", "worker").returncode == 0
    assert _entrypoint(tmp_path, "probe", "beat").returncode == 1
    (tmp_path / "var" / "celerybeat-schedule").write_text("")
    assert _entrypoint(tmp_path, "probe", "beat").returncode == 0
    assert _entrypoint(tmp_path, "probe", "ldap", ARKID_LDAP_PORT="18502").returncode == 1
    assert _entrypoint(tmp_path, "probe").returncode == 2


@pytest.mark.slow
def test_web_role_serves_and_its_probe_passes(tmp_path, migrated):
    env = _role_env(
        tmp_path, ARKID_BIND=f"127.0.0.1:{WEB_PORT}", ARKID_PORT=str(WEB_PORT), ARKID_WEB_WORKERS="1",
        ARKID_WEB_THREADS="2", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        ARKID_ALLOWED_HOSTS="sso.example.org,127.0.0.1",
    )  # fmt: skip
    _with_database(tmp_path, migrated)
    server = subprocess.Popen(  # noqa: S603
        ["sh", str(ENTRYPOINT), "web"],  # noqa: S607
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        probe = _wait_for_probe(tmp_path, "web", ARKID_PORT=str(WEB_PORT))
        assert probe is not None and probe.returncode == 0, probe.stderr
        # Behind a public name only: the probe asks as that name, so it still passes.
        named = _entrypoint(tmp_path, "probe", "web", ARKID_PORT=str(WEB_PORT), ARKID_ALLOWED_HOSTS="sso.example.org")
        assert named.returncode == 0, named.stderr
        assert any((tmp_path / "metrics").iterdir())  # gunicorn workers write multiprocess metrics
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)


@pytest.mark.parametrize(
    ("tool", "target"),
    [("hadolint", ROOT / "Dockerfile"), ("shellcheck", ENTRYPOINT)],
)
def test_dockerfile_and_entrypoint_pass_their_linters(tool, target):
    """hadolint (Dockerfile best practices) and shellcheck (POSIX sh), both from requirements-dev."""
    binary = Path(sys.executable).parent / tool
    result = subprocess.run([str(binary), str(target)], capture_output=True, text=True, timeout=60)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A var dir migrated once by the migrate role, copied by the tests that start servers."""
    base = tmp_path_factory.mktemp("migrated")
    result = _entrypoint(base, "migrate")
    assert result.returncode == 0, result.stderr
    return base / "var"


def _with_database(tmp_path, migrated: Path) -> None:
    shutil.copytree(migrated, tmp_path / "var", ignore=shutil.ignore_patterns("celerybeat-schedule*", "worker-*"))


def _wait_for_probe(tmp_path, role: str, **extra) -> subprocess.CompletedProcess:
    result = None
    deadline = time.monotonic() + 180  # generous: a loaded 2-core machine starts Celery slowly
    while time.monotonic() < deadline:
        result = _entrypoint(tmp_path, "probe", role, **extra)
        if result.returncode == 0:
            break
        time.sleep(0.5)
    return result


@pytest.mark.slow
@pytest.mark.parametrize("role", ["worker", "beat"])
def test_worker_and_beat_roles_run_and_pass_their_probes(tmp_path, migrated, role):
    """The real celery commands of the roles (filesystem broker, SQLite): a wrong option or a
    missing heartbeat would show here, not in production."""
    _with_database(tmp_path, migrated)
    log = tmp_path / f"{role}.log"
    process = subprocess.Popen(  # noqa: S603
        ["sh", str(ENTRYPOINT), role],  # noqa: S607
        env=_role_env(tmp_path, ARKID_WORKER_CONCURRENCY="1", ARKID_WORKER_HEARTBEAT_INTERVAL="1"),
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        start_new_session=True,
    )
    try:
        probe = _wait_for_probe(tmp_path, role)
        assert probe.returncode == 0, (probe.stderr, process.poll(), log.read_text()[-2000:])
        assert process.poll() is None  # still running
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=60)
