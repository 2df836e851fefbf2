"""The case-management side of the demo: about 120 cases of the demo persons, in every
cluster and at every stage, written through the case services so every rule holds.

Each case is walked from intake to the stage it should reach: a complete assessment
with a published instrument of its cluster (scored by the assessments service), a
plan with goals submitted and approved by someone other than its author, services
delivered (and group sessions at Handayani), a residential stay (admission and
discharge, within capacity), the termination summary approved by the head, and
aftercare visits with their outcomes; some cases are closed. Beside them: referrals
(received, accepted, declined for lack of capacity), a transfer waiting for the
receiving centre, tasks, and sensitive cases (trafficking, NAPZA, conflict with the
law, children — every minor's case is flagged a child's by ``open_case``).

Approvals need a second person in scope, so cases past planning sit at the centres
whose demo staff can approve them: Handayani (its social worker writes, its head
approves), Galih Pakuan (its social worker writes, the national administrator
approves) and the Jakarta centres (the national administrator writes, the DKI
provincial officer approves). Elderly cases past planning are at Sentra Handayani,
a multi-function centre since 2021.

The services stamp transitions with the current time; afterwards the stage history is
spread over each case's past (direct updates of ``Transition.at`` and
``Case.stage_entered_at``: no service back-dates a move). Idempotent: nothing is
added once any demo person has a case.
"""

import datetime
import random
from dataclasses import dataclass

from auditlog.context import disable_auditlog
from django.contrib.auth import get_user_model
from django.utils import timezone

from rehsos.cases.models import (
    AftercareOutcome,
    Case,
    PpksType,
    Referral,
    Setting,
    Stay,
    Transition,
)
from rehsos.facilities.models import Facility
from rehsos.registry.models import Person

SEED = 2026
# Cases per cluster and state: 3 for the 300 default demo persons (5 x 8 x 3 = 120),
# fewer for a smaller demo (none under 100 persons).
PER_CLUSTER_STAGE = 3
PERSONS_PER_CASE_ROUND = 100
# The states a demo case reaches: a stage code, or "closed" (closed after aftercare).
STATES = (
    "intake",
    "assessment",
    "planning",
    "intervention",
    "reintegration",
    "termination",
    "aftercare",
    "closed",
)
LATE = {"intervention", "reintegration", "termination", "aftercare", "closed"}
# How long ago a case in each state was opened (days).
AGE = {
    "intake": 5,
    "assessment": 25,
    "planning": 50,
    "intervention": 120,
    "reintegration": 200,
    "termination": 260,
    "aftercare": 330,
    "closed": 420,
}
PPKS = {
    "ANAK": ["AMPK", "ABH", "AJ", "AT", "AKTK"],
    "LU": ["LUT"],
    "PD": ["PD"],
    "KPN": ["KPN"],
    "TS-KPO": ["GEL", "PENG", "KTR", "TSU"],
}
LATE_UNIT = {
    "ANAK": ["brsampk-handayani", "brsampk-handayani", "psbr-taruna-jaya-1"],
    "LU": ["brsampk-handayani"],
    "PD": ["brspdsrw-melati"],
    "KPN": ["brskpn-galih-pakuan"],
    "TS-KPO": ["brs-mulya-jaya"],
}
DOMAINS = {
    "ANAK": ["education", "family", "psychosocial"],
    "LU": ["health", "independence", "family"],
    "PD": ["independence", "livelihood", "participation"],
    "KPN": ["health", "psychosocial", "livelihood"],
    "TS-KPO": ["housing", "documents", "livelihood"],
}
SERVICES = [
    ("HIDUP_LAYAK", "Makan, pakaian dan perlengkapan harian"),
    ("PERAWATAN", "Pengasuhan dan perawatan sosial harian"),
    ("KELUARGA", "Kunjungan dan konseling keluarga"),
    ("TERAPI", "Konseling psikososial individu"),
    ("VOKASIONAL", "Pelatihan keterampilan kerja"),
    ("BANSOS", "Bantuan sosial"),
    ("AKSESIBILITAS", "Alat bantu dan akses layanan"),
]
OUTCOMES = [
    AftercareOutcome.WITH_FAMILY,
    AftercareOutcome.IN_SCHOOL,
    AftercareOutcome.WORKING,
    AftercareOutcome.INDEPENDENT,
    AftercareOutcome.WITH_FAMILY,
    AftercareOutcome.RELAPSED,
    AftercareOutcome.REREFERRED,
]


