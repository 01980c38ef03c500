#!/usr/bin/env bash
# The baseline of lab-overhead.bench.ts: proving one patch on the `web` image by hand, word for
# word what a person would type with the docker CLI, one step after another, doing every step a
# lab run does: two twins from the image with the package cache mounted read-only, nginx started
# on both, the image's smoke checks (web.goss.yaml's seven, as shell commands) and its browser
# check (web.browser.ts's form, in Debian's Chromium) on the unpatched twin; the versions
# recorded, the same offline apt transaction of the cached .deb a lab run makes (and apt's
# auto-install marks kept), nginx restarted, the checks on the patched twin; the apt rollback to
# the cached old .deb, the versions compared with those before, nginx restarted, the checks
# again; both twins removed.
#
# What the script does not do, which a lab run also does: find the patch (the bench hands it the
# two .deb files a lab run cached), write a report, read advisories.
#
# Inputs (environment): TAG the image; CACHE_ROOT the package cache; NEW_DEB and OLD_DEB file
# names in its archives/; SHOTS a folder for screenshots; RUN_LABEL, ROLE_LABEL, OWNER_LABEL,
# BENCH_RUN, OWNER so that every container carries the labels the reaper knows; STEPS (optional)
# a file that gets the time (epoch ms) each step starts, for the bench's table of where time goes.
set -euo pipefail
: "${TAG:?}" "${CACHE_ROOT:?}" "${NEW_DEB:?}" "${OLD_DEB:?}" "${SHOTS:?}" "${BENCH_RUN:?}" "${OWNER:?}"
cd "$(dirname "$0")/../.."

work=$(mktemp -d)
ids=()
# Removed on every way out, a failed step included.
trap '[ ${#ids[@]} -eq 0 ] || docker rm -f -v "${ids[@]}" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# PID 1 idles and reaps: nginx daemonizes, and a stopped nginx left a zombie would never be "stopped".
IDLE='trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done'
step() { if [ -n "${STEPS:-}" ]; then echo "$(date +%s%3N) $1" >>"$STEPS"; fi; }
twin() {
  docker run -d --label "$RUN_LABEL=$BENCH_RUN" --label "$ROLE_LABEL=script-$1" --label "$OWNER_LABEL=$OWNER" \
    -v "$CACHE_ROOT:/var/cache/patchlab:ro" --entrypoint sh "$TAG" -c "$IDLE"
}
address() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
port_open() { (exec 3<>"/dev/tcp/$1/80") 2>/dev/null; }
wait_open() { for _ in $(seq 300); do port_open "$1" && return 0; sleep 0.1; done; echo "port 80 of $1 never opened" >&2; return 1; }
wait_closed() { for _ in $(seq 100); do port_open "$1" || return 0; sleep 0.1; done; echo "port 80 of $1 still open" >&2; return 1; }

start_nginx() { docker exec "$1" nginx; wait_open "$2"; }
restart_nginx() {
  docker exec "$1" start-stop-daemon --stop --quiet --oknodo --retry QUIT/10/KILL/5 --pidfile /run/nginx.pid --name nginx
  wait_closed "$2"
  start_nginx "$1" "$2"
}

# web.goss.yaml, one command per check, then web.browser.ts. (grep reads all its input: `grep -q` would
# stop early and fail the pipe under pipefail.)
checks() {
  local id=$1 ip=$2 label=$3
  docker exec "$id" dpkg-query -W -f='${Status}' nginx-light | grep 'install ok installed' >/dev/null
  docker exec "$id" pidof nginx >/dev/null
  port_open "$ip"
  curl -fsS -m 5 "http://$ip/healthz" | grep ok >/dev/null
  curl -fsS -m 5 "http://$ip/" | grep 'IT service desk' >/dev/null
  docker exec "$id" nginx -t 2>&1 | grep 'syntax is ok' >/dev/null
  docker exec "$id" test -f /etc/nginx/sites-available/default
  docker exec "$id" grep -q healthz /etc/nginx/sites-available/default
  node --input-type=module - "http://$ip" "$SHOTS/$label.png" <<'JS'
import { chromium } from 'playwright-core';
const [url, shot] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(5000);
  await page.goto(`${url}/`);
  await page.locator('h1', { hasText: /IT service desk/ }).waitFor();
  await page.fill('#name', 'Ada Lovelace');
  await page.fill('#problem', 'My workstation no longer starts after the update.');
  await page.click('button[type=submit]');
  await page.locator('h1', { hasText: /Thanks/ }).waitFor();
  await page.screenshot({ path: shot });
} finally {
  await browser.close();
}
JS
}

versions() { docker exec "$1" dpkg-query -W -f='${binary:Package}\t${Version}\t${db:Status-Abbrev}\n'; }
# The same offline transaction as lab/patches/apt-install.ts: only the files given, never a mirror.
apt_install() {
  local id=$1
  shift
  docker exec -e DEBIAN_FRONTEND=noninteractive "$id" apt-get \
    -o Dir::Etc::SourceList=/var/cache/patchlab/offline/sources.list \
    -o Dir::Etc::SourceParts=/var/cache/patchlab/offline/sources.list.d \
    -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o APT::Sandbox::User=root \
    -o APT::Install-Recommends=false -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    -o Dpkg::Use-Pty=0 -q -y "$@" >"$work/apt.log"
}
# An unattended upgrade keeps apt's auto-install marks: put back any the transaction dropped.
keep_auto_marks() {
  local id=$1
  shift
  docker exec "$id" apt-mark showauto | sort >"$work/auto-before"
  apt_install "$id" "$@"
  docker exec "$id" apt-mark showauto | sort >"$work/auto-after"
  comm -23 "$work/auto-before" "$work/auto-after" | xargs -r docker exec "$id" apt-mark auto >/dev/null
}

step 'start twins'
baseline=$(twin baseline); ids+=("$baseline")
patched=$(twin patched); ids+=("$patched")
baseline_ip=$(address "$baseline")
patched_ip=$(address "$patched")
step 'start nginx on both'
start_nginx "$baseline" "$baseline_ip"
start_nginx "$patched" "$patched_ip"
step 'checks on the unpatched twin'
checks "$baseline" "$baseline_ip" baseline

step 'apply the patch'
versions "$patched" >"$work/before"
keep_auto_marks "$patched" install "/var/cache/patchlab/archives/$NEW_DEB"
versions "$patched" >"$work/after"
! cmp -s "$work/before" "$work/after"
step 'restart nginx'
restart_nginx "$patched" "$patched_ip"
step 'checks on the patched twin'
checks "$patched" "$patched_ip" patched

step 'roll back'
keep_auto_marks "$patched" --allow-downgrades --purge install "/var/cache/patchlab/archives/$OLD_DEB"
versions "$patched" >"$work/restored"
cmp "$work/before" "$work/restored"
step 'restart nginx after rollback'
restart_nginx "$patched" "$patched_ip"
step 'checks after rollback'
checks "$patched" "$patched_ip" rolled-back

step 'remove twins'
docker rm -f -v "${ids[@]}" >/dev/null
ids=()
