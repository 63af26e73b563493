# The RDS master user of a lab MariaDB (run inside the container: sh -c "$(cat this)" - USER DB
# [check]); the password comes on stdin, never on a command line. Prints ok or changed.
set -eu
user=$1 db=$2 check=${3:-}
IFS= read -r password || [ -n "$password" ]
case $password in *"'"* | *'\'* | "") echo "master-user: unsupported password" >&2; exit 2 ;; esac
i=0
until mariadb-admin --silent ping >/dev/null 2>&1; do
  i=$((i + 1)); [ "$i" -lt 120 ] || { echo "master-user: the server does not answer" >&2; exit 1; }
  sleep 0.5
done
has_user=$(printf "SELECT COUNT(*) FROM mysql.user WHERE User='%s' AND Host='%%' AND authentication_string=PASSWORD('%s');\n" \
  "$user" "$password" | mariadb -N)
has_db=$(mariadb -N -e "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='$db'")
if [ "$has_user" = 1 ] && [ "$has_db" = 1 ]; then echo ok; exit 0; fi
if [ "$check" = check ]; then echo changed; exit 0; fi
printf "CREATE DATABASE IF NOT EXISTS \`%s\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED BY '%s';
ALTER USER '%s'@'%%' IDENTIFIED BY '%s';
GRANT ALL PRIVILEGES ON *.* TO '%s'@'%%' WITH GRANT OPTION;
" "$db" "$user" "$password" "$user" "$password" "$user" | mariadb
echo changed
