from fimonitor.cli import run

run()