@dataclass
class Team:
    author: object  # writes assessments, plans, services, summaries
    approver: object  # approves plans and terminations, moves into aftercare
    social_worker: object | None = None
    supervisor: object | None = None


def _users() -> dict:
    names = [
        "admin.nasional",
        "kepala.handayani",
        "peksos.handayani",
        "peksos.galihpakuan",
        "dinsos.dki",
    ]
    return {u.username: u for u in get_user_model().objects.filter(username__in=names)}


def _team(unit: Facility, users: dict) -> Team:
    admin = users["admin.nasional"]
    if unit.code == "brsampk-handayani":
        worker, head = users["peksos.handayani"], users["kepala.handayani"]
        return Team(author=worker, approver=head, social_worker=worker, supervisor=head)
    if unit.code == "brskpn-galih-pakuan":
        worker = users["peksos.galihpakuan"]
        return Team(author=worker, approver=admin, social_worker=worker, supervisor=admin)
    if unit.province_code == "31":
        officer = users["dinsos.dki"]
        return Team(author=admin, approver=officer, supervisor=officer)
    return Team(author=admin, approver=admin)


def _answers(version, rng: random.Random) -> dict:
    """A full set of answers to an instrument version (skip rules followed)."""
    from rehsos.cases.instruments import scoring
    from rehsos.cases.services.assessments import definition_of

    definition = definition_of(version)
    answers: dict = {}
    for item in definition.items:
        if item.show_if is not None and not scoring.holds(item.show_if, answers):
            continue
        scale = definition.scale_of(item)
        if scale.type == "text":
            answers[item.code] = "Catatan asesmen (data demo)"
        elif scale.type == "number":
            low = int(scale.min if scale.min is not None else 0)
            high = int(scale.max if scale.max is not None else low + 10)
            answers[item.code] = rng.randint(low, min(high, low + 30))
        else:
            answers[item.code] = rng.choice(scale.choices).value
    return answers


