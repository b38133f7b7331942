#!/bin/sh
# canaille package: before unpacking (deb preinst, rpm %pre). Creates the
# canaille system user and group so that the unpacked files can belong to
# them. Idempotent.
set -e

if ! getent group canaille >/dev/null; then
	groupadd --system canaille
fi
if ! getent passwd canaille >/dev/null; then
	useradd --system --gid canaille --home-dir /var/lib/canaille --no-create-home \
		--shell /usr/sbin/nologin --comment "Canaille identity server" canaille
fi
exit 0
