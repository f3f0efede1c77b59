"""The code location as a daemon loads it in tests: the product's Definitions with resources
read from the environment when this module is first imported (tests set the environment,
then drop this module from ``sys.modules`` so it is loaded afresh)."""

from orchestration.definitions import build_defs

defs = build_defs()
