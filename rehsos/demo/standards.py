"""The international-standards side of the demo: the four national model centres
(elderly, children, persons with disabilities, NAPZA) with the starter catalogue,
a self-assessment and an external audit each, improvement plans, inventories and a
stock-take, two JICA renovation projects with supervision reports (one handed over
and re-audited, one in progress), staff with certifications, a training, and an
overseas internship cohort with reports and re-entry plans.

Everything is written through the services, so every rule holds (weights summing to
100 before works start, evidence before an action is done, a rationale for every
selection decision…). Dates are counted back from today: the services refuse
future dates. Ratings come from a seeded generator: the same data on every run.
Idempotent: nothing is added once the model centres have an assessment.
"""

import datetime
import io
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from rehsos.facilities import services as facility_services
from rehsos.facilities.models import Cluster, Facility, RoomKind
from rehsos.partners import services as partner_services
from rehsos.partners.models import Agreement, Partner
from rehsos.standards import (
    equipment_data,
    services_actions,
    services_assessments,
    services_equipment,
    services_renovation,
    starter,
)
from rehsos.standards.models import (
    MET_AT_LEAST,
    Action,
    Assessment,
    Catalogue,
    EquipmentItem,
    Finding,
    Scale,
)
from rehsos.workforce.models import Application, StaffMember, StaffRole, TrainingParticipant
from rehsos.workforce.services import internships, returns, trainings
from rehsos.workforce.services import staff as staff_services

SEED = 2026


@dataclass(frozen=True)
class ModelCentre:
    code: str
    cluster: str
    places: int
    rooms: dict
    # How good the centre is before the works: the chance a criterion is met.
    quality: float


MODEL_CENTRES: tuple[ModelCentre, ...] = (
    ModelCentre(
        "brslu-budhi-dharma",
        Cluster.LU,
        110,
        {RoomKind.BEDROOM: 28, RoomKind.BATHROOM: 14, RoomKind.THERAPY: 2, RoomKind.CLINIC: 1},
        0.55,
    ),
    ModelCentre(
        "brsampk-handayani",
        Cluster.ANAK,
        150,
        {
            RoomKind.BEDROOM: 30,
            RoomKind.BATHROOM: 16,
            RoomKind.CLASSROOM: 6,
            RoomKind.COUNSELLING: 3,
        },
        0.7,
    ),
    ModelCentre(
        "bbrvpd-inten-suweno",
        Cluster.PD,
        180,
        {
            RoomKind.BEDROOM: 45,
            RoomKind.BATHROOM: 20,
            RoomKind.CLASSROOM: 10,
            RoomKind.THERAPY: 3,
            RoomKind.CLINIC: 1,
        },
        0.6,
    ),
    ModelCentre(
        "brskpn-galih-pakuan",
        Cluster.KPN,
        100,
        {RoomKind.BEDROOM: 25, RoomKind.BATHROOM: 12, RoomKind.COUNSELLING: 4, RoomKind.CLINIC: 1},
        0.5,
    ),
)

STAFF_NAMES = (
    ("Agus Setiawan", "M"),
    ("Rina Marlina", "F"),
    ("Yusuf Hidayat", "M"),
    ("Siti Rahmawati", "F"),
    ("Bambang Susilo", "M"),
    ("Lestari Handayani", "F"),
    ("Dedi Kurniawan", "M"),
    ("Fitri Anggraini", "F"),
    ("Hendra Saputra", "M"),
    ("Nur Aini", "F"),
    ("Joko Santoso", "M"),
    ("Maya Puspitasari", "F"),
)
# (role, how many per centre)
STAFF_MIX = (
    (StaffRole.SOCIAL_WORKER, 3),
    (StaffRole.CAREGIVER, 4),
    (StaffRole.NURSE, 1),
    (StaffRole.PSYCHOLOGIST, 1),
    (StaffRole.INSTRUCTOR, 2),
    (StaffRole.MANAGER, 1),
)


