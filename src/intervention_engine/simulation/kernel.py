"""The compact simulation kernel: one council, one run, on plain integers, without the event store.

It plays exactly what `forward.play_forward` plays on the full engine (the agreement is tested): the same world
model draws in the same order, the same rulebook moves (`tables.KernelTables.moves`, computed from
`Rulebook.rule`), the same policy reactions (asked of the policies themselves), timers kept as due dates.
States are one integer (the combination of the four regions), days are ordinals, expectations are small lists.

Per run it adds into a `RunTally`: councils in each stage on each sample date (as differences, summed at the
end), councils judged inadequate in each calendar year, days in intervention, and alternative delivery going live.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
from functools import lru_cache
from typing import Any

from ..calendar import add_months
from ..policies.rulebook import STAGES
from .outcomes import GRADES, LastInspection, era_of
from .tables import ADM_LIVE_PARTNER, KernelTables, LaneStart, Reaction, variant_of
from .tally import (
    FOCUSED_VISITS,
    INSUFFICIENT_PROGRESS,
    MONITORING_VISITS,
    PROGRESS_REVIEWS,
    READOUTS,
    SERVICES_BACK,
    RunTally,
)
from .world import (
    ADM_LIVE,
    MONITORING_VISIT,
    REPORT_ADM,
    REPORT_RETAIN,
    RESPONSES,
    RETURN_RETRY_MONTHS,
    REVIEW_INSUFFICIENT,
    REVIEW_SUFFICIENT,
    REVIEW_TIMERS,
    SERVICES_RETURNED,
    SUPERVISION_ENDED,
    WorldModel,
    response_day,
    visits_between,
)

# Who acts, in their order within a day (forward.py plays the same order): Ofsted's reports, then its visits, the
# commissioner, the DfE's reviews, the DfE's answers, services returning; the policies' own timers at the day's end.
OFSTED, VISIT, COMMISSIONER, REVIEW, DFE, RETURN, TIMER = range(7)
# The tracked timers' slots (tables.TRACKED_TIMERS order).
REPORT_SLOT, SUPERVISION_SLOT, REVIEW_SLOT, CHECK_SLOT = range(4)
_NEVER = 1 << 40
UNGRADED = STAGES.index("ungraded")


@lru_cache(maxsize=1 << 16)
def months_on(day: int, months: int) -> int:
    """`calendar.add_months` on ordinals (cached: simulated days repeat across runs)."""
    return add_months(dt.date.fromordinal(day), months).toordinal()


class Lane:
    """One council in one run: its state, its agenda and what it has done."""

    __slots__ = (
        "acted", "combo", "day", "due", "ever", "exps", "gaps", "grade", "inadequate_years", "intervention_since",
        "last_inadequate", "led", "log", "partner", "planned", "readout", "ret", "rng", "sample", "seq", "stage",
        "start", "tables", "tally", "until", "visits", "world",
    )  # fmt: skip

    def __init__(
        self,
        lane: LaneStart,
        tables: KernelTables,
        world: WorldModel,
        rng: random.Random,
        tally: RunTally,
        log: list[tuple[int, int, Any]] | None = None,
    ) -> None:
        start = lane.start
        self.start, self.tables, self.world, self.rng, self.tally, self.log = start, tables, world, rng, tally, log
        self.combo, self.partner, self.day = lane.combo, lane.partner, start.on
        self.led = start.led_by_commissioner  # the open direction is a commissioner's (the policies read it)
        self.grade = start.last.grade if start.last is not None else None  # effective grade of the latest report
        self.stage = tables.stage_of[self.combo]
        self.readout = self._readout()
        self.sample = 0
        self.intervention_since = start.on if tables.intervention[self.combo] else -1
        self.ever = self.intervention_since >= 0
        self.last_inadequate = start.last_inadequate
        self.inadequate_years: set[int] = set()
        self.seq = start.expectation_count
        switches = world.switches
        self.due: list[int | None] = [
            start.report_due, start.supervision_ends, start.review_due if switches.progress_reviews else None,
            start.check_due if switches.six_month_check else None,
        ]  # fmt: skip
        self.acted = False  # the world has held the review of due[REVIEW_SLOT]; the timer fires at the day's end
        self.planned = world.outcomes.next_inspection(rng, start.code, start.last, start.on)
        self.exps: list[list[Any]] = []
        for seq, kind, opened, due, pattern in lane.expectations:
            self.exps.append([seq, kind, due, pattern, self._answer(kind, opened, due, start.on)])
        self.gaps: list[list[Any]] = [[seq, kind] for seq, kind in start.gap_fills]
        out = tables.region(self.combo, "delivery") in ("trust", "partner_council")
        self.ret = start.on + world.dfe.return_after(rng) if switches.services_return and out else None
        self.visits = visits_between(world.switches, start.last, self.planned, start.on)
        self.until = _NEVER

    def run(self, until: int) -> None:
        self.until = until
        self._plan_visits(self.visits, start=True)
        while True:
            day, who, key = self._next()
            if day > until:
                break
            self.day = day
            self.exps = [e for e in self.exps if e[2] is None or e[2] >= day]  # deadlines passed: missed
            if who == OFSTED:
                self._inspect(day)
            elif who == VISIT:
                self._visit(day)
            elif who == COMMISSIONER:
                self._report(day)
            elif who == REVIEW:
                self._review(day, key)
            elif who == DFE:
                self._respond(day, key)
            elif who == RETURN:
                self._return(day)
            elif key == SUPERVISION_SLOT:
                self._end_supervision(day)
            else:
                self._review_timer_fires(day)
        self._close(until)

    # ------------------------------------------------------------------------------------------------------------

    def _next(self) -> tuple[int, int, int]:
        best = (self.planned.published, OFSTED, 0) if self.planned is not None else (_NEVER, OFSTED, 0)
        if self.visits and (self.visits[0][0], VISIT, 0) < best:
            best = (self.visits[0][0], VISIT, 0)
        due = self.due
        report, supervision, review, check = due
        if report is not None and (report, COMMISSIONER, 0) < best:
            best = (report, COMMISSIONER, 0)
        if review is not None and not self.acted and (review, REVIEW, 0) < best:
            best = (review, REVIEW, 0)
        if check is not None and (check, REVIEW, 1) < best:
            best = (check, REVIEW, 1)
        for e in self.exps:
            if e[4] >= 0 and (e[4], DFE, e[0]) < best:
                best = (e[4], DFE, e[0])
        for g in self.gaps:
            if (self.start.on, DFE, g[0]) < best:
                best = (self.start.on, DFE, g[0])
        if self.ret is not None and (self.ret, RETURN, 0) < best:
            best = (self.ret, RETURN, 0)
        if supervision is not None and (supervision, TIMER, SUPERVISION_SLOT) < best:
            best = (supervision, TIMER, SUPERVISION_SLOT)
        if review is not None and self.acted and (review, TIMER, REVIEW_SLOT) < best:
            best = (review, TIMER, REVIEW_SLOT)
        return best

    def _inspect(self, day: int) -> None:
        planned = self.planned
        assert planned is not None
        tables = self.tables
        policies = tables.policy_set(day)
        back = months_on(day, -tables.lookback_months(policies))
        persistent = self.last_inadequate is not None and back <= self.last_inadequate < day
        variant = variant_of(planned)
        if planned.grade == "inadequate":
            self.last_inadequate = day
            self.inadequate_years.add(dt.date.fromordinal(day).year - self.tally.first_year)
        revocation_open = any(e[1] == "direction_revoked" for e in self.exps)
        self.grade = planned.grade
        opened = self._apply(variant, day, persistent, revocation_open)
        if self.log is not None:
            self.log.append((day, -1, planned))
        last = LastInspection(day, era_of(planned.fieldwork_start), planned.grade)
        self.planned = self.world.outcomes.next_inspection(self.rng, self.start.code, last, day)
        self._answer_all(opened, day)
        self._plan_visits(visits_between(self.world.switches, last, self.planned, day))

    def _plan_visits(self, visits: list[tuple[int, int]], *, start: bool = False) -> None:
        """Ofsted's visits until the next graded fieldwork. Without a log (Monte Carlo) they are counted at once
        when quiet (legal, moving nothing, reacted to with nothing kept, matching no open expectation), as they
        always are; otherwise each is played on its day."""
        if start and not visits:
            return
        self.visits = visits
        if self.log is not None or not visits:
            return
        counted = [action for day, action in visits if day <= self.until]
        if counted:
            tables, combo = self.tables, self.combo
            meets, contradicts = tables.meets, tables.contradicts
            policy_sets = {tables.policy_set(visits[0][0]), tables.policy_set(visits[len(counted) - 1][0])}
            for action in set(counted):
                if tables.moves[action][combo] < 0 or any(meets[e[3]][action] or contradicts[e[3]][action]
                                                          for e in self.exps):  # fmt: skip
                    return
                if not all(tables.quiet(policy_set, action, combo) for policy_set in policy_sets):
                    return
        self.tally.events[MONITORING_VISITS] += counted.count(MONITORING_VISIT)
        self.tally.events[FOCUSED_VISITS] += len(counted) - counted.count(MONITORING_VISIT)
        self.visits = []

    def _visit(self, day: int) -> None:
        """ILACS-08 monitoring or ILACS-05 focused visit: recorded where the rulebook allows it; moves nothing."""
        _, action = self.visits.pop(0)
        tables = self.tables
        if tables.moves[action][self.combo] < 0:
            return
        meets, contradicts = tables.meets, tables.contradicts
        if tables.quiet(tables.policy_set(day), action, self.combo) and not any(
            meets[e[3]][action] or contradicts[e[3]][action] for e in self.exps
        ):
            if self.log is not None:
                self.log.append((day, action, "ofsted_visit"))
        else:
            self._act((action,), day, "ofsted_visit")
        self.tally.events[MONITORING_VISITS if action == MONITORING_VISIT else FOCUSED_VISITS] += 1

    def _report(self, day: int) -> None:
        self.due[REPORT_SLOT] = None
        removal = any(e[1] == "removal_from_council" for e in self.exps)
        adm = self.world.dfe.recommends_alternative_delivery(self.rng, removal)
        self._act((REPORT_ADM if adm else REPORT_RETAIN,), day, "commissioner_report_due")

    def _review(self, day: int, slot: int) -> None:
        """DFE-05/DFE-04: the DfE reviews progress under a notice (six-monthly, or the six-month check)."""
        if slot == 0:
            self.acted = True
        else:
            self.due[CHECK_SLOT] = None
        if self.tables.region(self.combo, "instrument") != "improvement_notice":
            return
        insufficient = self.world.dfe.review_insufficient(self.rng)
        self._act((REVIEW_INSUFFICIENT if insufficient else REVIEW_SUFFICIENT,), day, REVIEW_TIMERS[slot])
        self.tally.events[PROGRESS_REVIEWS] += 1
        self.tally.events[INSUFFICIENT_PROGRESS] += insufficient

    def _review_timer_fires(self, day: int) -> None:
        """DFE-05: the policy schedules the next review while the notice is open (its timer fires at the day's end)."""
        self.acted = False
        tables = self.tables
        under_notice = tables.region(self.combo, "instrument") == "improvement_notice"
        self.due[REVIEW_SLOT] = months_on(day, tables.review_months(tables.policy_set(day))) if under_notice else None

    def _return(self, day: int) -> None:
        """DFE-07: services come back to the council, unless it is judged inadequate (then looked at a year on)."""
        if self.grade == "inadequate":
            self.ret = months_on(day, RETURN_RETRY_MONTHS)
            return
        self.ret = None
        if self._act((SERVICES_RETURNED,), day, "services_return"):
            self.tally.events[SERVICES_BACK] += 1

    def _respond(self, day: int, seq: int) -> None:
        for position, g in enumerate(self.gaps):
            if g[0] == seq:
                del self.gaps[position]
                self._act(RESPONSES[g[1]].actions, day, g[1])
                return
        for e in self.exps:
            if e[0] == seq:
                e[4] = -1
                self._act(RESPONSES[e[1]].actions, day, e[1])
                return

    def _act(self, actions: tuple[int, ...], day: int, because: str) -> bool:
        tables = self.tables
        for action in actions:
            variant = ADM_LIVE_PARTNER if action == ADM_LIVE and self.partner else action
            if tables.moves[variant][self.combo] < 0:
                continue
            if action == ADM_LIVE:
                self.tally.alternative_delivery_live += 1
            opened = self._apply(variant, day)
            if self.log is not None:
                self.log.append((day, action, because))
            self._answer_all(opened, day)
            if action == ADM_LIVE and self.world.switches.services_return:
                self.ret = day + self.world.dfe.return_after(self.rng)
            return True
        return False

    def _end_supervision(self, day: int) -> None:
        """DFE-08: the year of support and supervision ends (the policy records it when its timer fires)."""
        self.due[SUPERVISION_SLOT] = None
        new = self.tables.moves[SUPERVISION_ENDED][self.combo]
        if self.tables.region(self.combo, "supervision") == "support_and_supervision" and new >= 0:
            self._move(new, day)
            if self.log is not None:
                self.log.append((day, SUPERVISION_ENDED, "support_and_supervision_ends"))

    def _apply(
        self, variant: int, day: int, persistent: bool = False, revocation_open: bool = False
    ) -> list[list[Any]]:
        """Record one fact: move, settle open expectations, then the policies' reactions. Returns the new ones."""
        tables = self.tables
        meets, contradicts = tables.meets, tables.contradicts
        self.exps = [e for e in self.exps if not (contradicts[e[3]][variant] or meets[e[3]][variant])]
        self._move(tables.moves[variant][self.combo], day)
        self.led = tables.led_after(variant, self.led)
        reaction = tables.reaction(tables.policy_set(day), variant, self.combo, persistent, revocation_open, self.led)
        if reaction.timed:
            self._timers(reaction, day)
        if reaction.withdraws:
            self.exps = [e for e in self.exps if e[1] not in reaction.withdraws]
        opened = []
        for kind, months_due, pattern in reaction.opens:
            self.seq += 1
            due = months_on(day, months_due) if months_due is not None else None
            expectation = [self.seq, kind, due, pattern, -1]
            self.exps.append(expectation)
            opened.append(expectation)
        return opened

    def _timers(self, reaction: Reaction, day: int) -> None:
        switches = self.world.switches
        for slot, (cancel, months) in enumerate(reaction.timers):
            if (slot == REVIEW_SLOT and not switches.progress_reviews) or (
                slot == CHECK_SLOT and not switches.six_month_check
            ):
                continue
            if cancel:
                self.due[slot] = None
            if months is not None:
                self.due[slot] = months_on(day, months)
                if slot == REVIEW_SLOT:
                    self.acted = False

    def _answer_all(self, opened: list[list[Any]], day: int) -> None:
        for e in opened:
            e[4] = self._answer(e[1], day, e[2], day)

    def _answer(self, kind: str, opened: int, due: int | None, today: int) -> int:
        response = RESPONSES.get(kind)
        if response is None:
            return -1
        return response_day(opened, self.world.dfe.lag(self.rng, response.step), due, today)

    def _readout(self) -> int:
        """The readouts the council is in (a bit per `READOUTS` entry)."""
        tables, grade = self.tables, self.grade
        mask: int = tables.readout_mask[self.combo] | int(grade == "inadequate")
        if tables.stage_of[self.combo] == UNGRADED and grade is not None and self.world.switches.framework_2026:
            mask |= 1 << (4 + GRADES.index(grade))
        return mask

    def _move(self, combo: int, day: int) -> None:
        tables = self.tables
        self.combo = combo
        stage, readout = tables.stage_of[combo], self._readout()
        if stage != self.stage or readout != self.readout:
            self._flush(day)
            self.stage, self.readout = stage, readout
        intervention = tables.intervention[combo]
        if intervention and self.intervention_since < 0:
            self.intervention_since = day
            self.ever = True
        elif not intervention and self.intervention_since >= 0:
            self.tally.intervention_days += day - self.intervention_since
            self.intervention_since = -1

    def _flush(self, day: int) -> None:
        """The current stage and readouts held from the last change up to (not including) the first sample on or
        after `day`."""
        tally = self.tally
        upto = bisect.bisect_left(tally.samples, day)
        if upto > self.sample:
            width = len(STAGES)
            diff = tally.stage_diff
            diff[self.sample * width + self.stage] += 1
            diff[upto * width + self.stage] -= 1
            width, mask, diff = len(READOUTS), self.readout, tally.readout_diff
            bit = 0
            while mask:
                if mask & 1:
                    diff[self.sample * width + bit] += 1
                    diff[upto * width + bit] -= 1
                mask >>= 1
                bit += 1
            self.sample = upto

    def _close(self, until: int) -> None:
        self._flush(until + 1)
        if self.intervention_since >= 0:
            self.tally.intervention_days += until - self.intervention_since
        tally = self.tally
        tally.councils_in_intervention += self.ever
        for year in self.inadequate_years:
            if 0 <= year < tally.years:
                tally.inadequate_by_year[year] += 1
