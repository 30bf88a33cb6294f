"""The `atiende` command line: one module per command group."""
