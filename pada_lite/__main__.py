from pada_lite.cli import entry

entry()
