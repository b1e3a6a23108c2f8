"""Ingest: plan which lines of which files are new, and land them in bronze, each line
exactly once.

The modules, in the order an ingest uses them:

- ``offers``: the files to look at (paths, globs, a landing folder) and their sites;
- ``stream``: a file's content read forward, with its running SHA-256;
- ``lines``: a block split into lines and decoded;
- ``occurrences``: identical lines of a file numbered, however far apart;
- ``ledger``: what has been landed, by content;
- ``pieces``: a file's new lines planned against the ledger;
- ``micro_batches``: the loop that lands offers in bounded micro-batches, each through the
  target's bronze writer (weblogs.bronze).

Import from the module itself (``from weblogs.ingest.offers import Limits``): the package
loads nothing, so a command that only needs a setting or an error class (``weblogs --help``)
does not load pyarrow, pandas and numpy.
"""
