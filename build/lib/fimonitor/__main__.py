import sys

from fimonitor.cli import main

sys.exit(main())