class Walker:
    """Takes one case through the stages with the services."""

    def __init__(self, users: dict, rng: random.Random, today: datetime.date):
        from rehsos.cases.services import assessments

        self.users = users
        self.rng = rng
        self.today = today
        self.versions = assessments

    def day(self, case: Case, after: int) -> datetime.date:
        return min(case.opened_on + datetime.timedelta(days=after), self.today)

    def move(self, user, case: Case, to: str) -> Case:
        from rehsos.cases.services import workflow

        case.refresh_from_db()
        return workflow.move_stage(user, case, to, version=case.version)

    def open(self, person, cluster, unit, state, index, team: Team) -> Case:
        from rehsos.cases.services import cases as case_services

        rng = self.rng
        ppks_code = PPKS[cluster][index % len(PPKS[cluster])]
        flags = {}
        if ppks_code == "KTR":
            flags["flag_trafficking"] = True
        if ppks_code == "ABH":
            flags["flag_law"] = True
        if cluster == "KPN" and index % 3 == 0:
            flags["flag_napza"] = True
        residential = state in LATE or rng.random() < 0.5
        return case_services.open_case(
            self.users["admin.nasional"],
            person=person,
            ppks_type=PpksType.objects.in_force().get(code=ppks_code),
            setting=Setting.RESIDENTIAL if residential else rng.choice(["family", "community"]),
            unit=unit,
            cluster=cluster,
            social_worker=team.social_worker,
            supervisor=team.supervisor,
            risk_level=rng.choice(["low", "medium", "medium", "high"]),
            flags=flags,
            summary="Kasus demo: data sintetis.",
            opened_on=self.today - datetime.timedelta(days=AGE[state] + rng.randint(0, 20)),
        )

    def assess(self, case: Case, team: Team, after: int) -> None:
        for version in self.versions.instruments_for(case)[:1]:
            self.versions.record_assessment(
                team.author,
                case=case,
                instrument_version=version,
                assessed_on=self.day(case, after),
                answers=_answers(version, self.rng),
            )

    def plan(self, case: Case, team: Team) -> None:
        from rehsos.cases.services import plans

        goals = [
            {
                "domain": domain,
                "statement": f"Tujuan {n + 1}: perbaikan pada ranah {domain}",
                "indicator": "Penilaian pekerja sosial",
                "baseline": "Rendah",
                "target": "Memadai",
                "target_date": self.day(case, 150 + 30 * n).isoformat()
                if case.opened_on + datetime.timedelta(days=150) <= self.today
                else (self.today + datetime.timedelta(days=90)).isoformat(),
            }
            for n, domain in enumerate(DOMAINS[case.cluster])
        ]
        services = [
            {"component": code, "description": text, "frequency": "Mingguan"}
            for code, text in self.rng.sample(SERVICES, 3)
        ]
        plan = plans.create_plan(
            team.author,
            case,
            {
                "goals": goals,
                "planned_services": services,
                "family_participation": "Keluarga hadir dalam konferensi kasus.",
            },
        )
        plan = plans.submit_plan(team.author, plan, version=plan.version)
        plans.approve_plan(team.approver, plan, version=plan.version)

    def serve(self, case: Case, team: Team, count: int) -> None:
        from rehsos.cases.services import delivery

        for n, (code, text) in enumerate(self.rng.sample(SERVICES, count)):
            data = {
                "delivered_on": self.day(case, 60 + 10 * n).isoformat(),
                "component": code,
                "description": text,
                "quantity": "1",
                "cost_rp": str(self.rng.choice([0, 50000, 150000, 250000])),
            }
            if code == "BANSOS":
                data.update(assistance="cash", assistance_amount_rp="300000")
            delivery.record_service(team.author, case, data)

    def admit(self, case: Case, team: Team) -> Stay:
        from rehsos.cases.services import stays

        return stays.admit(
            team.author,
            case,
            facility=case.unit,
            admitted_on=self.day(case, 3),
            planned_discharge_on=self.day(case, 183),
            room=f"{self.rng.choice('ABCD')}-{self.rng.randint(1, 30):02d}",
        )

    def terminate(self, case: Case, team: Team, stay: Stay | None) -> None:
        from rehsos.cases.services import stays, termination

        if stay is not None:
            stays.discharge(
                team.author,
                stay,
                discharged_on=self.day(case, 180),
                reason=Stay.DischargeReason.FAMILY,
            )
        termination.write_summary(
            team.author,
            case,
            goals_met=self.rng.choice(["all", "most", "most", "some"]),
            reason="completed",
            summary="Rehabilitasi selesai; penerima manfaat kembali ke keluarga (data demo).",
            recommendations="Kunjungan bimbingan lanjut sesuai jadwal.",
        )

    def aftercare(self, case: Case, team: Team) -> None:
        from dateutil.relativedelta import relativedelta

        from rehsos.cases.services import aftercare

        ended = self.day(case, 185)
        for visit in case.aftercare_visits.order_by("months_after"):
            due = ended + relativedelta(months=visit.months_after)
            visit = aftercare.reschedule(team.author, visit, due_on=due)
            if due > self.today:
                continue
            if self.rng.random() < 0.1:
                aftercare.mark_lost(team.author, visit, note="Tidak dapat dihubungi.")
                continue
            aftercare.record_visit(
                team.author,
                visit,
                visited_on=min(due + datetime.timedelta(days=self.rng.randint(0, 6)), self.today),
                outcome=self.rng.choice(OUTCOMES),
                note="Kunjungan rumah (data demo).",
            )

    def walk(self, case: Case, state: str, team: Team) -> Case:
        from rehsos.cases.services import termination, workflow

        target = STATES.index(state)
        stay = self.admit(case, team) if case.setting == Setting.RESIDENTIAL else None
        if target >= 1:
            self.move(team.author, case, "assessment")
            self.assess(case, team, 7)
        if target >= 2:
            self.move(team.author, case, "planning")
        if target >= 3:
            self.plan(case, team)
            self.move(team.author, case, "intervention")
            self.serve(case, team, 2 if target == 3 else 3)
        if target >= 4:
            self.move(team.author, case, "reintegration")
        if target >= 5:
            self.terminate(case, team, stay)
            self.move(team.author, case, "termination")
        if target >= 6:
            case.refresh_from_db()
            termination.approve(team.approver, case)
            self.move(team.approver, case, "aftercare")
            self.aftercare(case, team)
        if target >= 7:
            case.refresh_from_db()
            workflow.close_case(team.approver, case, version=case.version)
        case.refresh_from_db()
        return case


