"""Ofsted's inspection-side timers: action plans, monitoring visits, re-inspection and the routine cycle.

Sources: Ofsted, *Monitoring local authority children's services judged inadequate* (May 2016, ref 160035) and the
re-inspection consultation outcome (May 2016, ref 160032), in force from June 2016; Ofsted, *Inspecting local
authority children's services* (ILACS, from January 2018); SI 2007/462 for working days. Rules: ILACS-04 (routine
cycle), ILACS-07 (70-working-day action plan), ILACS-08 (quarterly monitoring of inadequate councils, paused for
COVID), ILACS-09 (re-inspection window). What counts as inadequate is the report's framework's business
(`framework.py` and one module per framework), chosen by fieldwork start date.

The numbers of medium or low confidence are parameters (`InspectionCycleParameters`), never constants in code.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from ..calendar import OFSTED_PAUSE, WorkingDayCalendar, add_months
from ..facts import ActionPlanSubmitted, Fact, Framework, InspectionPublished, MonitoringVisitPublished
from .framework import framework_of, framework_of_fact
from .reactions import CouncilView, DeviationRequest, FiredTimer, Reactions, TimerChange, TimerRequest

VERSION = "ofsted-inspection-cycle"

ACTION_PLAN_DUE = "action_plan_due"
MONITORING_VISIT_DUE = "monitoring_visit_due"
REINSPECTION_WINDOW_OPENS = "reinspection_window_opens"
REINSPECTION_DUE = "reinspection_due"
NEXT_INSPECTION_DUE = "next_inspection_due"

CYCLE_KINDS = (
    ACTION_PLAN_DUE,
    MONITORING_VISIT_DUE,
    REINSPECTION_WINDOW_OPENS,
    REINSPECTION_DUE,
    NEXT_INSPECTION_DUE,
)


@dataclass(frozen=True)
class InspectionCycleParameters:
    action_plan_working_days: int = 70  # ILACS-07 (high)
    first_visit_after_plan_working_days: int = 20  # ILACS-08 (medium: 2016 handbook)
    monitoring_interval_months: int = 3  # ILACS-08 (high)
    reinspection_window_months: int = 18  # ILACS-09 (high), from the action plan
    reinspection_target_months: int = 24  # ILACS-09 (high), from the action plan
    routine_cycle_months: int = 36  # ILACS-04 (medium), from the previous fieldwork start
    monitoring_paused: tuple[dt.date, dt.date] = OFSTED_PAUSE.monitoring  # ILACS-08 COVID (calendar.OfstedPause)


class InspectionCyclePolicy:
    """Reactions of the Ofsted inspection cycle to facts and to its own timers.

    The framework of the report (by fieldwork start) says what counts as inadequate, and its version is recorded
    on every timer; facts and timers between reports follow the framework of the latest report.
    """

    version = VERSION

    def __init__(self, parameters: InspectionCycleParameters | None = None) -> None:
        self.parameters = parameters or InspectionCycleParameters()

    def react_to_fact(self, council: CouncilView, fact: Fact, calendar: WorkingDayCalendar) -> Reactions:
        if isinstance(fact, InspectionPublished):
            return self._after_inspection(council, fact, calendar)
        latest = council.latest_inspection
        version = framework_of(latest).version if latest else self.version
        if isinstance(fact, ActionPlanSubmitted):
            return dataclasses.replace(self._after_action_plan(council, fact.occurred_on), version=version)
        if isinstance(fact, MonitoringVisitPublished):
            return dataclasses.replace(self._after_monitoring_visit(council, fact.occurred_on), version=version)
        return Reactions()

    def react_to_timer(self, council: CouncilView, timer: FiredTimer, calendar: WorkingDayCalendar) -> Reactions:
        # ILACS-08: monitoring is quarterly for as long as the council stays inadequate.
        if timer.kind == MONITORING_VISIT_DUE and not council.pending_of(MONITORING_VISIT_DUE):
            latest = council.latest_inspection
            due = self._unpaused(add_months(timer.due_on, self.parameters.monitoring_interval_months))
            version = framework_of(latest).version if latest else self.version
            return Reactions(schedule=[TimerRequest(MONITORING_VISIT_DUE, due, "ILACS-08")], version=version)
        return Reactions()

    def _after_inspection(
        self, council: CouncilView, fact: InspectionPublished, calendar: WorkingDayCalendar
    ) -> Reactions:
        p = self.parameters
        framework = framework_of_fact(fact)
        # A new report supersedes every inspection-cycle timer of the previous one.
        change = [TimerChange(kind, "superseded by a new inspection report") for kind in CYCLE_KINDS]
        deviations = self._monitoring_before_reinspection(council)
        if framework.framework is Framework.pre_sif:
            return Reactions(change=change, version=framework.version)
        plan_due = calendar.add_working_days(fact.occurred_on, p.action_plan_working_days)
        schedule = [TimerRequest(ACTION_PLAN_DUE, plan_due, "ILACS-07")]
        if framework.is_inadequate(fact.judgements):
            first_visit = calendar.add_working_days(plan_due, p.first_visit_after_plan_working_days)
            schedule += [
                TimerRequest(MONITORING_VISIT_DUE, self._unpaused(first_visit), "ILACS-08"),
                TimerRequest(REINSPECTION_WINDOW_OPENS, add_months(plan_due, p.reinspection_window_months), "ILACS-09"),
                TimerRequest(REINSPECTION_DUE, add_months(plan_due, p.reinspection_target_months), "ILACS-09"),
            ]
        else:
            due = add_months(fact.fieldwork_start, p.routine_cycle_months)
            schedule.append(TimerRequest(NEXT_INSPECTION_DUE, due, "ILACS-04"))
        return Reactions(schedule=schedule, change=change, deviations=deviations, version=framework.version)

    def _monitoring_before_reinspection(self, council: CouncilView) -> list[DeviationRequest]:
        """ILACS-08: at least four monitoring visits before an inadequate council is re-inspected.

        Visits are counted from the record (or the highest visit number it gives). A record with no monitoring
        visits at all does not track them, so nothing can be concluded and no deviation is raised.
        """
        previous = council.previous_inspection
        if previous is None or not framework_of(previous).judges_inadequate(previous):
            return []
        since = previous["published_on"]
        visits = [v for v in council.visits if v["published_on"] > since]
        seen = max([len(visits), *(v["number"] or 0 for v in visits)])
        needed = framework_of(previous).minimum_monitoring_visits
        if seen == 0 or seen >= needed:
            return []
        expected = f"at least {needed} monitoring visits before re-inspection"
        happened = f"re-inspected after {seen} recorded monitoring visit{'s' if seen > 1 else ''}"
        return [DeviationRequest("monitoring_before_reinspection", "ILACS-08", expected, happened)]

    def _after_action_plan(self, council: CouncilView, submitted: dt.date) -> Reactions:
        p = self.parameters
        change = [TimerChange(ACTION_PLAN_DUE, "action plan submitted")]
        # ILACS-09: the re-inspection window runs from the plan actually submitted.
        if council.pending_of(REINSPECTION_DUE):
            change += [
                TimerChange(
                    REINSPECTION_WINDOW_OPENS,
                    "action plan submitted",
                    add_months(submitted, p.reinspection_window_months),
                ),
                TimerChange(
                    REINSPECTION_DUE,
                    "action plan submitted",
                    add_months(submitted, p.reinspection_target_months),
                ),
            ]
        return Reactions(change=change)

    def _after_monitoring_visit(self, council: CouncilView, visited: dt.date) -> Reactions:
        due = self._unpaused(add_months(visited, self.parameters.monitoring_interval_months))
        if council.pending_of(MONITORING_VISIT_DUE):
            return Reactions(change=[TimerChange(MONITORING_VISIT_DUE, "monitoring visit took place", due)])
        return Reactions(schedule=[TimerRequest(MONITORING_VISIT_DUE, due, "ILACS-08")])

    def _unpaused(self, due: dt.date) -> dt.date:
        """ILACS-08: no monitoring visits fall due while monitoring was paused (COVID, March 2020 to May 2021)."""
        start, end = self.parameters.monitoring_paused
        return end if start <= due < end else due
