"""`python3 -m dockyard.fio {tool|genplots|plotserve|aio|health}`: the fio-tools images' tools."""

import sys

from dockyard.fio.entrypoint import main

sys.exit(main())