def _spread_history(cases: list[Case], today: datetime.date) -> None:
    """Date each case's transitions over its past (the services stamp them 'now')."""
    by_case: dict[int, list[Transition]] = {}
    for transition in Transition.objects.filter(case__in=cases).order_by("case", "at", "pk"):
        by_case.setdefault(transition.case_id, []).append(transition)
    tz = timezone.get_current_timezone()
    changed_cases = []
    changed = []
    for case in cases:
        moves = by_case.get(case.pk, [])
        span = max((today - case.opened_on).days, 1)
        step = span / max(len(moves), 1)
        previous = None
        for n, transition in enumerate(moves):
            day = case.opened_on + datetime.timedelta(days=int(n * step))
            transition.at = datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=tz)
            if previous is not None:
                transition.days_in_previous = (transition.at - previous).days
            previous = transition.at
            changed.append(transition)
        if moves:
            case.stage_entered_at = moves[-1].at if case.status == "open" else case.stage_entered_at
            changed_cases.append(case)
    Transition.objects.bulk_update(changed, ["at", "days_in_previous"], batch_size=500)
    Case.objects.bulk_update(changed_cases, ["stage_entered_at"], batch_size=500)


def _people_by_cluster(source_system: str) -> dict[str, list[Person]]:
    people: dict[str, list[Person]] = {}
    persons = (
        Person.objects.filter(source_system=source_system, merged_into__isnull=True)
        .exclude(source_id__endswith="-dup")
        .select_related("facility")
        .order_by("pk")
    )
    for person in persons:
        clusters = person.facility.clusters if person.facility_id else []
        if clusters:
            people.setdefault(clusters[0], []).append(person)
    return people


def _referrals(users: dict, units: dict, spare: dict, today: datetime.date) -> int:
    from rehsos.cases.services import referrals

    worker = users["peksos.handayani"]
    handayani = units["brsampk-handayani"]
    made = 0
    plans = [
        ("police", "Polsek Cipayung", "received"),
        ("hospital", "RSUD Pasar Rebo", "received"),
        ("family", "Keluarga", "accepted"),
        ("community", "Ketua RT setempat", "accepted"),
        ("serasi", "Layanan SERASI", "declined"),
        ("lks", "LKS Anak Bangsa", "declined"),
    ]
    for n, (source, name, outcome) in enumerate(plans):
        left = [p for p in spare.get("ANAK", []) if p.facility_id == handayani.pk]
        person = left[-1] if left else None
        if person is not None:
            spare["ANAK"].remove(person)
        referral = referrals.receive(
            worker,
            source=source,
            source_name=name,
            unit=handayani,
            cluster="ANAK",
            reason="Rujukan demo: anak memerlukan perlindungan khusus.",
            referred_on=today - datetime.timedelta(days=3 + n),
            person=person,
            ppks_type=PpksType.objects.in_force().get(code="AMPK"),
        )
        made += 1
        if outcome == "accepted" and person is not None:
            referrals.accept(
                worker,
                referral,
                setting=Setting.FAMILY,
                social_worker=worker,
                supervisor=users["kepala.handayani"],
            )
        elif outcome == "declined":
            referrals.decline(
                worker,
                referral,
                reason=Referral.DeclineReason.CAPACITY,
                note="Kapasitas penuh; dirujuk ke LKS terdekat.",
            )
    return made