def _png(label: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A small synthetic photo (a coloured card with a caption): demo evidence."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((12, 12, 468, 308), outline=(255, 255, 255), width=4)
    draw.text((28, 140), label[:60], fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(
        f"{label[:30].replace(' ', '-').lower()}.png", buffer.getvalue(), "image/png"
    )


def _users() -> dict:
    by_name = {
        user.username: user
        for user in get_user_model().objects.filter(
            username__in=["admin.nasional", "asesor.standar", "kepala.handayani", "mitra.koica"]
        )
    }
    return {
        "admin": by_name["admin.nasional"],
        "assessor": by_name["asesor.standar"],
        "head": by_name.get("kepala.handayani"),
        "koica_viewer": by_name.get("mitra.koica"),
        "jica_viewer": get_user_model().objects.filter(username="mitra.jica").first(),
    }


def _partners(admin, today: datetime.date) -> dict:
    def partner(code, **data):
        found = Partner.objects.filter(code=code).first()
        return found or partner_services.create_partner(admin, code=code, **data)

    jica = partner(
        "jica",
        name="Japan International Cooperation Agency",
        acronym="JICA",
        kind=Partner.Kind.BILATERAL,
        country="JP",
    )
    koica = partner(
        "koica",
        name="Korea International Cooperation Agency",
        acronym="KOICA",
        kind=Partner.Kind.BILATERAL,
        country="KR",
    )

    def agreement(partner_, title, **data):
        found = Agreement.objects.filter(partner=partner_, title=title).first()
        return found or partner_services.create_agreement(
            admin, partner=partner_, title=title, **data
        )

    jica_rod = agreement(
        jica,
        "Record of discussions: raising four social rehabilitation centres to international "
        "standards (demo)",
        kind=Agreement.Kind.ROD,
        status=Agreement.Status.IN_FORCE,
        signed_on=today - datetime.timedelta(days=600),
        starts_on=today - datetime.timedelta(days=590),
        ends_on=today + datetime.timedelta(days=900),
        value=Decimal("1200000000"),
        currency="JPY",
    )
    koica_grant = agreement(
        koica,
        "Grant agreement: integrated and sustainable training and job-placement support "
        "platform for vulnerable youth (demo)",
        kind=Agreement.Kind.GRANT,
        status=Agreement.Status.IN_FORCE,
        signed_on=datetime.date(2020, 3, 2),
        starts_on=datetime.date(2020, 3, 2),
        ends_on=today + datetime.timedelta(days=365),
        value=Decimal("7000000"),
        currency="USD",
    )
    return {"jica": jica, "koica": koica, "jica_rod": jica_rod, "koica_grant": koica_grant}


def _set_up_centre(admin, facility: Facility, centre: ModelCentre) -> Facility:
    facility = facility_services.update_facility(
        admin,
        facility,
        changes={"is_model": True, "settings_offered": ["residential", "family", "community"]},
        version=facility.version,
    )
    facility = facility_services.set_capacity(
        admin, facility, places={centre.cluster: centre.places}, version=facility.version
    )
    facility = facility_services.set_rooms(
        admin,
        facility,
        rooms={str(k): v for k, v in centre.rooms.items()},
        version=facility.version,
    )
    return facility_services.set_contacts(
        admin,
        facility,
        contacts=[
            {"position": "Kepala Balai / Head of centre", "name": "Kepala (demo)"},
            {"position": "Koordinator standar / Standards focal point", "name": "Fokal (demo)"},
        ],
        version=facility.version,
    )


def _catalogue_for(cluster: str) -> Catalogue:
    # A few catalogues: filtered here (JSON containment is not portable to SQLite).
    return next(c for c in Catalogue.objects.order_by("code") if cluster in (c.clusters or []))


def _rate(criterion, quality: float, rng: random.Random, *, lenient: bool) -> int:
    met = quality + (0.12 if lenient else 0)
    roll = rng.random()
    if criterion.scale == Scale.YES_NO:
        return 2 if roll < met else 0
    if roll < met * 0.25:
        return 3
    if roll < met:
        return 2
    if roll < met + (1 - met) * 0.6:
        return 1
    return 0


def _assess(
    assessment: Assessment,
    user,
    quality: float,
    rng: random.Random,
    *,
    lenient: bool,
    photo_colour: tuple[int, int, int],
    today: datetime.date,
) -> None:
    criteria = list(assessment.version.criteria.order_by("order"))
    photos = 0
    for criterion in criteria:
        not_applicable = rng.random() < 0.03 and not criterion.critical
        rating = None if not_applicable else _rate(criterion, quality, rng, lenient=lenient)
        services_assessments.save_answer(
            assessment=assessment,
            criterion=criterion,
            user=user,
            rating=rating,
            not_applicable=not_applicable,
            justification="Tidak ada layanan ini di balai (demo)." if not_applicable else "",
            comment="" if rating is None or rating >= MET_AT_LEAST else "Perlu perbaikan (demo).",
            revision=1,
        )
        if rating is not None and photos < 3 and criterion.domain in ("ACC", "SAFE"):
            photos += 1
            services_assessments.upload_evidence(
                assessment=assessment,
                criterion=criterion,
                user=user,
                upload=_png(f"{criterion.code} {assessment.facility.code}", photo_colour),
                kind="photo",
                valid_from=min(assessment.visit_on or assessment.started_on, today),
                caption=f"{criterion.code}: foto kondisi (demo)",
            )
        if not_applicable:
            continue
        if rating == 0 and not lenient:
            services_assessments.add_finding(
                assessment=assessment,
                user=user,
                kind=Finding.Kind.RECOMMENDATION,
                criterion=criterion,
                text=f"{criterion.text_en[:220]} — not met at the visit; correct within 90 days.",
            )
        elif rating == 1 and not lenient and rng.random() < 0.3:
            services_assessments.add_finding(
                assessment=assessment,
                user=user,
                kind=Finding.Kind.ADVICE,
                criterion=criterion,
                text=f"Partly met: {criterion.text_en[:220]}",
            )
    if not lenient:
        services_assessments.add_finding(
            assessment=assessment,
            user=user,
            kind=Finding.Kind.STRENGTH,
            text="Staff know the residents by name and the individual plans are up to date.",
        )


def _self_and_audit(users, facility, centre, rng, *, self_on, visit_on, today):
    admin, assessor = users["admin"], users["assessor"]
    catalogue = _catalogue_for(centre.cluster)
    self_user = users["head"] if facility.code == "brsampk-handayani" and users["head"] else admin
    own = services_assessments.start_self_assessment(
        user=self_user,
        facility=facility,
        catalogue=catalogue,
        started_on=self_on,
        title=f"Penilaian mandiri {self_on.year} / Self-assessment",
    )
    _assess(
        own, self_user, centre.quality, rng, lenient=True, photo_colour=(46, 110, 160), today=today
    )
    services_assessments.submit(own, user=self_user)
    audit = services_assessments.create_audit(
        user=admin,
        facility=facility,
        catalogue=catalogue,
        lead=assessor,
        visit_on=visit_on,
        started_on=visit_on,
        title=f"Audit eksternal {visit_on.year} / External audit",
    )
    _assess(
        audit, assessor, centre.quality, rng, lenient=False, photo_colour=(150, 70, 40), today=today
    )
    services_assessments.submit(audit, user=assessor)
    return own, audit


def _work_the_plan(users, facility, audit, rng, today, partners) -> list[Action]:
    """Give the audit's actions owners and costs; close some with evidence."""
    admin = users["admin"]
    actions = list(Action.objects.filter(finding__assessment=audit).order_by("id"))
    for i, action in enumerate(actions):
        funded_by_partner = i % 3 == 0
        agreement = (
            partners["koica_grant"]
            if facility.code == "brsampk-handayani"
            else partners["jica_rod"]
        )
        action = services_actions.update_action(
            user=admin,
            action=action,
            version=action.version,
            cost_estimate=Decimal(rng.randrange(5, 250) * 1_000_000),
            funding=Action.Funding.PARTNER if funded_by_partner else Action.Funding.OWN,
            agreement=agreement if funded_by_partner else None,
        )
        if i % 4 == 1:
            action = services_actions.change_status(
                user=admin,
                action=action,
                status=Action.Status.IN_PROGRESS,
                version=action.version,
            )
        elif i % 4 == 2:
            services_actions.add_evidence(
                user=admin,
                action=action,
                upload=_png(f"done {action.pk}", (40, 130, 70)),
                valid_from=today - datetime.timedelta(days=10),
                caption="Foto setelah perbaikan / after the works (demo)",
            )
            action.refresh_from_db()
            action = services_actions.change_status(
                user=admin,
                action=action,
                status=Action.Status.DONE,
                version=action.version,
                note="Diperbaiki dan diperiksa oleh kepala balai (demo).",
                closed_on=today,
            )
        actions[i] = action
    return actions


def _inventory(admin, facility, centre, rng, today) -> None:
    items = [
        item
        for item in EquipmentItem.objects.filter(is_active=True).order_by("code")
        if not item.clusters or centre.cluster in item.clusters
    ]
    for item in items[::2]:
        services_equipment.add_inventory(
            admin,
            facility,
            item=item,
            quantity=max(1, int(item.quantity * rng.uniform(0.3, 3))),
            condition=rng.choice(["good", "good", "good", "fair", "poor"]),
            acquired_on=today - datetime.timedelta(days=rng.randrange(200, 3000)),
            location="Gudang utama / main store (demo)",
        )
    take = services_equipment.start_stock_take(
        admin, facility, started_on=today - datetime.timedelta(days=20), note="Demo"
    )
    entries = []
    for line in take.lines.order_by("id"):
        missing = rng.random() < 0.15
        entries.append(
            {
                "line": line.pk,
                "counted": max(0, line.expected - rng.randrange(1, 3))
                if missing
                else line.expected,
                "note": "Tidak ditemukan semua / not all found (demo)" if missing else "",
            }
        )
    if entries:
        services_equipment.count_lines(admin, take, entries)
    services_equipment.finish_stock_take(admin, take, note="Stock-take tahunan (demo)")


def _renovation(users, facility, actions, partners, today, *, finished: bool, rng):
    admin, assessor = users["admin"], users["assessor"]
    open_actions = [a for a in actions if a.status != Action.Status.DONE][:4]
    starts = today - datetime.timedelta(days=330 if finished else 150)
    ends = starts + datetime.timedelta(days=180)
    project = services_renovation.create_project(
        admin,
        facility=facility,
        title=f"Renovasi aksesibilitas dan keselamatan {facility.name} (demo)",
        scope="Ramps and handrails, accessible toilets, fire detection and emergency lighting "
        "in the dormitories, as found in the external audit.",
        budget=Decimal("4500000000"),
        starts_on=starts,
        planned_end_on=ends,
        actions=open_actions,
        partner=partners["jica"],
        agreement=partners["jica_rod"],
        contractor="PT Konstruksi Contoh (demo)",
        consultant="Konsultan Pengawas Contoh (demo)",
        consultant_user=assessor,
    )
    steps = (
        ("Design and tender", 10, 30),
        ("Ramps and handrails", 25, 75),
        ("Accessible toilets", 30, 120),
        ("Fire detection and lighting", 25, 155),
        ("Finishing and test run", 10, 180),
    )

    def milestones(with_done: bool):
        return [
            services_renovation.MilestoneIn(
                name=name,
                weight=Decimal(weight),
                planned_on=starts + datetime.timedelta(days=day),
                done_on=(starts + datetime.timedelta(days=day + 5))
                if with_done and (finished or starts + datetime.timedelta(days=day + 5) < today)
                else None,
            )
            for name, weight, day in steps
        ]

    services_renovation.set_milestones(
        admin, project, milestones=milestones(False), version=project.version
    )
    project.refresh_from_db()
    for status in ("tendering", "in_progress"):
        project = services_renovation.change_status(
            admin, project, to=status, version=project.version
        )
    services_renovation.set_milestones(
        admin, project, milestones=milestones(True), version=project.version
    )
    project.refresh_from_db()
    rate = Decimal("105.2")  # Rp per yen, a demo figure
    for share, day in ((Decimal("0.3"), 20), (Decimal("0.4"), 100), (Decimal("0.3"), 175)):
        paid_on = starts + datetime.timedelta(days=day)
        if paid_on <= today:
            services_renovation.add_disbursement(
                admin,
                project,
                amount=(Decimal("4500000000") * share / rate).quantize(Decimal("1")),
                currency="JPY",
                rate=rate,
                paid_on=paid_on,
                note="Tranche (demo)",
            )
    reports = 0
    day, progress = 30, Decimal("0")
    while day <= 180 and starts + datetime.timedelta(days=day) <= today:
        planned = Decimal(min(100, day * 100 / 180))
        lag = Decimal(0) if finished else Decimal(rng.randrange(4, 14))
        progress = max(progress, min(Decimal(100), (planned - lag).quantize(Decimal("1"))))
        if finished and day >= 180:
            progress = Decimal(100)
        services_renovation.add_supervision_report(
            assessor,
            project,
            reported_on=starts + datetime.timedelta(days=day),
            progress=progress,
            findings="Pekerjaan sesuai gambar; beberapa detail perlu diperbaiki (demo).",
            instructions="Perbaiki kemiringan ramp sesuai 1:12 (demo).",
            photos=[_png(f"site {facility.code} day {day}", (90, 90, 90))] if reports < 3 else [],
            caption="Foto pengawasan / supervision photo (demo)",
        )
        reports += 1
        day += 30
    if not finished:
        return project, None
    if progress < 100:
        services_renovation.add_supervision_report(
            assessor,
            project,
            reported_on=ends,
            progress=Decimal(100),
            findings="Selesai / completed (demo).",
        )
    project.refresh_from_db()
    project = services_renovation.hand_over(
        admin,
        project,
        handed_over_on=ends + datetime.timedelta(days=5),
        note="Serah terima pekerjaan / handover of the works (demo).",
        version=project.version,
    )
    return project, open_actions


def _reaudit(users, facility, centre, project, fixed_actions, rng, today) -> None:
    """A follow-up audit after the handover that rates the fixed criteria met."""
    admin, assessor = users["admin"], users["assessor"]
    fixed = {a.criterion_id for a in fixed_actions if a.criterion_id}
    visit_on = project.handed_over_on + datetime.timedelta(days=60)
    audit = services_assessments.create_audit(
        user=admin,
        facility=facility,
        catalogue=_catalogue_for(centre.cluster),
        lead=assessor,
        visit_on=visit_on,
        started_on=visit_on,
        title=f"Audit ulang {visit_on.year} / Re-audit after the works",
    )
    for criterion in audit.version.criteria.order_by("order"):
        rating = (
            2
            if criterion.pk in fixed
            else _rate(criterion, centre.quality + 0.2, rng, lenient=False)
        )
        services_assessments.save_answer(
            assessment=audit,
            criterion=criterion,
            user=assessor,
            rating=rating,
            revision=1,
        )
    audit = services_assessments.submit(audit, user=assessor)
    project.refresh_from_db()
    project = services_renovation.link_reassessment(
        admin, project, assessment=audit, version=project.version
    )
    services_renovation.close_project(
        admin, project, version=project.version, note="Re-audit shows the gaps closed (demo)."
    )


def _staff(admin, facility, rng, today, *, offset: int) -> list[StaffMember]:
    people = []
    n = 0
    for role, count in STAFF_MIX:
        for _ in range(count):
            name, sex = STAFF_NAMES[(offset + n) % len(STAFF_NAMES)]
            n += 1
            member = staff_services.create_staff(
                admin,
                facility=facility,
                name=f"{name} ({facility.short_name or facility.code.split('-')[-1]})",
                sex=sex,
                birth_year=rng.randrange(1970, 1998),
                role=role,
                employment=rng.choice(["pns", "pns", "pppk", "honorer"]),
                position=str(StaffRole(role).label),
                started_on=today - datetime.timedelta(days=rng.randrange(400, 6000)),
            )
            staff_services.add_qualification(
                admin,
                member,
                level="s1" if role != StaffRole.CAREGIVER else "sma",
                field="Kesejahteraan Sosial" if role == StaffRole.SOCIAL_WORKER else "Umum",
            )
            if role in (StaffRole.SOCIAL_WORKER, StaffRole.NURSE, StaffRole.INSTRUCTOR):
                issued = today - datetime.timedelta(days=rng.randrange(300, 1400))
                staff_services.add_certification(
                    admin,
                    member,
                    name={
                        StaffRole.SOCIAL_WORKER: "Sertifikasi Pekerja Sosial Profesional",
                        StaffRole.NURSE: "Surat Tanda Registrasi Perawat",
                        StaffRole.INSTRUCTOR: "Sertifikat Kompetensi Instruktur (BNSP)",
                    }[role],
                    issuer="Lembaga sertifikasi (demo)",
                    number=f"DEMO-{facility.pk}-{n:03d}",
                    issued_on=issued,
                    expires_on=issued + datetime.timedelta(days=1460 if n % 5 else 1400),
                )
            people.append(member)
    return people


def _training_and_internship(users, staff_by_centre, partners, rng, today) -> None:
    admin = users["admin"]
    everyone = [m for members in staff_by_centre.values() for m in members]
    training = trainings.create_training(
        admin,
        title="Training of trainers: person-centred care and accessibility (JICA, demo)",
        kind="tot",
        provider="JICA experts (demo)",
        partner=partners["jica"],
        starts_on=today - datetime.timedelta(days=120),
        ends_on=today - datetime.timedelta(days=116),
        hours=40,
        competencies="Person-centred care; universal design; fall prevention",
    )
    chosen = [m for m in everyone if m.role in (StaffRole.CAREGIVER, StaffRole.INSTRUCTOR)][:12]
    trainings.add_participants(admin, training, chosen)
    for participant in TrainingParticipant.objects.filter(training=training).order_by("id"):
        pre = Decimal(rng.randrange(40, 70))
        trainings.record_result(
            admin,
            participant,
            result="passed" if rng.random() < 0.85 else "completed",
            pre_score=pre,
            score=min(Decimal(100), pre + Decimal(rng.randrange(8, 30))),
        )

    opens = today - datetime.timedelta(days=300)
    call = internships.create_call(
        admin,
        title="Internship for trainers and caregivers in Japan 2026 (demo)",
        partner=partners["jica"],
        agreement=partners["jica_rod"],
        country="JP",
        description="Three months at care and rehabilitation institutions in Japan.",
        opens_on=opens,
        # Opened "now" (a call cannot be opened once its closing day has passed), then
        # given its real dates below, as an officer would after a late data entry.
        closes_on=today,
        places=4,
        eligibility=[
            {"rule": "role_in", "roles": ["caregiver", "instructor", "social_worker"]},
            {"rule": "min_service_years", "years": 1},
            {"rule": "facility_model"},
        ],
        scoring=[
            {"code": "motivation", "label": "Motivation and plan", "weight": 40, "max": 10},
            {"code": "experience", "label": "Relevant experience", "weight": 35, "max": 10},
            {"code": "language", "label": "Language readiness", "weight": 25, "max": 10},
        ],
    )
    call = internships.set_status(admin, call, status="open", version=call.version)
    applicants = [m for m in everyone if m.role != StaffRole.MANAGER][::2][:9]
    applications = [
        internships.submit_application(
            admin,
            call,
            staff=member,
            motivation="Saya ingin belajar perawatan berpusat pada orang (demo).",
        )
        for member in applicants
    ]
    call.refresh_from_db()
    call = internships.update_call(
        admin, call, closes_on=opens + datetime.timedelta(days=30), version=call.version
    )
    call = internships.set_status(admin, call, status="selection", version=call.version)
    for application in applications:
        if not application.eligible:
            continue
        application.refresh_from_db()
        internships.enter_scores(
            admin,
            application,
            points={
                "motivation": rng.randrange(5, 11),
                "experience": rng.randrange(4, 11),
                "language": rng.randrange(3, 10),
            },
            version=application.version,
        )
    ranked = sorted(
        Application.objects.filter(call=call, eligible=True), key=lambda a: -(a.total or 0)
    )
    decisions = []
    for rank, application in enumerate(ranked):
        decision = "selected" if rank < call.places else ("reserve" if rank < 6 else "rejected")
        decisions.append(
            internships.DecisionInput(
                application=application,
                decision=decision,
                rationale={
                    "selected": "Ranked in the top places; strong plan for the centre (demo).",
                    "reserve": "Eligible and scored well; first on the reserve list (demo).",
                    "rejected": "Lower score than the selected and reserve candidates (demo).",
                }[decision],
                version=application.version,
            )
        )
    internships.decide_many(admin, call, decisions)
    start = opens + datetime.timedelta(days=90)
    for application in Application.objects.filter(call=call, decision="selected").order_by("id"):
        application = internships.set_placement(
            admin,
            application,
            host_institution="Care and rehabilitation institution, Japan (demo)",
            starts_on=start,
            ends_on=start + datetime.timedelta(days=90),
            version=application.version,
        )
        returns.add_report(
            admin,
            application,
            kind="during",
            reported_on=start + datetime.timedelta(days=45),
            text="Mid-term report: daily routines, transfer techniques, team meetings (demo).",
        )
        returns.add_report(
            admin,
            application,
            kind="final",
            reported_on=start + datetime.timedelta(days=95),
            text="Final report: what was learnt and what will change at home (demo).",
        )
        for i, what in enumerate(
            (
                "Introduce a fall-prevention round each morning",
                "Train colleagues in safe transfer techniques",
                "Set up a daily activity board for residents",
            )
        ):
            action = returns.add_reentry_action(
                admin,
                application,
                what=what,
                due_on=start + datetime.timedelta(days=130 + 40 * i),
            )
            if i == 0:
                returns.update_reentry_action(
                    admin,
                    action,
                    status="done",
                    done_on=start + datetime.timedelta(days=125),
                    result="Done: rounds held daily since (demo).",
                )


def load_standards(*, today: datetime.date | None = None) -> int:
    """Load the standards demo; return the number of assessments added (0: already
    there, or the model centres are not loaded)."""
    today = today or timezone.localdate()
    starter.load(adopt_from=today - datetime.timedelta(days=500))
    equipment_data.load()
    facilities = {
        f.code: f for f in Facility.objects.filter(code__in=[c.code for c in MODEL_CENTRES])
    }
    if len(facilities) != len(MODEL_CENTRES):
        return 0
    if Assessment.objects.filter(facility__in=facilities.values()).exists():
        return 0
    users = _users()
    rng = random.Random(SEED)
    added = 0
    with transaction.atomic():
        partners = _partners(users["admin"], today)
        if users["koica_viewer"]:
            partner_services.link_partner_user(
                users["admin"], account=users["koica_viewer"], partner=partners["koica"]
            )
        if users["jica_viewer"]:
            partner_services.link_partner_user(
                users["admin"], account=users["jica_viewer"], partner=partners["jica"]
            )
        staff_by_centre = {}
        for offset, centre in enumerate(MODEL_CENTRES):
            facility = _set_up_centre(users["admin"], facilities[centre.code], centre)
            first = centre.code == "brslu-budhi-dharma"
            self_on = today - datetime.timedelta(days=430 if first else 250)
            visit_on = today - datetime.timedelta(days=400 if first else 220)
            _own, audit = _self_and_audit(
                users, facility, centre, rng, self_on=self_on, visit_on=visit_on, today=today
            )
            added += 2
            actions = _work_the_plan(users, facility, audit, rng, today, partners)
            _inventory(users["admin"], facility, centre, rng, today)
            staff_by_centre[centre.code] = _staff(
                users["admin"], facility, rng, today, offset=offset * 3
            )
            if first:
                project, fixed = _renovation(
                    users, facility, actions, partners, today, finished=True, rng=rng
                )
                _reaudit(users, facility, centre, project, fixed, rng, today)
                added += 1
            elif centre.code == "bbrvpd-inten-suweno":
                _renovation(users, facility, actions, partners, today, finished=False, rng=rng)
        if users["head"]:
            services_actions.attest(
                user=users["head"],
                facility=facilities["brsampk-handayani"],
                statement="Saya menyatakan rencana perbaikan mutu dijalankan. / I attest that the "
                "quality improvement plan is being kept (demo).",
                today=today,
            )
        _training_and_internship(users, staff_by_centre, partners, rng, today)
    return added
