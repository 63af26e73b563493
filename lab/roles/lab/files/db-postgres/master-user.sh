# The RDS master user of a lab PostgreSQL (run inside the container as postgres: sh -c "$(cat
# this)" - USER DB [check]); the password comes on stdin, never on a command line. Prints ok or
# changed.
set -eu
user=$1 db=$2 check=${3:-}
IFS= read -r password || [ -n "$password" ]
case $password in *"'"* | *'"'* | "") echo "master-user: unsupported password" >&2; exit 2 ;; esac
i=0
until pg_isready -q -h 127.0.0.1; do
  i=$((i + 1)); [ "$i" -lt 120 ] || { echo "master-user: the server does not answer" >&2; exit 1; }
  sleep 0.5
done
# The master user logs in over TCP with this password: nothing to do.
if PGPASSWORD=$password psql -h 127.0.0.1 -U "$user" -d "$db" -tAc 'SELECT 1' >/dev/null 2>&1; then
  echo ok; exit 0
fi
if [ "$check" = check ]; then echo changed; exit 0; fi
printf "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s') THEN
  CREATE ROLE \"%s\" LOGIN CREATEDB CREATEROLE; END IF; END \$\$;
ALTER ROLE \"%s\" WITH LOGIN PASSWORD '%s';
" "$user" "$user" "$user" "$password" | psql -q -v ON_ERROR_STOP=1 -d postgres
if [ "$(psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" -d postgres)" != 1 ]; then
  createdb -O "$user" "$db"
fi
echo changed
