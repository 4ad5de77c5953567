"""The persistence wing: the event store, the unit of work that saves to it, and what follows its log.

`store` (eventsourcing's Application holding one stream per council, with `transcoding`'s fast JSON), `checks`
(schema version and SQLite's quick_check before a store is opened), `unit_of_work` (load, decide again on
conflict, batch, stamp and save, handed a decide callback), `cache` (councils kept between commands), and the
trackers that follow the log with `log.LogFollower`: `council_index` (codes, names, due timers) and `requests`
(request ids already answered). Read models live in `projections/`; nothing here imports the engine.
"""
