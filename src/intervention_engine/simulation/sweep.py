"""Policy sweeps: a grid of policies x world-model parameters, each variant a national Monte Carlo, as one tidy table.

`sweep(from_date, years, runs, seed, policies=[...], grid={"p_alternative_delivery": [0.5, 0.7]}, world=...)`
checks everything at once (an unknown policy, a parameter the world model does not have, fewer than one run or
year: a one-line `ValueError`, before any work) and returns a `Sweep`. Iterating it runs the variants' batches over
any `concurrent.futures.Executor` (a process pool by default; a `distributed.Client` or its `get_executor()` for a
Dask cluster) and yields Arrow record batches of rows, one row per variant x run x month x stage:

    variant, policy, <one column per grid parameter>, run, month, date, stage, councils

Every stage is listed on every date, with zero councils when none is in it. Results are streamed: at most
`window` batches are in flight, and each is turned into rows and handed on in submission order as it finishes, so
memory holds a few batches, never the whole sweep. `Sweep.write(path)` writes Parquet (`.parquet`) or CSV
(`.csv`) batch by batch.

Every variant plays the same runs: run r draws from the seed derived from the master seed and r alone, so two
variants differ only by their policy and parameters (common random numbers), and the table is the same whichever
executor computed it and however the runs were batched.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import itertools
import json
import math
import os
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..engine import InterventionEngine
from ..policies.rulebook import INTERVENTION_STAGES, STAGES
from .montecarlo import OUT_OF_COUNCIL, Batch, BatchResult, _band, registry_for, run_batch, sample_dates
from .named_parameters import resolve, with_parameters
from .start import CouncilStart, starts_from
from .world import WorldModel, run_seeds

IN_FORCE = "in-force"  # the policy column's name for the regimes in force on each date
SUFFIXES = (".parquet", ".csv")


@dataclass(frozen=True)
class Variant:
    """One point of the grid: a policy (None: the regimes in force) and the world-model parameters it sets."""

    number: int
    policy: str | None
    parameters: Mapping[str, Any]
    world: WorldModel = field(repr=False, compare=False)

    def label(self) -> str:
        settings = ", ".join(f"{name}={_text(value)}" for name, value in self.parameters.items())
        return (self.policy or IN_FORCE) + (f" ({settings})" if settings else "")


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if isinstance(value, Mapping) else str(value)


def _policy(name: str | None) -> str | None:
    return None if name in (None, IN_FORCE) else name


def variants(world: WorldModel, policies: Sequence[str | None], grid: Mapping[str, Sequence[Any]]) -> list[Variant]:
    """The grid in order (policies outermost, then each parameter in the order given); every name checked first."""
    for name in grid:
        resolve(world, name, where="sweep grid")
    for policy in policies:
        registry_for(_policy(policy))  # an unknown policy fails here, with the known ones named
    if not policies:
        raise ValueError("sweep: name at least one policy (or in-force)")
    empty = [name for name, values in grid.items() if not values]
    if empty:
        raise ValueError(f"sweep grid: parameter {empty[0]!r} has no values")
    made: list[Variant] = []
    for policy, values in itertools.product(policies, itertools.product(*grid.values())):
        parameters = dict(zip(grid, values, strict=True))
        made.append(Variant(len(made), _policy(policy), parameters, with_parameters(world, parameters)))
    return made


@dataclass
class Sweep:
    """A checked sweep, run when iterated (or written)."""

    from_date: dt.date
    years: int
    runs: int
    seed: int
    variants: list[Variant]
    starts: tuple[CouncilStart, ...]
    executor: cf.Executor | None = None
    batch_runs: int = 50
    window: int = 8
    progress: Callable[[int], None] | None = None
    _ends: dict[int, list[np.ndarray[Any, Any]]] = field(default_factory=dict, repr=False)

    @property
    def dates(self) -> list[dt.date]:
        return sample_dates(self.from_date, self.years)

    @property
    def rows(self) -> int:
        """Rows of the whole table: variants x runs x sample dates x stages."""
        return len(self.variants) * self.runs * len(self.dates) * len(STAGES)

    def schema(self) -> pa.Schema:
        parameters = [
            pa.field(name, _column_type([v.parameters[name] for v in self.variants])) for name in self._names()
        ]
        return pa.schema([
            pa.field("variant", pa.int32()), pa.field("policy", pa.string()), *parameters, pa.field("run", pa.int32()),
            pa.field("month", pa.int16()), pa.field("date", pa.date32()), pa.field("stage", pa.string()),
            pa.field("councils", pa.int16()),
        ])  # fmt: skip

    def _names(self) -> list[str]:
        return list(self.variants[0].parameters) if self.variants else []

    def batches(self) -> Iterator[tuple[Variant, Batch]]:
        seeds = run_seeds(self.seed, self.runs)
        for variant in self.variants:
            for first in range(0, self.runs, self.batch_runs):
                runs = tuple(range(first, min(self.runs, first + self.batch_runs)))
                yield variant, Batch(self.starts, variant.policy, variant.world, self.from_date, self.years, runs,
                                     tuple(seeds[first : first + len(runs)]))  # fmt: skip

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        schema, dates = self.schema(), pa.array(self.dates, pa.date32())
        self._ends = {}  # the summary is of this pass alone
        own = self.executor is None
        pool = cf.ProcessPoolExecutor(max_workers=os.cpu_count() or 1) if own else self.executor
        assert pool is not None
        pending: deque[tuple[Variant, cf.Future[BatchResult]]] = deque()
        try:
            for variant, batch in self.batches():
                pending.append((variant, pool.submit(run_batch, batch)))
                if len(pending) >= self.window:
                    yield self._rows(schema, dates, *pending.popleft())
            while pending:
                yield self._rows(schema, dates, *pending.popleft())
        finally:
            for _, future in pending:
                future.cancel()
            if own:
                pool.shutdown(cancel_futures=True)

    def _rows(
        self, schema: pa.Schema, dates: pa.Array, variant: Variant, future: cf.Future[BatchResult]
    ) -> pa.RecordBatch:
        result = future.result()
        counts = result.stage_counts  # run, sample date, stage
        runs, months, stages = counts.shape
        size = runs * months * stages
        month = np.tile(np.repeat(np.arange(months, dtype=np.int16), stages), runs)
        columns: dict[str, pa.Array] = {
            "variant": _constant(variant.number, size, pa.int32()),
            "policy": _constant(variant.policy or IN_FORCE, size, pa.string()),
            **{name: _constant(_cell(value), size, schema.field(name).type)
               for name, value in variant.parameters.items()},
            "run": pa.array(np.repeat(np.array(result.runs, dtype=np.int32), months * stages)),
            "month": pa.array(month),
            "date": dates.take(pa.array(month)),
            "stage": pa.DictionaryArray.from_arrays(
                pa.array(np.tile(np.arange(stages, dtype=np.int8), runs * months)), pa.array(STAGES)
            ).cast(pa.string()),
            "councils": pa.array(counts.reshape(-1).astype(np.int16, copy=False)),
        }  # fmt: skip
        self._ends.setdefault(variant.number, []).append(counts[:, -1, :])
        if self.progress is not None:
            self.progress(runs)
        return pa.RecordBatch.from_arrays([columns[name] for name in schema.names], schema=schema)

    def summary(self) -> list[dict[str, Any]]:
        """Per variant, over the runs played so far: councils in intervention (a notice, a direction, a commissioner's
        review, alternative delivery) and out of council control (DFE-07) at the end, median and 90% band."""
        found = []
        for variant in self.variants:
            parts = self._ends.get(variant.number)
            if not parts:
                continue
            ends = np.concatenate(parts)
            found.append({
                "variant": variant.number, "policy": variant.policy or IN_FORCE,
                "parameters": dict(variant.parameters), "runs": int(ends.shape[0]),
                "in_intervention_at_end": _band(ends[:, [STAGES.index(s) for s in INTERVENTION_STAGES]].sum(axis=1)),
                "out_of_council_control_at_end": _band(ends[:, [STAGES.index(s) for s in OUT_OF_COUNCIL]].sum(axis=1)),
            })  # fmt: skip
        return found

    def to_table(self) -> pa.Table:
        """The whole table in memory (for small sweeps; `write` streams)."""
        return pa.Table.from_batches(list(self), schema=self.schema())

    def write(self, path: Path) -> int:
        """Write the table to `path` (Parquet or CSV, by suffix) batch by batch; returns the rows written. The file
        appears only when every batch is written (a failed sweep leaves nothing behind)."""
        if path.suffix not in SUFFIXES:
            raise ValueError(f"sweep output {path}: write .parquet or .csv, not {path.suffix or 'no suffix'!r}")
        partial = path.with_name(path.name + ".partial")
        written = 0
        try:
            with _writer(partial, self.schema()) as write:
                for batch in self:
                    write(batch)
                    written += batch.num_rows
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
        return written


class _writer:
    """A Parquet or CSV writer taking record batches, closed on exit."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path, self.schema = path, schema
        self._out: Any = None

    def __enter__(self) -> Callable[[pa.RecordBatch], None]:
        if self.path.name.endswith(".parquet.partial"):
            self._out = pq.ParquetWriter(self.path, self.schema, compression="zstd")
        else:
            self._out = pa_csv.CSVWriter(self.path, self.schema)
        return self._out.write  # type: ignore[no-any-return]

    def __exit__(self, *exc: object) -> None:
        self._out.close()


