"""The Helm chart, checked with the real Helm SDK (helm-python-sdk bundles Helm's Go library):
`helm lint --strict`, then `helm template` with several value sets, validated object by object."""

from __future__ import annotations

from pathlib import Path

import helm_python as helm
import pytest
import yaml

CHART = Path(__file__).resolve().parents[3] / "charts" / "arkid"
TEST_VALUES = yaml.safe_load((CHART / "ci" / "test-values.yaml").read_text())
ROLES = ("web", "worker", "beat", "ldap")


def render(values: dict | None = None) -> dict[tuple[str, str], dict]:
    """{(kind, name): object} of everything the chart renders for release "demo"."""
    with helm.Chart.load(str(CHART)) as chart:
        manifests = chart.render(values if values is not None else TEST_VALUES, name="demo", namespace="idp")
    objects = {}
    for path, text in manifests.items():
        if not path.endswith(".yaml"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                assert doc["apiVersion"] and doc["metadata"]["name"], path
                objects[(doc["kind"], doc["metadata"]["name"])] = doc
    return objects


def merged(**overrides) -> dict:
    values = yaml.safe_load(yaml.safe_dump(TEST_VALUES))
    for dotted, value in overrides.items():
        node = values
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return values


def container(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]["containers"][0]


def test_lint_is_clean_in_strict_mode():
    report = helm.lint(str(CHART), TEST_VALUES, strict=True)
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_every_role_is_its_own_deployment_of_the_one_image():
    objects = render()
    for role in ROLES:
        deployment = objects[("Deployment", f"demo-arkid-{role}")]
        assert container(deployment)["args"] == [role]
        assert container(deployment)["image"] == "arkid:2.0.0"
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] == 10001
        assert container(deployment)["securityContext"]["readOnlyRootFilesystem"] is True


def test_beat_is_a_singleton_replaced_with_recreate():
    beat = render()[("Deployment", "demo-arkid-beat")]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"] == {"type": "Recreate"}


def test_web_probes_hpa_and_pdb():
    objects = render()
    web = container(objects[("Deployment", "demo-arkid-web")])
    assert web["livenessProbe"]["httpGet"]["path"] == "/ping/"
    assert web["readinessProbe"]["httpGet"]["path"] == "/ready/"
    assert web["readinessProbe"]["httpGet"]["httpHeaders"] == [{"name": "Host", "value": "arkid.example.org"}]
    assert "replicas" not in objects[("Deployment", "demo-arkid-web")]["spec"]  # the HPA owns it
    hpa = objects[("HorizontalPodAutoscaler", "demo-arkid-web")]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "demo-arkid-web"
    pdb = objects[("PodDisruptionBudget", "demo-arkid-web")]
    assert pdb["spec"]["selector"]["matchLabels"]["app.kubernetes.io/component"] == "web"
    worker = container(objects[("Deployment", "demo-arkid-worker")])
    assert worker["livenessProbe"]["exec"]["command"] == ["/app/docker/entrypoint.sh", "probe", "worker"]


def test_fixed_replicas_without_autoscaling():
    objects = render(merged(web__autoscaling={"enabled": False}, web__replicas=3))
    assert objects[("Deployment", "demo-arkid-web")]["spec"]["replicas"] == 3
    assert not any(kind == "HorizontalPodAutoscaler" for kind, _ in objects)


def test_ldap_service_with_ldaps():
    objects = render()
    service = objects[("Service", "demo-arkid-ldap")]
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {"ldap": 389, "ldaps": 636}
    ldap = objects[("Deployment", "demo-arkid-ldap")]
    env = {e["name"]: e.get("value") for e in container(ldap)["env"]}
    assert env["ARKID_LDAPS_PORT"] == "10636"
    assert {"name": "ldap-tls", "secret": {"secretName": "arkid-ldap-tls"}} in ldap["spec"]["template"]["spec"][
        "volumes"
    ]


def test_ingress_has_tls_and_points_at_web():
    ingress = render()[("Ingress", "demo-arkid")]
    assert ingress["spec"]["tls"] == [{"hosts": ["arkid.example.org"], "secretName": "arkid-tls"}]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    assert backend["service"]["name"] == "demo-arkid-web"


def test_migration_job_is_a_helm_hook():
    job = render()[("Job", "demo-arkid-migrate")]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "post-install,pre-upgrade"
    assert container(job)["args"] == ["migrate"]