def load_cases(*, source_system: str, today: datetime.date | None = None) -> int:
    """Create the demo cases (none if any demo person has one). Returns how many."""
    if Case.objects.filter(person__source_system=source_system).exists():
        return 0
    today = today or timezone.localdate()
    users = _users()
    if len(users) < 5:
        return 0
    rng = random.Random(SEED)
    walker = Walker(users, rng, today)
    units = {f.code: f for f in Facility.objects.all()}
    people = _people_by_cluster(source_system)
    per_state = min(PER_CLUSTER_STAGE, sum(map(len, people.values())) // PERSONS_PER_CASE_ROUND)
    if per_state == 0:
        return 0
    # Synthetic rows bulk-loaded for a demo: like the demo persons, not in the audit trail.
    with disable_auditlog():
        return _load(users, walker, units, people, per_state, source_system, today, rng)


def _load(users, walker, units, people, per_state, source_system, today, rng) -> int:
    from rehsos.cases.services import tasks, transfers

    made: list[Case] = []
    for cluster in PPKS:
        pool = people.get(cluster, [])
        index = 0
        for state in STATES:
            for n in range(per_state):
                if not pool:
                    break
                if state in LATE:
                    options = LATE_UNIT[cluster]
                    unit = units[options[(index + n) % len(options)]]
                    # Someone registered at that centre when there is one left.
                    at_unit = [p for p in pool if p.facility_id == unit.pk]
                    person = at_unit[0] if at_unit else pool[0]
                    pool.remove(person)
                else:
                    person = pool.pop(0)
                    unit = person.facility
                team = _team(unit, users)
                case = walker.open(person, cluster, unit, state, index, team)
                made.append(walker.walk(case, state, team))
                index += 1

    handayani = units["brsampk-handayani"]
    group = [c for c in made if c.unit_id == handayani.pk and c.stage.code == "intervention"]
    if group:
        from rehsos.cases.services import delivery

        held_on = max(c.opened_on for c in group) + datetime.timedelta(days=1)
        delivery.create_group_session(
            users["peksos.handayani"],
            unit=handayani,
            data={
                "held_on": min(held_on, today).isoformat(),
                "component": "TERAPI",
                "topic": "Kelompok dukungan sebaya",
                "duration_hours": "2",
                "cost_rp": "400000",
            },
            participants=[{"case": c, "attended": i % 4 != 3} for i, c in enumerate(group)],
        )

    waiting = next(
        (c for c in made if c.unit_id == handayani.pk and c.stage.code == "intervention"), None
    )
    if waiting is not None and "psbr-taruna-jaya-1" in units:
        transfers.request_transfer(
            users["peksos.handayani"],
            waiting,
            to_unit=units["psbr-taruna-jaya-1"],
            reason="Program pelatihan vokasional satu tahun di PSBR Taruna Jaya I.",
        )

    for case in [c for c in made if c.unit_id == handayani.pk and c.status == "open"][:8]:
        tasks.create_task(
            users["peksos.handayani"],
            case,
            title="Kunjungan rumah dan pembaruan catatan kasus",
            due_on=today + datetime.timedelta(days=rng.randint(-5, 14)),
        )

    _referrals(users, units, people, today)
    _spread_history(made, today)
    return Case.objects.filter(person__source_system=source_system).count()
