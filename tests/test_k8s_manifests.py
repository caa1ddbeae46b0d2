"""docker/k8s: every manifest is valid against Kubernetes' own OpenAPI schemas (kubernetes-validate
ships them: offline), strict (an unknown or misspelt field is an error), and the deployment keeps
the invariants the service relies on: probes on the real health routes, a grace period longer
than the drain, the models read-only, files and suggestions shared by every replica, only
settings that exist."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]
import pytest
import yaml

from serving.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "docker" / "k8s"
# The oldest release the manifests target (the preStop `sleep` action is on by default from
# 1.30) and the newest whose schemas kubernetes-validate ships: nothing used is gone there.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
EXAMPLE = ".example.yaml"


def _load(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _objects() -> dict[str, list[dict[str, Any]]]:
    """Every Kubernetes object under docker/k8s by file name (kustomization.yaml aside)."""
    return {
        path.name: _load(path)
        for path in sorted(K8S.glob("*.yaml"))
        if path.name != "kustomization.yaml"
    }


def _one(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        obj
        for docs in _objects().values()
        for obj in docs
        if obj["kind"] == kind and (name is None or obj["metadata"]["name"] == name)
    ]
    assert len(found) == 1, f"{len(found)} {kind} objects named {name}"
    return found[0]


def _applied(kind: str) -> list[dict[str, Any]]:
    """The objects of `kind` that `kubectl apply -k` creates (examples left out)."""
    files = _kustomization()["resources"]
    return [obj for name in files for obj in _load(K8S / name) if obj["kind"] == kind]


def _kustomization() -> dict[str, Any]:
    return _load(K8S / "kustomization.yaml")[0]


def _deployment() -> dict[str, Any]:
    (deployment,) = _applied("Deployment")
    return deployment


def _pod(deployment: dict[str, Any]) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]  # type: ignore[no-any-return]


def _container(deployment: dict[str, Any]) -> dict[str, Any]:
    (container,) = _pod(deployment)["containers"]
    return container  # type: ignore[no-any-return]


def _env(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in container["env"]}


def _value(container: dict[str, Any], name: str) -> str:
    return str(_env(container)[name]["value"])


def _mount(container: dict[str, Any], path: str) -> dict[str, Any]:
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == path]
    return mount  # type: ignore[no-any-return]


def _volume(deployment: dict[str, Any], name: str) -> dict[str, Any]:
    (volume,) = [v for v in _pod(deployment)["volumes"] if v["name"] == name]
    return volume  # type: ignore[no-any-return]


def _pods() -> list[tuple[str, dict[str, Any]]]:
    """(file, pod spec) of every object with a pod template, examples included."""
    return [
        (name, obj["spec"]["template"]["spec"])
        for name, docs in _objects().items()
        for obj in docs
        if "template" in obj.get("spec", {})
    ]


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_kubernetes(version: str) -> None:
    objects = _objects()
    assert len(objects) >= 6
    for name, docs in objects.items():
        assert docs, f"{name} is empty"
        for obj in docs:
            try:  # strict: additionalProperties false everywhere; a schema must exist
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as err:
                where = ".".join(str(p) for p in err.path)
                pytest.fail(
                    f"{name}: {obj['kind']} invalid for {version} at {where}: {err.message}"
                )


def test_strict_validation_refuses_an_unknown_field() -> None:
    deployment = _deployment()
    typo = {**_container(deployment), "readinesProbe": {"httpGet": {"path": "/readyz"}}}
    spec = {**_pod(deployment), "containers": [typo]}
    template = {**deployment["spec"]["template"], "spec": spec}
    broken = {**deployment, "spec": {**deployment["spec"], "template": template}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSIONS[0], strict=True)


def test_kustomization_lists_every_manifest() -> None:
    kustomization = _kustomization()
    assert kustomization["apiVersion"] == "kustomize.config.k8s.io/v1beta1"
    assert kustomization["kind"] == "Kustomization"
    listed = kustomization["resources"]
    assert len(listed) == len(set(listed))
    manifests = {name for name in _objects() if not name.endswith(EXAMPLE)}
    assert set(listed) == manifests
    # the Secret is never applied from the repository: its example only shows the keys
    assert not _applied("Secret")
    # the image the manifests name is the one kustomize rewrites
    images = {entry["name"] for entry in kustomization["images"]}
    assert _container(_deployment())["image"] in images


def test_probes_use_the_health_routes_on_the_served_port() -> None:
    container = _container(_deployment())
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    (port,) = container["ports"]
    assert port["containerPort"] == int(_value(container, "NMT_PORT"))
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in (port["name"], port["containerPort"])
    assert _value(container, "NMT_HOST") == "0.0.0.0"
    # the serving image: same port, same user
    dockerfile = (ROOT / "docker" / "Dockerfile.serve").read_text(encoding="utf-8")
    assert f"EXPOSE {port['containerPort']}" in dockerfile
    uid = re.search(r"useradd .*--uid (\d+)", dockerfile)
    assert uid is not None
    assert _pod(_deployment())["securityContext"]["runAsUser"] == int(uid.group(1))


def test_grace_period_outlasts_the_drain() -> None:
    deployment = _deployment()
    container = _container(deployment)
    shutdown_s = float(_value(container, "NMT_SHUTDOWN_TIMEOUT_S"))
    pre_stop_s = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace_s = _pod(deployment)["terminationGracePeriodSeconds"]
    assert grace_s > shutdown_s
    # the preStop sleep counts against the grace period too; then a margin for the last
    # decoder step and the process exit
    assert grace_s >= pre_stop_s + shutdown_s + 5
    assert float(_value(container, "NMT_REQUEST_TIMEOUT_S")) <= shutdown_s


def test_models_are_mounted_read_only_where_the_service_looks() -> None:
    deployment = _deployment()
    container = _container(deployment)
    models_dir = _value(container, "NMT_MODELS_DIR")
    mount = _mount(container, models_dir)
    assert mount["readOnly"] is True
    claim = _volume(deployment, mount["name"])["persistentVolumeClaim"]
    assert claim["readOnly"] is True
    (pvc,) = [
        p for p in _applied("PersistentVolumeClaim") if p["metadata"]["name"] == claim["claimName"]
    ]
    assert (
        "ReadWriteMany" in pvc["spec"]["accessModes"]
        or "ReadOnlyMany" in pvc["spec"]["accessModes"]
    )


def test_replicas_share_files_and_the_suggestions_database() -> None:
    deployment = _deployment()
    container = _container(deployment)
    env = _env(container)
    # translated files: on one ReadWriteMany volume, where NMT_FILES_DIR points
    mount = _mount(container, _value(container, "NMT_FILES_DIR"))
    assert not mount.get("readOnly", False)
    claim = _volume(deployment, mount["name"])["persistentVolumeClaim"]["claimName"]
    (pvc,) = [p for p in _applied("PersistentVolumeClaim") if p["metadata"]["name"] == claim]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    # suggestions on, in the database of a Secret: no URL (no password) in the manifests
    assert _value(container, "NMT_SUGGESTIONS") == "true"
    database = env["NMT_DATABASE_URL"]
    assert "value" not in database
    ref = database["valueFrom"]["secretKeyRef"]
    assert not ref.get("optional", False)
    # the example Secret names the keys the deployment reads, with a placeholder password
    example = _one("Secret", ref["name"])
    refs = [e["valueFrom"]["secretKeyRef"] for e in env.values() if "valueFrom" in e]
    assert {r["name"] for r in refs} == {ref["name"]}
    assert ref["key"] in example["stringData"]
    assert "CHANGE-ME" in example["stringData"][ref["key"]]
    for item in env.values():
        assert "://" not in str(item.get("value", "")), item["name"]


def test_every_variable_is_a_serving_setting() -> None:
    prefix = Settings.model_config.get("env_prefix", "")
    assert prefix == "NMT_"
    settings = {f"{prefix}{field}".upper() for field in Settings.model_fields}
    pods = _pods()
    assert len(pods) >= 2
    for name, pod in pods:
        for container in pod["containers"] + pod.get("initContainers", []):
            for item in container.get("env", []):
                assert item["name"] in settings, f"{name}: {item['name']} is not a setting"
    # and the ones the deployment relies on exist under these names
    used = set(_env(_container(_deployment())))
    assert {"NMT_SHUTDOWN_TIMEOUT_S", "NMT_FILES_DIR", "NMT_DATABASE_URL", "NMT_THREADS"} <= used


def test_threads_match_the_cpu_limit() -> None:
    container = _container(_deployment())
    resources = container["resources"]
    assert str(resources["limits"]["cpu"]) == _value(container, "NMT_THREADS")
    assert resources["requests"] == resources["limits"]  # Guaranteed QoS
    assert _value(container, "NMT_WORKERS") == "1"


def test_selectors_autoscaler_and_budget_reach_the_pods() -> None:
    deployment = _deployment()
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert _matches(deployment["spec"]["selector"]["matchLabels"], labels)
    (service,) = _applied("Service")
    assert _matches(service["spec"]["selector"], labels)
    ports = {p["name"] for p in _container(deployment)["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports
    (pdb,) = _applied("PodDisruptionBudget")
    assert _matches(pdb["spec"]["selector"]["matchLabels"], labels)
    (hpa,) = _applied("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    target = hpa["spec"]["scaleTargetRef"]
    assert (target["apiVersion"], target["kind"], target["name"]) == (
        "apps/v1",
        "Deployment",
        deployment["metadata"]["name"],
    )
    (metric,) = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    assert hpa["spec"]["minReplicas"] >= 2  # the budget can let one go
    assert "replicas" not in deployment["spec"]  # the HPA owns the count


def test_security_context() -> None:
    for name, pod in _pods():
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["automountServiceAccountToken"] is False, name
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
    # the one place the service writes outside its volumes (uploads, serving/documents.py)
    deployment = _deployment()
    tmp = _mount(_container(deployment), "/tmp")
    assert "emptyDir" in _volume(deployment, tmp["name"])
