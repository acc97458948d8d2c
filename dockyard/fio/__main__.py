"""`python3 -m dockyard.fio {tool|genplots|plotserve|aio}`: the images' entrypoints."""

import sys

from dockyard.fio.cli import main

sys.exit(main())