def test_secrets_live_only_in_the_secret():
    objects = render()
    secret = objects[("Secret", "demo-arkid")]["stringData"]
    assert secret["secret-key"] == TEST_VALUES["secrets"]["secretKey"]
    assert secret["database-url"] == "postgres://arkid:test-only-db-password@demo-arkid-postgresql:5432/arkid"
    assert secret["redis-url"] == "redis://demo-arkid-redis:6379/0"
    for (kind, name), obj in objects.items():
        if kind != "Secret":
            text = yaml.safe_dump(obj)
            assert "test-only" not in text and "An-admin-passw0rd" not in text, (kind, name)
    web_env = {e["name"]: e for e in container(objects[("Deployment", "demo-arkid-web")])["env"]}
    assert web_env["ARKID_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "demo-arkid", "key": "secret-key"}


def test_settings_local_from_a_configmap():
    objects = render()
    assert (
        objects[("ConfigMap", "demo-arkid-settings")]["data"]["settings_local.py"].strip() == 'COMPANY_NAME = "Example"'
    )
    mounts = container(objects[("Deployment", "demo-arkid-web")])["volumeMounts"]
    assert {"name": "settings-local", "mountPath": "/app/settings_local.py", "subPath": "settings_local.py",
            "readOnly": True} in mounts  # fmt: skip


def test_external_database_and_redis():
    values = merged(
        postgresql__bundled=False,
        redis__bundled=False,
        externalDatabase__url="postgres://arkid:pw@db.internal:5432/arkid",
        externalRedis__url="redis://cache.internal:6379/2",
    )
    objects = render(values)
    assert not any(kind == "StatefulSet" for kind, _ in objects)
    secret = objects[("Secret", "demo-arkid")]["stringData"]
    assert secret["database-url"] == "postgres://arkid:pw@db.internal:5432/arkid"
    assert secret["redis-url"] == "redis://cache.internal:6379/2"


def test_existing_secret_replaces_the_generated_one():
    values = merged(secrets={"existingSecret": "arkid-prod"}, postgresql__bundled=False, redis__bundled=False)
    objects = render(values)
    assert not any(kind == "Secret" for kind, _ in objects)
    env = {e["name"]: e for e in container(objects[("Deployment", "demo-arkid-worker")])["env"]}
    assert env["ARKID_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == "arkid-prod"


def test_missing_secret_key_fails_the_render_with_its_name():
    values = merged(secrets={"secretKey": ""})
    with pytest.raises(helm.HelmError, match="secrets.secretKey is required"):
        render(values)


@pytest.mark.parametrize(
    "values",
    [
        TEST_VALUES,
        merged(web__autoscaling={"enabled": False}, ldap__tls={"secretName": ""}, settingsLocal=""),
        merged(
            postgresql__bundled=False,
            redis__bundled=False,
            externalDatabase__url="postgres://a:b@db/arkid",
            externalRedis__url="redis://cache:6379/0",
        ),
    ],  # fmt: skip
    ids=["test-values", "minimal", "external-services"],
)
def test_every_rendered_object_matches_the_kubernetes_schema(values):
    """kubernetes-validate: the official OpenAPI schemas of Kubernetes 1.30, strict (no
    unknown fields), so a misspelt key fails here instead of at `kubectl apply`."""
    import kubernetes_validate

    objects = render(values)
    for obj in objects.values():
        kubernetes_validate.validate(obj, "1.30.0", strict=True)
    web = objects[("Deployment", "demo-arkid-web")]
    web["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGett"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):  # the validation is real
        kubernetes_validate.validate(web, "1.30.0", strict=True)


def test_pods_roll_when_secrets_or_settings_change_and_mount_no_api_token():
    def annotations(values) -> dict:
        pod = render(values)[("Deployment", "demo-arkid-worker")]["spec"]["template"]
        assert pod["spec"]["automountServiceAccountToken"] is False
        return pod["metadata"]["annotations"]

    base = annotations(TEST_VALUES)
    assert annotations(merged(secrets__secretKey="another-secret-key-0123456789abcdefghijkl")) != base
    assert annotations(merged(settingsLocal="COMPANY_NAME = 'Other'\n")) != base
    assert annotations(merged(env={"ARKID_LOG_LEVEL": "DEBUG"})) != base
    assert annotations(merged(web__replicas=5)) == base
