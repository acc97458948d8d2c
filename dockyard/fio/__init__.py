"""fio storage benchmarks: job files, runs, results, plots, the report page and its server.

Plain Python used by the four fio-tools images and by `dockyard bench` alike.
"""

PLOTS_PORT = 8000
"""The report page's port (the seed's fio-plotserve published 8000)."""
