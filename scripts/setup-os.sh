#!/usr/bin/env bash
# Installs and starts what the test suite needs on Debian 12: QEMU, libvirt (no systemd),
# Chromium and PostgreSQL. Idempotent: does nothing that is already done. Needs root for apt;
# without root it says what is missing and exits non-zero so that tests never pass silently.
set -euo pipefail

log() { printf '[setup-os] %s\n' "$*" >&2; }

need_pkgs=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in qemu-system-x86 qemu-utils libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients chromium postgresql procps util-linux iproute2; do
  have "$p" || need_pkgs+=("$p")
done

if ((${#need_pkgs[@]})); then
  if [ "$(id -u)" != 0 ]; then
    log "missing packages: ${need_pkgs[*]} and not root: install them with apt-get, then re-run"
    exit 1
  fi
  log "installing: ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

if [ "$(id -u)" != 0 ]; then
  log "not root: libvirtd cannot be started here; libvirt tests will fail loudly"
  exit 0
fi

# libvirtd resolves this user even when qemu.conf says root.
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd --system --no-create-home -g libvirt-qemu -s /usr/sbin/nologin libvirt-qemu
mkdir -p /run/libvirt /var/log/libvirt/qemu /var/lib/libvirt/qemu /var/cache/libvirt/qemu

conf=/etc/libvirt/qemu.conf
if ! grep -q '^user = "root"' "$conf"; then echo 'user = "root"' >>"$conf"; fi
if ! grep -q '^group = "root"' "$conf"; then echo 'group = "root"' >>"$conf"; fi

if ! pgrep -x virtlogd >/dev/null; then
  log "starting virtlogd"
  virtlogd --daemon
fi
if ! pgrep -x libvirtd >/dev/null; then
  log "starting libvirtd (pinned to CPU 0 so its capabilities cache stays valid)"
  taskset -c 0 libvirtd --daemon
fi
for _ in $(seq 1 100); do
  virsh -c qemu:///system version >/dev/null 2>&1 && break
  sleep 0.2
done
virsh -c qemu:///system version >/dev/null 2>&1 || { log "libvirtd did not answer"; exit 1; }
# Exact mode (the agent's trace reader) and its tests need tracefs.
if ! grep -qs ' /sys/kernel/tracing tracefs ' /proc/mounts; then
  log "mounting tracefs on /sys/kernel/tracing"
  mount -t tracefs nodev /sys/kernel/tracing || log "tracefs could not be mounted: the exact-mode tests will fail"
fi
log "ready: $(qemu-system-x86_64 --version | head -1); libvirtd $(libvirtd --version | awk '{print $NF}')"
