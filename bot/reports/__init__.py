"""Support reports: figures aggregated in SQL, rendered as tables, files and charts."""