def _column_type(values: Sequence[Any]) -> pa.DataType:
    cells = [_cell(value) for value in values]
    found = pa.array(cells).type
    return pa.string() if pa.types.is_null(found) else found


def _cell(value: Any) -> Any:
    return json.dumps(value, sort_keys=True) if isinstance(value, Mapping) else value


def _constant(value: Any, size: int, kind: pa.DataType) -> pa.Array:
    """A column holding one value, dictionary-encoded (cheap however many rows), decoded to its plain type."""
    indices = pa.array(np.zeros(size, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array([value], kind)).cast(kind)


def check_counts(runs: int, years: int) -> None:
    if runs < 1:
        raise ValueError(f"sweep: the number of runs must be at least 1, not {runs}")
    if years < 1:
        raise ValueError(f"sweep: the number of years must be at least 1, not {years}")


def sweep(
    from_date: dt.date,
    years: int,
    runs: int,
    seed: int,
    *,
    world: WorldModel,
    policies: Sequence[str | None] = (None,),
    grid: Mapping[str, Sequence[Any]] | None = None,
    executor: Any = None,
    engine: InterventionEngine | None = None,
    starts: Sequence[CouncilStart] | None = None,
    batch_runs: int | None = None,
    window: int | None = None,
    progress: Callable[[int], None] | None = None,
    planned: Sequence[Variant] | None = None,
) -> Sweep:
    """Check a sweep and return it, ready to iterate or `write` (see the module's words). `planned`: the variants
    as `variants` built them (from `world`, `policies` and `grid`), when the caller checked them first (the command
    does, before it replays the record); they are not built again."""
    check_counts(runs, years)
    made = list(planned) if planned is not None else variants(world, list(policies), dict(grid or {}))
    councils = starts_from(from_date, engine, starts, who="sweep")
    if executor is not None and hasattr(executor, "get_executor"):  # a distributed.Client
        executor = executor.get_executor()
    workers = os.cpu_count() or 1
    size = batch_runs or max(1, min(50, math.ceil(runs / (2 * workers))))
    return Sweep(from_date, years, runs, seed, made, councils, executor, size, window or 4 * workers, progress)
