"""The Helm charts, rendered by Helm's own engine (helm-python-sdk wraps the Helm v4 Go SDK):
lint, every manifest valid for Kubernetes 1.30 (kubernetes-validate --strict), broken values
refused by the schema, checkov's findings fixed or explained, and the Dockerfile linted by
hadolint. Run by `.ci/run` (pytest helm/tests)."""

import json
import pathlib
import subprocess

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

HELM = pathlib.Path(__file__).resolve().parent.parent
ROOT = HELM.parent
UMBRELLA = HELM / "xinfang"
SERVICES = ["intake", "dispatch", "supervision", "evaluation", "jointmeeting", "exchange"]
# The web portal, over HTTP beside the gRPC services.
PORTAL = "portal"
KUBERNETES = "1.30.0"

helm.disable_logging()


def load(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def production():
    """The production-like values, with the demo reference data as `--set-file` adds it."""
    values = load(HELM / "tests" / "production-values.yaml")
    reference = ROOT / "config" / "reference"
    values["global"]["reference"]["files"] = {
        f.name: f.read_text(encoding="utf-8") for f in sorted(reference.glob("*.toml"))
    }
    return values


def render(values=None, name="hefei"):
    """Every manifest the umbrella renders with `values`, as parsed documents."""
    chart = helm.Chart.load(UMBRELLA)
    out = chart.render(values, name=name, namespace="xinfang", is_install=True)
    docs = []
    for text in out.values():
        docs.extend(d for d in yaml.safe_load_all(text) if d)
    return docs


def of_kind(docs, kind):
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def env(deployment):
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


VALUES = {
    "defaults": lambda: None,
    "production": production,
    "hub": lambda: load(UMBRELLA / "values-hub.yaml"),
}


def test_the_charts_lint_strictly():
    report = helm.lint(UMBRELLA, strict=True, with_subcharts=True, kube_version=f"v{KUBERNETES}")
    warnings = [m for m in report["messages"] if m["severity"] >= 2]
    assert report["errors"] == [] and warnings == [], report


@pytest.mark.parametrize("which", VALUES)
def test_every_manifest_is_valid_for_kubernetes(which):
    docs = render(VALUES[which]())
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


def test_a_node_runs_every_service_with_grpc_probes_on_its_two_health_names():
    deployments = of_kind(render(), "Deployment")
    assert sorted(deployments) == sorted(f"hefei-{s}" for s in SERVICES + [PORTAL])
    for service in SERVICES:
        d = deployments[f"hefei-{service}"]
        container = d["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["serve", service]
        assert container["livenessProbe"]["grpc"]["service"] == ""
        assert container["readinessProbe"]["grpc"]["service"].startswith(f"xinfang.{service}.v1.")
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert d["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        assert env(d)["XINFANG__TELEMETRY__LOG_FORMAT"] == "json"
        # The Secret `xinfang keys generate` writes, as it is.
        assert env(d)["XINFANG__PII__SEAL_KEYS"] == {
            "secretKeyRef": {"name": "xinfang-keys", "key": "XINFANG__PII__SEAL_KEYS"}
        }
        assert env(d)["XINFANG__AUTH__JWKS"] == "/etc/xinfang/keys/jwks.json"


def test_the_portal_serves_http_finds_the_services_by_name_and_is_reached_by_its_ingress():
    docs = render(production())
    portal = of_kind(docs, "Deployment")["hefei-portal"]
    container = portal["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["serve", "portal"]
    assert container["ports"][0]["name"] == "http"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert env(portal)["XINFANG__PORTAL__INTAKE_URL"] == "http://hefei-intake:50051"
    assert env(portal)["XINFANG__PORTAL__JOINTMEETING_URL"] == "http://hefei-jointmeeting:50055"
    assert of_kind(docs, "Service")["hefei-portal"]["spec"]["ports"][0]["name"] == "http"
    ingress = of_kind(docs, "Ingress")["hefei-portal"]["spec"]
    assert ingress["tls"] == [{"hosts": ["xinfang.hefei.gov.example"], "secretName": "hefei-portal-tls"}]
    assert ingress["rules"][0]["http"]["paths"][0]["backend"]["service"] == {
        "name": "hefei-portal", "port": {"name": "http"}}
    # Intake counts the citizen the portal names, from the pod network only.
    intake = of_kind(docs, "Deployment")["hefei-intake"]
    assert env(intake)["XINFANG__PUBLIC__TRUSTED_PROXIES"] == "10.42.0.0/16"
    assert "XINFANG__PUBLIC__TRUSTED_PROXIES" not in env(of_kind(render(), "Deployment")["hefei-intake"])
    assert "Ingress" not in {d["kind"] for d in render()}, "no ingress unless asked"


def test_migrations_run_as_a_hook_before_install_and_upgrade():
    jobs = of_kind(render(), "Job")
    job = jobs["hefei-migrate"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["migrate"]


def test_one_service_scales_alone():
    values = {"intake": {"replicas": 5}}
    deployments = of_kind(render(values), "Deployment")
    assert deployments["hefei-intake"]["spec"]["replicas"] == 5
    assert deployments["hefei-dispatch"]["spec"]["replicas"] == 2
    hpas = of_kind(render(production()), "HorizontalPodAutoscaler")
    assert sorted(hpas) == ["hefei-dispatch", "hefei-intake"]
    assert hpas["hefei-intake"]["spec"]["maxReplicas"] == 12


def test_reference_data_is_one_configmap_and_a_change_rolls_every_service():
    values = production()
    docs = render(values)
    maps = of_kind(docs, "ConfigMap")
    assert sorted(maps["hefei-reference"]["data"]) == [
        "calendar.toml", "categories.toml", "channels.toml", "org.toml"
    ]
    before = {
        n: d["spec"]["template"]["metadata"]["annotations"]["checksum/reference"]
        for n, d in of_kind(docs, "Deployment").items()
    }
    values["global"]["reference"]["files"]["calendar.toml"] += "\n# 2027 arrangement added\n"
    after = {
        n: d["spec"]["template"]["metadata"]["annotations"]["checksum/reference"]
        for n, d in of_kind(render(values), "Deployment").items()
    }
    assert all(before[n] != after[n] for n in before)
    deployment = of_kind(docs, "Deployment")["hefei-intake"]
    assert env(deployment)["XINFANG__REFERENCE__DIR"] == "/etc/xinfang/reference"
    assert env(deployment)["XINFANG__EXCHANGE__HUB_URL"].startswith("https://")


def test_the_hub_is_the_exchange_alone_in_hub_role_with_its_certificate():
    docs = render(load(UMBRELLA / "values-hub.yaml"), name="province")
    deployments = of_kind(docs, "Deployment")
    assert sorted(deployments) == ["province-exchange"]
    hub = deployments["province-exchange"]
    assert env(hub)["XINFANG__EXCHANGE__ROLE"] == "hub"
    assert env(hub)["XINFANG__EXCHANGE__TLS__CERT_FILE"] == "/etc/xinfang/tls/tls.crt"
    volumes = hub["spec"]["template"]["spec"]["volumes"]
    assert {"name": "tls", "secret": {"secretName": "xinfang-hub-tls"}} in volumes


def test_only_the_releases_pods_and_named_namespaces_reach_a_service():
    policies = of_kind(render(production()), "NetworkPolicy")
    rule = policies["hefei-intake"]["spec"]["ingress"][0]
    assert {"podSelector": {"matchLabels": {"app.kubernetes.io/instance": "hefei"}}} in rule["from"]
    names = [f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
             for f in rule["from"] if "namespaceSelector" in f]
    assert names == ["ingress-nginx", "xinfang-portal"]


@pytest.mark.parametrize(
    "values, named",
    [
        ({"global": {"node": {"region": "34010"}}}, "/global/node/region"),
        ({"global": {"image": {"pullPolicy": "Sometimes"}}}, "/global/image/pullPolicy"),
        ({"intake": {"replica": 3}}, "replica"),
        ({"exchange": {"secretFiles": [{"name": "tls", "secretName": "x"}]}}, "mountPath"),
        ({"global": {"reference": {"files": {"routes.yaml": "x"}}}}, "routes.yaml"),
        ({"global": {"auth": {"jwks": "http://idp/jwks"}}}, "/global/auth/jwks"),
        ({"dispatch": {"settings": {"LIMITS": 3}}}, "LIMITS"),
        ({"global": {"telemetry": None}}, "/global"),
        ({"portal": {"ingress": {"enabled": True, "host": "Not A Host"}}}, "/portal/ingress/host"),
        ({"global": {"portal": {"trustedProxies": ["everyone"]}}}, "/global/portal/trustedProxies"),
    ],
)
def test_broken_values_are_refused_naming_the_field(values, named):
    with pytest.raises(helm.HelmValuesError) as refused:
        render(values)
    assert named in str(refused.value), str(refused.value)


# checkov's findings on the rendered manifests that stay, each with the reason. Everything else
# it checks (probes, limits, non-root, read-only root, seccomp, capabilities, digests, ...) passes.
EXPLAINED = {
    "CKV_K8S_35": "secrets as environment variables: the services take their keys and database "
                  "URL as XINFANG__* settings; files are mounted where a setting takes a path "
                  "(the province link's token and certificate)",
    "CKV2_K8S_6": "the migration Job's pod has no NetworkPolicy: it serves nothing, and only "
                  "calls PostgreSQL",
}
# The default values name a tag (no digest exists before a registry holds the image); the
# production-like values pin a digest, and pass both checks.
EXPLAINED_FOR_DEFAULTS = {
    "CKV_K8S_43": "image by tag in the defaults; production pins a digest",
    "CKV_K8S_15": "pullPolicy IfNotPresent with a tag in the defaults; with a digest it is exact",
}


@pytest.mark.parametrize("which", ["defaults", "production"])
def test_checkov_leaves_no_unexplained_finding(which, tmp_path):
    for i, doc in enumerate(render(VALUES[which]())):
        (tmp_path / f"{i:02}-{doc['kind']}.yaml").write_text(yaml.safe_dump(doc))
    run = subprocess.run(
        ["checkov", "-d", str(tmp_path), "--framework", "kubernetes", "-o", "json", "--quiet",
         "--compact"],
        capture_output=True, text=True, check=False,
    )
    report = json.loads(run.stdout)
    assert report["summary"]["passed"] > 100, report["summary"]
    failed = report["results"]["failed_checks"]
    explained = EXPLAINED | (EXPLAINED_FOR_DEFAULTS if which == "defaults" else {})
    unexplained = sorted({(f["check_id"], f["check_name"]) for f in failed
                          if f["check_id"] not in explained})
    assert unexplained == []


def test_the_dockerfile_lints_clean():
    run = subprocess.run(["hadolint", str(ROOT / "docker" / "Dockerfile")],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_compose_runs_every_service_of_the_chart_after_the_migration():
    compose = load(ROOT / "docker" / "compose.yaml")
    services = compose["services"]
    assert services["migrate"]["command"] == ["migrate"]
    for service in SERVICES + [PORTAL]:
        s = services[service]
        assert s["command"] == ["serve", service]
        assert s["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        port = of_kind(render(), "Service")[f"hefei-{service}"]["spec"]["ports"][0]["port"]
        assert s["environment"][f"XINFANG__LISTEN__{service.upper()}"] == f"0.0.0.0:{port}"
        assert s["environment"]["XINFANG__EVENTS__BACKEND"] == "kafka"
