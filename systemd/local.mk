# SPDX-License-Identifier: LGPL-2.1-or-later
# systemd/: the service and socket units.
systemdsystemunit_DATA = systemd/udrvd.service systemd/udrvd.socket
CLEANFILES += systemd/udrvd.service
EXTRA_DIST += systemd/udrvd.service.in
dist_noinst_DATA = systemd/udrvd.socket

systemd/udrvd.service: systemd/udrvd.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd && sed -e 's|@sbindir[@]|$(sbindir)|g' $< >$@

TESTS += tests/fixture/units-verify.sh tests/fixture/log-journal.sh
EXTRA_DIST += tests/fixture/units-verify.sh tests/fixture/log-journal.sh docs/SANDBOX.md
