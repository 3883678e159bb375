#!/usr/bin/env bash
# Checks of deploy/ that need no container engine (there is none on the CI machine):
#
#   bash deploy/check.sh
#
#  (a) compose.yaml parses (PyYAML) and has the structure deploy/README.md describes:
#      deploy/check_compose.py says what it asserts;
#  (b) the Caddyfile validates with Caddy's own `caddy validate --adapter caddyfile` (Debian's
#      caddy package, installed with apt-get if missing), for the default site (localhost,
#      Caddy's internal CA) and for a public name with ACME; it adapts without a warning
#      (formatted as `caddy fmt` writes it); and what Caddy read is checked against compose.yaml
#      (upstreams = the three replicas, health checks on their readiness path);
#  (c) `docker compose config` when a compose plugin is installed (not on this machine).
#  That the image's build stage copies a workspace cargo can load is the test
#  crates/server/tests/dockerfile.rs, run by `cargo test --workspace`; not repeated here.
#
# Idempotent, no network once PyYAML and caddy are installed, about a second. Exits non-zero on
# any failure; last line `deploy: N passed, M failed`.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${DEPLOY_VENV:-$HOME/.cache/omics-deploy-venv}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
ok() { echo "deploy: ok: $*"; passed=$((passed + 1)); }
bad() { echo "deploy: FAIL: $*"; failed=$((failed + 1)); }

# A Python with PyYAML: this one, or a venv of our own with PyYAML from PyPI.
py=python3
if ! python3 -c 'import yaml' 2>/dev/null; then
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import yaml' 2>/dev/null; then
    echo "deploy: installing PyYAML into $venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q 'PyYAML==6.0.3' || bad "cannot install PyYAML"
  fi
  py="$venv/bin/python"
fi

# Caddy from Debian's packages.
if ! command -v caddy >/dev/null 2>&1; then
  echo "deploy: installing caddy (apt-get)"
  if [ "$(id -u)" = 0 ]; then
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends caddy; } >"$tmp/apt.log" 2>&1 \
      || { tail -n 20 "$tmp/apt.log"; bad "apt-get install caddy failed"; }
  else
    bad "caddy is not installed and this is not root: apt-get install caddy"
  fi
fi

# (b) Caddy's own validator, on the two kinds of site; its storage in a temp folder.
caddy_json=()
if command -v caddy >/dev/null 2>&1; then
  export XDG_DATA_HOME="$tmp/caddy-data" XDG_CONFIG_HOME="$tmp/caddy-config"
  for variant in "localhost internal" "omics.example.org ops@example.org"; do
    read -r domain tls <<<"$variant"
    out="$tmp/caddy-$domain.json"
    if DOMAIN="$domain" CADDY_TLS="$tls" caddy validate --config "$here/Caddyfile" --adapter caddyfile >"$tmp/validate.log" 2>&1; then
      ok "caddy validate ($(caddy version | cut -d' ' -f1)), DOMAIN=$domain CADDY_TLS=$tls"
    else
      cat "$tmp/validate.log"
      bad "caddy validate, DOMAIN=$domain CADDY_TLS=$tls"
    fi
    if DOMAIN="$domain" CADDY_TLS="$tls" caddy adapt --config "$here/Caddyfile" --adapter caddyfile >"$out" 2>"$tmp/adapt.log"; then
      if grep -q '"level":"warn"' "$tmp/adapt.log"; then
        grep '"level":"warn"' "$tmp/adapt.log"
        bad "caddy adapt warns, DOMAIN=$domain"
      else
        ok "caddy adapt without warnings, DOMAIN=$domain"
      fi
      caddy_json+=(--caddy-json "$out")
    else
      cat "$tmp/adapt.log"
      bad "caddy adapt, DOMAIN=$domain"
    fi
  done
fi

# (a) the compose file's structure, and what Caddy read against it.
if "$py" "$here/check_compose.py" "${caddy_json[@]}"; then
  ok "compose.yaml structure"
else
  bad "compose.yaml structure"
fi

# (c) compose's own parser, where there is one.
if docker compose version >/dev/null 2>&1; then
  if POSTGRES_PASSWORD=x OMICS_JWT_SECRET=x docker compose -f "$here/compose.yaml" --env-file "$here/.env.example" config -q; then
    ok "docker compose config"
  else
    bad "docker compose config"
  fi
else
  echo "deploy: skipped: docker compose config (no compose plugin here)"
fi

echo "deploy: $passed passed, $failed failed"
[ "$failed" = 0 ]
