"""`python -m bench.scale`: see `bench.scale.run`."""

from bench.scale.run import main

main()
