"""The reference data rehsos starts with: the 26 PPKS types (Permensos 8/2012) with
their default clusters, the seven ATENSI service components and the classic seven
case-management stages with their rules. Loaded by a data migration; an
administrator versions them later (new rows with effective dates), never by code."""

import datetime

PPKS_FROM = datetime.date(2012, 1, 1)
ATENSI_FROM = datetime.date(2020, 1, 1)
STAGES_FROM = datetime.date(2018, 1, 1)

# number, code, Indonesian name, English name, cluster
PPKS_TYPES = [
    (1, "ABT", "Anak balita terlantar", "Neglected child under five", "ANAK"),
    (2, "AT", "Anak terlantar", "Neglected child", "ANAK"),
    (3, "ABH", "Anak berhadapan dengan hukum", "Child in conflict with the law", "ANAK"),
    (4, "AJ", "Anak jalanan", "Street child", "ANAK"),
    (5, "ADK", "Anak dengan kedisabilitasan", "Child with a disability", "ANAK"),
    (
        6,
        "AKTK",
        "Anak korban tindak kekerasan / perlakuan salah",
        "Child victim of violence or abuse",
        "ANAK",
    ),
    (7, "AMPK", "Anak memerlukan perlindungan khusus", "Child needing special protection", "ANAK"),
    (8, "LUT", "Lanjut usia terlantar", "Neglected older person", "LU"),
    (9, "PD", "Penyandang disabilitas", "Person with a disability", "PD"),
    (10, "TSU", "Tuna susila", "Sex worker", "TS-KPO"),
    (11, "GEL", "Gelandangan", "Homeless person", "TS-KPO"),
    (12, "PENG", "Pengemis", "Beggar", "TS-KPO"),
    (13, "PEM", "Pemulung", "Scavenger", "TS-KPO"),
    (14, "KMIN", "Kelompok minoritas", "Minority group", "TS-KPO"),
    (15, "BWBLP", "Bekas warga binaan lembaga pemasyarakatan", "Former prisoner", "TS-KPO"),
    (16, "ODHA", "Orang dengan HIV/AIDS", "Person living with HIV/AIDS", "LAIN"),
    (17, "KPN", "Korban penyalahgunaan NAPZA", "Victim of drug abuse", "KPN"),
    (18, "KTR", "Korban trafficking", "Victim of trafficking", "TS-KPO"),
    (19, "KTK", "Korban tindak kekerasan", "Victim of violence", "LAIN"),
    (20, "PMBS", "Pekerja migran bermasalah sosial", "Migrant worker with social problems", "LAIN"),
    (21, "KBA", "Korban bencana alam", "Victim of a natural disaster", "LAIN"),
    (22, "KBS", "Korban bencana sosial", "Victim of a social disaster", "LAIN"),
    (
        23,
        "PRSE",
        "Perempuan rawan sosial ekonomi",
        "Socially and economically vulnerable woman",
        "LAIN",
    ),
    (24, "FM", "Fakir miskin", "Person in poverty", "LAIN"),
    (
        25,
        "KBSP",
        "Keluarga bermasalah sosial psikologis",
        "Family with social and psychological problems",
        "LAIN",
    ),
    (26, "KAT", "Komunitas adat terpencil", "Remote indigenous community", "LAIN"),
]

COMPONENTS = [
    (
        1,
        "HIDUP_LAYAK",
        "Dukungan pemenuhan kebutuhan hidup layak",
        "Support for a decent standard of living",
    ),
    (2, "PERAWATAN", "Perawatan sosial dan/atau pengasuhan anak", "Social care and/or childcare"),
    (3, "KELUARGA", "Dukungan keluarga", "Family support"),
    (
        4,
        "TERAPI",
        "Terapi fisik, psikososial, mental spiritual",
        "Physical, psychosocial and mental-spiritual therapy",
    ),
    (
        5,
        "VOKASIONAL",
        "Pelatihan vokasional dan/atau pembinaan kewirausahaan",
        "Vocational training and/or entrepreneurship coaching",
    ),
    (
        6,
        "BANSOS",
        "Bantuan sosial dan asistensi sosial",
        "Social assistance and assistance services",
    ),
    (7, "AKSESIBILITAS", "Dukungan aksesibilitas", "Accessibility support"),
]

HEADS = ["facility_head", "provincial_officer", "national_admin"]

# order, code, Indonesian, English, requirements to enter, movers, closing, aftercare, days
STAGES = [
    (1, "intake", "Pendekatan awal", "Initial approach and intake", [], [], False, False, 14),
    (
        2,
        "assessment",
        "Pengungkapan dan pemahaman masalah",
        "Assessment",
        ["consent_case_management"],
        [],
        False,
        False,
        30,
    ),
    (
        3,
        "planning",
        "Penyusunan rencana pemecahan masalah",
        "Intervention planning",
        ["assessment_complete"],
        [],
        False,
        False,
        14,
    ),
    (
        4,
        "intervention",
        "Pemecahan masalah",
        "Intervention (ATENSI services)",
        ["plan_approved"],
        [],
        False,
        False,
        180,
    ),
    (
        5,
        "reintegration",
        "Resosialisasi / reintegrasi sosial",
        "Resocialisation and reintegration",
        ["service_delivered"],
        [],
        False,
        False,
        60,
    ),
    (
        6,
        "termination",
        "Terminasi",
        "Termination",
        ["termination_summary", "no_open_stay"],
        [],
        False,
        False,
        14,
    ),
    (
        7,
        "aftercare",
        "Bimbingan lanjut",
        "Aftercare and follow-up",
        ["termination_approved"],
        HEADS,
        False,
        True,
        365,
    ),
]


def load(apps) -> None:
    """Insert the starting reference data (idempotent: existing codes are kept)."""
    ppks = apps.get_model("cases", "PpksType")
    for number, code, name_id, name_en, cluster in PPKS_TYPES:
        ppks.objects.get_or_create(
            code=code,
            effective_from=PPKS_FROM,
            defaults={
                "number": number,
                "name_id": name_id,
                "name_en": name_en,
                "cluster": cluster,
                "legal_basis": "Permensos 8/2012",
            },
        )
    component = apps.get_model("cases", "ServiceComponent")
    for number, code, name_id, name_en in COMPONENTS:
        component.objects.get_or_create(
            code=code,
            effective_from=ATENSI_FROM,
            defaults={
                "number": number,
                "name_id": name_id,
                "name_en": name_en,
                "legal_basis": "Permensos 16/2020; Permensos 7/2021",
            },
        )
    stage_set_model = apps.get_model("cases", "StageSet")
    stage_model = apps.get_model("cases", "Stage")
    stage_set, _created = stage_set_model.objects.get_or_create(
        code="rehsos-7",
        version=1,
        defaults={
            "name": "Tahapan rehabilitasi sosial (7)",
            "effective_from": STAGES_FROM,
            "is_default": True,
            "legal_basis": "PROGRES 5.0 NP; Pedoman Operasional ATENSI",
        },
    )
    for order, code, name_id, name_en, requires, movers, closing, aftercare, days in STAGES:
        stage_model.objects.get_or_create(
            stage_set=stage_set,
            code=code,
            defaults={
                "order": order,
                "name_id": name_id,
                "name_en": name_en,
                "requirements": requires,
                "movers": movers,
                "is_closing": closing,
                "is_aftercare": aftercare,
                "target_days": days,
            },
        )
