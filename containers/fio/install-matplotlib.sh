#!/usr/bin/env bash
# Installs Debian's matplotlib without what drawing PNGs never uses: python3-fonttools
# depends on scipy and sympy (and through them gcc and boost), python3-matplotlib on tk
# and jQuery. The packages matplotlib imports are installed as usual; the two above are
# unpacked with --force-depends. Run last among the apt steps of a stage (apt refuses
# later installs with unmet dependencies).
set -Eeuo pipefail

apt-get update
apt-get install -y --no-install-recommends libfreetype6 libqhull-r8.0 \
  python-matplotlib-data python3-contourpy python3-cycler python3-dateutil \
  python3-kiwisolver python3-numpy python3-packaging python3-pil python3-pyparsing python3-six
cd /tmp
apt-get download python3-matplotlib python3-fonttools
dpkg --force-depends -i /tmp/python3-matplotlib_*.deb /tmp/python3-fonttools_*.deb
rm /tmp/python3-matplotlib_*.deb /tmp/python3-fonttools_*.deb
python3 -c "import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot"
