"""Bronze, the raw layer: the table of landed lines and its ledger, and a writer per engine.

- ``base``: the interface every writer implements, the rows it writes, and the commit
  metadata that carries a batch's ledger entries;
- ``delta``: Delta tables in the warehouse folder, written by delta-rs (the embedded engine);
- ``spark``: Delta tables of a Spark Connect server (the spark target);
- ``empty``: both tables created empty before anything landed, so a first build passes.

Which writer a target uses is the target's answer (weblogs.targets.Target.bronze); what to
land is planned by weblogs.ingest.
"""
