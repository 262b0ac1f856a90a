"""The dispatch service: an HTTP API over a database (the `service` extra).

app.py routes, boards.py the warm state of each board, store.py the database reads and writes,
db.py the tables and the schema version, jobs.py and worker.py the solves, keys.py the keys."""
