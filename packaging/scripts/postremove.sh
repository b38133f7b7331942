#!/bin/sh
# canaille package: after removal (deb postrm, rpm %postun). Removing the
# package keeps the data and the configuration; only a Debian purge deletes
# them, and says so first. The canaille user stays (its uid may own files
# elsewhere, such as backups).
#
# Debian: remove | purge | upgrade | disappear | abort-* ...; rpm: 0
# (erase) or 1 and more (upgrade).
set -e

if [ -d /run/systemd/system ]; then
	systemctl daemon-reload >/dev/null 2>&1 || true
fi
case "$1" in
	remove | 0)
		echo "canaille: removed; the database in /var/lib/canaille and the configuration and keys in /etc/canaille are kept."
		[ "$1" = remove ] && echo "canaille: 'dpkg --purge canaille' deletes them."
		;;
	purge)
		echo "canaille: purge: deleting the database and its backups in /var/lib/canaille and the configuration and signing keys in /etc/canaille."
		rm -rf /var/lib/canaille /etc/canaille /run/canaille
		echo "canaille: the canaille system user and group are kept."
		;;
esac
exit 0
