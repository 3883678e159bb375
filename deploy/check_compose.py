#!/usr/bin/env python3
"""Checks deploy/compose.yaml with a real YAML parser (PyYAML), without a container engine.

    python3 deploy/check_compose.py [--caddy-json ADAPTED.json]

What it asserts (each failure is printed; exit 1 if any):
  - the services: postgres (postgres:16, a named volume, a pg_isready healthcheck), exactly
    three replicas omics-1..3 built from the repository's Dockerfile, and caddy (caddy:2,
    ports 80 and 443, the Caddyfile mounted);
  - the replicas: one and the same environment (so the settings that must agree do), the JWT
    secret a required variable (`${OMICS_JWT_SECRET:?...}`), DATABASE_URL on postgres:5432/omics,
    OMICS_HOST=0.0.0.0, JSON logs, trusted_proxies equal to the network's fixed subnet, each
    its own named data volume on OMICS_DATA_DIR, a healthcheck on /api/v1/health/ready at
    OMICS_PORT, depends_on postgres healthy;
  - every OMICS_<NAME> is a field of `Settings` in crates/api/src/settings.rs (nested names by
    their first part), or one of PENDING (announced, not written yet: a warning);
  - interpolated as compose would with deploy/.env.example and the secrets filled in, the
    values are usable; without OMICS_JWT_SECRET (or POSTGRES_PASSWORD) interpolation fails,
    so compose refuses to start;
  - with --caddy-json (the output of `caddy adapt` on deploy/Caddyfile): Caddy proxies to
    exactly the three replicas at OMICS_PORT, health-checks them actively on the path of
    their healthcheck and passively too, and serves DOMAIN's default.
"""

import argparse
import ipaddress
import json
import re
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
REPLICAS = ["omics-1", "omics-2", "omics-3"]
HEALTH = "/api/v1/health/ready"

errors = []
warnings = []


def check(cond, msg):
    if not cond:
        errors.append(msg)
    return cond


def env_of(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
    return {k: (None if v is None else str(v)) for k, v in env.items()}


class Missing(Exception):
    pass


VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value, env):
    """Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
    ${VAR:?error}, ${VAR?error}."""

    def sub(m):
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3)
        val = env.get(name)
        if op in (":-", ":?"):
            unset = val is None or val == ""
        else:
            unset = val is None
        if op and op.endswith("-") and unset:
            return arg
        if op and op.endswith("?") and unset:
            raise Missing(f"{name}: {arg}")
        return val or ""

    return VAR.sub(sub, value)


def interpolate_all(node, env):
    if isinstance(node, dict):
        return {k: interpolate_all(v, env) for k, v in node.items()}
    if isinstance(node, list):
        return [interpolate_all(v, env) for v in node]
    if isinstance(node, str):
        return interpolate(node, env)
    return node


def read_dotenv(path):
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            env[k.strip()] = v.strip()
    return env


def settings_fields(path):
    """Field names of `pub struct Settings { ... }`."""
    src = path.read_text()
    m = re.search(r"pub struct Settings \{(.*?)\n\}", src, re.S)
    if not m:
        errors.append(f"{path}: no `pub struct Settings`")
        return set()
    return set(re.findall(r"^\s*pub (\w+):", m.group(1), re.M))


def volume_mounts(service):
    """(source, target) of each volume, short or long syntax."""
    out = []
    for v in service.get("volumes") or []:
        if isinstance(v, dict):
            out.append((str(v.get("source")), str(v.get("target"))))
        else:
            parts = str(v).split(":")
            out.append((parts[0], parts[1] if len(parts) > 1 else parts[0]))
    return out


