#!/usr/bin/env bash
# Deletes what a runtime image never reads: apt's lists and caches, documentation, man
# pages, locales and byte-code caches. Run at the end of each root file system stage of
# containers/fio/Dockerfile; the stage is then copied FROM scratch, so the deleted files
# take no space in the image.
set -Eeuo pipefail

rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb \
  /usr/share/doc/* /usr/share/man/* /usr/share/info/* /usr/share/locale/* \
  /usr/share/lintian /usr/lib/python3.11/ensurepip /usr/lib/python3.11/idlelib \
  /usr/lib/python3.11/lib2to3 /usr/lib/python3.11/pydoc_data /usr/lib/python3.11/test
find / -xdev -name __pycache__ -type d -prune -exec rm -rf {} +
