#!/bin/sh
# pg_ctl for the tests' throwaway PostgreSQL server (tests/pg.py gives it to
# pytest-postgresql as the executable): Debian's newest pg_ctl, or the one on
# PATH. PostgreSQL refuses to run as root, so as root it runs as the postgres
# user Debian's package creates; the folders it is given must be postgres's.
set -eu
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -n "$bindir" ] && [ -x "$bindir/pg_ctl" ]; then
	pg_ctl=$bindir/pg_ctl
elif pg_ctl=$(command -v pg_ctl); then
	:
else
	echo "pg_ctl not found: install PostgreSQL (apt-get install postgresql; make test does it)" >&2
	exit 127
fi
if [ "$(id -u)" = 0 ]; then
	# The postgres user cannot read root's working folder; every path given is absolute.
	cd /
	exec runuser -u postgres -- "$pg_ctl" "$@"
fi
exec "$pg_ctl" "$@"