def healthcheck_text(service):
    test = (service.get("healthcheck") or {}).get("test")
    return " ".join(test) if isinstance(test, list) else str(test or "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compose", default=str(HERE / "compose.yaml"))
    ap.add_argument("--settings", default=str(REPO / "crates/api/src/settings.rs"))
    ap.add_argument("--env-example", default=str(HERE / ".env.example"))
    ap.add_argument("--caddy-json", action="append", default=[])
    args = ap.parse_args()
    compose_path = Path(args.compose)
    doc = yaml.safe_load(compose_path.read_text())
    services = doc.get("services") or {}
    top_volumes = doc.get("volumes") or {}
    networks = doc.get("networks") or {}

    # The network and its fixed subnet.
    subnets = []
    for name, net in networks.items():
        for c in ((net or {}).get("ipam") or {}).get("config") or []:
            if "subnet" in c:
                subnets.append(ipaddress.ip_network(c["subnet"]))
    check(len(subnets) == 1, f"one network with a fixed subnet expected, found {subnets}")
    net_names = set(networks)
    for name, svc in services.items():
        nets = svc.get("networks") or []
        check(set(nets) <= net_names and nets, f"{name}: on no declared network ({nets})")

    # postgres
    pg = services.get("postgres")
    if check(pg is not None, "no postgres service"):
        check(str(pg.get("image", "")).startswith("postgres:16"), f"postgres: image {pg.get('image')}, not postgres:16")
        mounts = volume_mounts(pg)
        check(
            any(t == "/var/lib/postgresql/data" and s in top_volumes for s, t in mounts),
            f"postgres: no named volume on /var/lib/postgresql/data ({mounts})",
        )
        check("pg_isready" in healthcheck_text(pg), "postgres: healthcheck is not pg_isready")
        pg_env = env_of(pg)
        check(pg_env.get("POSTGRES_DB") == "omics", "postgres: POSTGRES_DB is not omics")

    # replicas
    built = sorted(n for n, s in services.items() if "build" in s)
    check(built == REPLICAS, f"replicas built from the Dockerfile: {built}, expected {REPLICAS}")
    envs = {}
    data_volumes = []
    for name in REPLICAS:
        svc = services.get(name)
        if not check(svc is not None, f"no service {name}"):
            continue
        build = svc["build"] if isinstance(svc.get("build"), dict) else {"context": svc.get("build")}
        ctx = (compose_path.parent / str(build.get("context"))).resolve()
        check(ctx == REPO, f"{name}: build context {ctx}, not the repository {REPO}")
        check((ctx / build.get("dockerfile", "Dockerfile")).is_file(), f"{name}: no Dockerfile in {ctx}")
        env = env_of(svc)
        envs[name] = env
        data_dir = env.get("OMICS_DATA_DIR", "/data")
        mine = [s for s, t in volume_mounts(svc) if t == data_dir]
        check(len(mine) == 1 and mine[0] in top_volumes, f"{name}: no named volume of its own on {data_dir} ({mine})")
        data_volumes += mine
        port = env.get("OMICS_PORT", "8080")
        hc = healthcheck_text(svc)
        check(f":{port}{HEALTH}" in hc, f"{name}: healthcheck `{hc}` is not on {HEALTH} at port {port}")
        dep = (svc.get("depends_on") or {}).get("postgres") if isinstance(svc.get("depends_on"), dict) else None
        check((dep or {}).get("condition") == "service_healthy", f"{name}: does not depend on postgres being healthy")
    check(len(set(data_volumes)) == len(data_volumes) == 3, f"each replica needs its own data volume: {data_volumes}")
    first = envs.get(REPLICAS[0], {})
    for name, env in envs.items():
        diff = sorted(k for k in set(env) | set(first) if env.get(k) != first.get(k))
        check(not diff, f"{name}: environment differs from {REPLICAS[0]} in {diff}")
    secret = first.get("OMICS_JWT_SECRET") or ""
    check(
        re.fullmatch(r"\$\{OMICS_JWT_SECRET:\?[^}]+\}", secret) is not None,
        f"OMICS_JWT_SECRET must be the required variable ${{OMICS_JWT_SECRET:?...}}, not {secret!r}",
    )
    check(first.get("OMICS_HOST") == "0.0.0.0", "OMICS_HOST is not 0.0.0.0")
    check(first.get("OMICS_LOG_FORMAT") == "json", "OMICS_LOG_FORMAT is not json")
    check("OMICS_CORS_ALLOWED_ORIGINS" in first, "OMICS_CORS_ALLOWED_ORIGINS is not set")
    try:
        proxies = json.loads(first.get("OMICS_TRUSTED_PROXIES") or "null")
        check(
            isinstance(proxies, list) and [ipaddress.ip_network(p) for p in proxies] == subnets,
            f"OMICS_TRUSTED_PROXIES {proxies} is not the network's subnet {subnets}",
        )
    except ValueError as e:
        check(False, f"OMICS_TRUSTED_PROXIES is not a JSON list of networks: {e}")
    db = first.get("DATABASE_URL") or first.get("OMICS_DATABASE_URL") or ""
    check(re.fullmatch(r"postgres://.+@postgres:5432/omics", db) is not None, f"DATABASE_URL {db!r} is not on postgres:5432/omics")

    # Setting names against settings.rs.
    fields = settings_fields(Path(args.settings))
    for key in sorted(first):
        if not key.startswith("OMICS_"):
            check(key in ("DATABASE_URL", "RUST_LOG"), f"{key}: not a setting of the service")
            continue
        field = key[len("OMICS_"):].split("__")[0].lower()
        check(field in fields, f"{key}: `{field}` is not a field of Settings in {args.settings}")

    # caddy
    caddy = services.get("caddy")
    if check(caddy is not None, "no caddy service"):
        check(str(caddy.get("image", "")).startswith("caddy:2"), f"caddy: image {caddy.get('image')}, not caddy:2")
        ports = [str(p) for p in caddy.get("ports") or []]
        check(any(p.endswith(":443") for p in ports) and any(p.endswith(":80") for p in ports), f"caddy: ports {ports}")
        mounts = dict((t, s) for s, t in volume_mounts(caddy))
        src = mounts.get("/etc/caddy/Caddyfile")
        check(src is not None and (compose_path.parent / src).is_file(), f"caddy: no Caddyfile mounted from deploy/ ({src})")
        check(env_of(caddy).get("DOMAIN") == "${DOMAIN:-localhost}", "caddy: DOMAIN is not ${DOMAIN:-localhost}")
        for s, t in volume_mounts(caddy):
            check(s.startswith(".") or s in top_volumes, f"caddy: volume {s} is not declared")

    # Interpolation, as compose does it with deploy/.env.example and the secrets filled in.
    example = read_dotenv(Path(args.env_example))
    required = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*):?\?", compose_path.read_text()))
    check(required <= set(example), f".env.example lacks the required {sorted(required - set(example))}")
    filled = dict(example, POSTGRES_PASSWORD="0" * 48, OMICS_JWT_SECRET="a" * 64)
    try:
        resolved = interpolate_all(doc, filled)
        renv = env_of(resolved["services"][REPLICAS[0]])
        check(renv.get("OMICS_JWT_SECRET") == "a" * 64, "the JWT secret does not come from OMICS_JWT_SECRET")
        check(renv.get("DATABASE_URL") == f"postgres://omics:{'0' * 48}@postgres:5432/omics", f"DATABASE_URL resolves to {renv.get('DATABASE_URL')}")
        check(json.loads(renv.get("OMICS_CORS_ALLOWED_ORIGINS") or "null") == [], "OMICS_CORS_ALLOWED_ORIGINS is not [] by default")
        check(env_of(resolved["services"]["caddy"]).get("DOMAIN") == "localhost", "DOMAIN's default is not localhost")
    except Missing as e:
        check(False, f"interpolation with .env.example and the secrets filled in fails: {e}")
    for var in ("OMICS_JWT_SECRET", "POSTGRES_PASSWORD"):
        try:
            interpolate_all(doc, {k: v for k, v in filled.items() if k != var})
            check(False, f"compose would start without {var}")
        except Missing:
            pass

    # The proxy as Caddy reads it, against the replicas.
    for path in args.caddy_json:
        cfg = json.loads(Path(path).read_text())
        proxies = []

        def walk(node):
            if isinstance(node, dict):
                if node.get("handler") == "reverse_proxy":
                    proxies.append(node)
                for v in node.values():
                    walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)

        walk(cfg.get("apps", {}).get("http", {}))
        if not check(len(proxies) == 1, f"{path}: {len(proxies)} reverse_proxy handlers, expected 1"):
            continue
        rp = proxies[0]
        port = first.get("OMICS_PORT", "8080")
        dials = sorted(u.get("dial") for u in rp.get("upstreams") or [])
        check(dials == [f"{r}:{port}" for r in REPLICAS], f"{path}: upstreams {dials}, expected the replicas at :{port}")
        hc = rp.get("health_checks") or {}
        check((hc.get("active") or {}).get("uri") == HEALTH, f"{path}: active health check not on {HEALTH}")
        check(bool(hc.get("passive")), f"{path}: no passive health checks")
        hosts = [h for srv in cfg["apps"]["http"]["servers"].values() for r in srv.get("routes", []) for m in r.get("match", []) for h in m.get("host", [])]
        check(bool(hosts), f"{path}: the site has no host name")

    for w in warnings:
        print(f"compose: warning: {w}")
    for e in errors:
        print(f"compose: FAIL: {e}")
    replicas = ", ".join(REPLICAS)
    print(f"compose: {'FAIL' if errors else 'ok'}: postgres, {replicas}, caddy; {len(errors)} failures, {len(warnings)} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
