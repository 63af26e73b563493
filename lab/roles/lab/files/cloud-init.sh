#!/bin/sh
# What cloud-init does on a fresh EC2 instance, for a lab container: wait for boot, create the
# image's default user with the stack's public key and passwordless sudo. Idempotent; prints
# "changed" when it changed something. Run through `podman exec -i NAME sh -s -- ...`.
# usage: cloud-init.sh [--check] USER 'PUBLIC KEY'
set -eu
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
user=$1
key=$2
changed=0
apply() { if [ "$check" = 0 ]; then "$@"; fi; }

# Right after the container starts systemd may not answer yet (no bus: empty state); on a busy
# machine that takes seconds, so ask again for up to two minutes.
state=
i=0
while [ -z "$state" ] && [ "$i" -lt 120 ]; do
  state=$(systemctl is-system-running --wait 2>/dev/null || true)
  [ -n "$state" ] || { i=$((i + 1)); sleep 1; }
done
case "$state" in running|degraded) ;; *) echo "boot did not finish: $state" >&2; exit 1 ;; esac

if ! id "$user" >/dev/null 2>&1; then
  changed=1
  apply useradd --create-home --shell /bin/bash "$user"
fi
sudoers="$user ALL=(ALL:ALL) NOPASSWD: ALL"
if [ "$(cat /etc/sudoers.d/90-cloud-init-users 2>/dev/null || true)" != "$sudoers" ]; then
  changed=1
  apply sh -c 'printf "%s\n" "$1" > /etc/sudoers.d/90-cloud-init-users && chmod 0440 /etc/sudoers.d/90-cloud-init-users' _ "$sudoers"
fi
keys="/home/$user/.ssh/authorized_keys"
if [ "$(cat "$keys" 2>/dev/null || true)" != "$key" ]; then
  changed=1
  apply install -d -m 0700 -o "$user" -g "$user" "/home/$user/.ssh"
  apply sh -c 'printf "%s\n" "$1" > "$2" && chown "$3:$3" "$2" && chmod 0600 "$2"' _ "$key" "$keys" "$user"
fi
if [ "$changed" = 1 ]; then echo changed; else echo ok; fi
