#!/bin/sh
# canaille package: before removal (deb prerm, rpm %preun). Stops the
# service when the package goes away; an upgrade keeps it running until
# postinstall restarts it on the new binary.
#
# Debian: remove | upgrade | deconfigure | failed-upgrade; rpm: 0 (erase)
# or 1 and more (upgrade).
set -e

case "$1" in
	remove | deconfigure | 0) ;;
	*) exit 0 ;;
esac
if [ -d /run/systemd/system ]; then
	systemctl stop canaille.service || true
fi
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable canaille.service >/dev/null 2>&1 || true
fi
exit 0
