"""The centres named in the programme (DOMAIN.md, "Centres named in the programme"),
each in a real Kemendagri village of its town.

The village is the centre's known location where it is public (Bambu Apus in
Cipayung for Handayani and Melati, Pakansari in Cibinong for the vocational
centre, Tebet Barat for Taruna Jaya I, Putat Nutug in Ciseeng for Galih Pakuan,
Jebres in Surakarta, Pasirkaliki in Bandung, Margahayu in Bekasi Timur); for the
others it is a village of the right city or regency. Capacity is given only where
the programme states it.
"""

from dataclasses import dataclass

from rehsos.facilities.models import Cluster, Facility

NATIONAL = Facility.Kind.NATIONAL
PROVINCIAL = Facility.Kind.PROVINCIAL


@dataclass(frozen=True)
class DemoCentre:
    code: str
    name: str
    kind: str
    clusters: tuple[str, ...]
    village: str  # Kemendagri village code
    address: str = ""
    capacity: int | None = None
    # Relative share of the synthetic persons registered here.
    weight: int = 4
    # Ages (in years) of the persons the centre serves, and the share of women.
    ages: tuple[int, int] = (15, 55)
    women: float = 0.5


CENTRES: tuple[DemoCentre, ...] = (
    DemoCentre(
        code="bbrvpd-inten-suweno",
        name='BBRVPD "Inten Suweno"',
        kind=NATIONAL,
        clusters=(Cluster.PD,),
        village="32.01.01.1007",  # Pakansari, Cibinong, Kabupaten Bogor
        weight=8,
        ages=(17, 35),
        women=0.4,
    ),
    DemoCentre(
        code="bbrspdf-prof-dr-soeharso",
        name='BBRSPDF "Prof. Dr. Soeharso"',
        kind=NATIONAL,
        clusters=(Cluster.PD,),
        village="33.72.04.1010",  # Jebres, Kota Surakarta
        weight=6,
        ages=(15, 50),
        women=0.45,
    ),
    DemoCentre(
        code="bbrspdi-kartini",
        name='BBRSPDI "Kartini"',
        kind=NATIONAL,
        clusters=(Cluster.PD,),
        village="33.23.03.1001",  # Temanggung I, Kabupaten Temanggung
        ages=(12, 40),
    ),
    DemoCentre(
        code="brspdsn-wyata-guna",
        name='BRSPDSN "Wyata Guna"',
        kind=NATIONAL,
        clusters=(Cluster.PD,),
        village="32.73.06.1004",  # Pasirkaliki, Cicendo, Kota Bandung
        ages=(12, 45),
    ),
    DemoCentre(
        code="brspdsn-tan-miyat",
        name='BRSPDSN "Tan Miyat"',
        kind=NATIONAL,
        clusters=(Cluster.PD,),
        village="32.75.01.1002",  # Margahayu, Bekasi Timur, Kota Bekasi
        ages=(15, 45),
    ),
    DemoCentre(
        code="brspdsrw-melati",
        name='BRSPDSRW "Melati"',
        kind=NATIONAL,
        clusters=(Cluster.PD,),
        village="31.75.10.1006",  # Bambu Apus, Cipayung, Jakarta Timur
        ages=(10, 35),
    ),
    DemoCentre(
        code="brspdf-wirajaya",
        name='BRSPDF "Wirajaya"',
        kind=NATIONAL,
        clusters=(Cluster.PD,),
        village="73.71.13.1006",  # Rappocini, Kota Makassar
        ages=(15, 50),
    ),
    DemoCentre(
        code="brspdm-phala-martha",
        name='BRSPDM "Phala Martha"',
        kind=NATIONAL,
        clusters=(Cluster.PD,),
        village="32.02.33.2004",  # Sukaraja, Kabupaten Sukabumi
        ages=(18, 55),
    ),
    DemoCentre(
        code="brsampk-handayani",
        name='BRSAMPK "Handayani"',
        kind=NATIONAL,
        clusters=(Cluster.ANAK,),
        village="31.75.10.1006",  # Bambu Apus, Cipayung, Jakarta Timur
        weight=10,
        ages=(6, 17),
    ),
    DemoCentre(
        code="brsampk-paramita",
        name='BRSAMPK "Paramita"',
        kind=NATIONAL,
        clusters=(Cluster.ANAK,),
        village="52.71.06.1004",  # Selagalas, Sandubaya, Kota Mataram
        ages=(6, 17),
    ),
    DemoCentre(
        code="brsampk-antasena",
        name='BRSAMPK "Antasena"',
        kind=NATIONAL,
        clusters=(Cluster.ANAK,),
        village="33.08.01.2008",  # Salaman, Kabupaten Magelang
        ages=(12, 17),
        women=0.2,
    ),
    DemoCentre(
        code="brslu-budhi-dharma",
        name='BRSLU "Budhi Dharma"',
        kind=NATIONAL,
        clusters=(Cluster.LU,),
        village="32.75.01.1002",  # Margahayu, Bekasi Timur, Kota Bekasi
        ages=(60, 90),
        women=0.6,
    ),
    DemoCentre(
        code="brslu-gau-mabaji",
        name='BRSLU "Gau Mabaji"',
        kind=NATIONAL,
        clusters=(Cluster.LU,),
        village="73.06.06.1001",  # Borongloe, Bontomarannu, Kabupaten Gowa
        ages=(60, 90),
        women=0.6,
    ),
    DemoCentre(
        code="brskpn-galih-pakuan",
        name='BRSKPN "Galih Pakuan"',
        kind=NATIONAL,
        clusters=(Cluster.KPN,),
        village="32.01.33.2001",  # Putat Nutug, Ciseeng, Kabupaten Bogor
        weight=6,
        ages=(15, 45),
        women=0.15,
    ),
    DemoCentre(
        code="brskpn-insyaf",
        name='BRSKPN "Insyaf"',
        kind=NATIONAL,
        clusters=(Cluster.KPN,),
        village="12.71.17.1005",  # Padang Bulan, Medan Baru, Kota Medan
        ages=(15, 45),
        women=0.15,
    ),
    DemoCentre(
        code="brsegp-pangudi-luhur",
        name='BRSEGP "Pangudi Luhur"',
        kind=NATIONAL,
        clusters=(Cluster.TS_KPO,),
        village="32.75.01.1002",  # Margahayu, Bekasi Timur, Kota Bekasi
        ages=(18, 65),
        women=0.4,
    ),
    DemoCentre(
        code="brs-mulya-jaya",
        name='BRS "Mulya Jaya"',
        kind=NATIONAL,
        clusters=(Cluster.TS_KPO,),
        village="31.75.05.1005",  # Pekayon, Pasar Rebo, Jakarta Timur
        ages=(16, 45),
        women=1.0,
    ),
    DemoCentre(
        # Vulnerable youth (school leavers, neglected adolescents): the children cluster.
        code="psbr-taruna-jaya-1",
        name="PSBR Taruna Jaya I",
        kind=PROVINCIAL,
        clusters=(Cluster.ANAK,),
        village="31.74.01.1002",  # Tebet Barat, Tebet, Jakarta Selatan
        address="Jl. Tebet Barat Raya, Jakarta Selatan",
        capacity=120,
        weight=8,
        ages=(15, 21),
        women=0.45,
    ),
)

CENTRES_BY_CODE = {centre.code: centre for centre in CENTRES}
