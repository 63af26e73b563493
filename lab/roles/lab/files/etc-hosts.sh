# Map names to lab addresses in a lab host's /etc/hosts (run inside the host: sh -c "$(cat this)"
# - [check|apply] "ADDRESS NAME"...). An older line for NAME is replaced; podman bind-mounts the
# file, so it is rewritten in place. Prints ok or changed.
set -eu
mode=$1
shift
changed=
for entry in "$@"; do
  grep -qxF "$entry" /etc/hosts && continue
  changed=1
  [ "$mode" = check ] && continue
  name=${entry#* }
  awk -v n="$name" '{ for (i = 2; i <= NF; i++) if ($i == n) next } { print }' /etc/hosts > /etc/hosts.lab
  printf '%s\n' "$entry" >> /etc/hosts.lab
  cat /etc/hosts.lab > /etc/hosts
  rm -f /etc/hosts.lab
done
if [ -n "$changed" ]; then echo changed; else echo ok; fi
