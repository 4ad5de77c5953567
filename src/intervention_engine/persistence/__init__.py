"""The persistence wing: the event store and what follows its log on the engine's side.

`store` (eventsourcing's Application holding one stream per council, with `transcoding`'s fast JSON), `checks`
(schema version and SQLite's quick_check before a store is opened), `commands` (a fact to record and what was
decided about it before it is saved, stamped with its actor and request id), `cache` (councils kept between
commands), and the engine-side indexes that follow the log: `log` (reading it a section at a time),
`council_index` (codes, names, due timers) and `requests` (request ids already answered). Read models live in
`projections/`; nothing here imports the engine.
"""
