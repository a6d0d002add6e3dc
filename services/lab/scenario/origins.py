"""Countries of origin for the synthetic scenario: name pools, naming traditions, languages.

Pools are ordered by frequency; the generator draws from them with Zipf-like weights so
that a handful of names (Mohammed, Ahmad, Ali, Diallo, ...) are shared by many children.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Tradition(Enum):
    """How a child's name is built in the records of that origin."""

    FAMILY = "family"  # given name(s) + inherited family name
    PATRONYMIC = "patronymic"  # given + father's given + grandfather's given, no family name
    AFGHAN = "afghan"  # a single name, sometimes a tribal or chosen family name


@dataclass(frozen=True)
class Origin:
    """One country of origin with everything the generator draws from."""

    code: str
    tradition: Tradition
    script: str | None  # native script of names, when records may use it
    male: tuple[str, ...]
    female: tuple[str, ...]
    family: tuple[str, ...]
    elders: tuple[str, ...]  # extra given names of fathers and grandfathers
    languages: tuple[tuple[str, ...], ...]  # alternative language sets, most common first
    confused_with: tuple[str, ...]  # nationalities recorded by mistake
    male_share: float
    routes: tuple[tuple[str, float], ...]  # route name and probability
    weight: float  # share of the scenario's children


_ARABIC_MALE = (
    "Mohammed", "Ahmad", "Ali", "Omar", "Hassan", "Hussein", "Yusuf", "Ibrahim", "Khaled",
    "Mahmoud", "Mustafa", "Abdulrahman", "Abdullah", "Hamza", "Karim", "Amir", "Anas", "Bilal",
    "Zakaria", "Tareq", "Walid", "Idris", "Ismail", "Qasim", "Rashid", "Said", "Majid", "Yassin",
    "Adam", "Abdulaziz", "Suleiman", "Musa", "Osman",
)
_ARABIC_FEMALE = (
    "Fatima", "Aisha", "Maryam", "Zainab", "Sara", "Huda", "Layla", "Amina", "Khadija", "Yasmin",
    "Rahaf", "Salma", "Nour",
)

ORIGINS: dict[str, Origin] = {
    "AFG": Origin(
        code="AFG", tradition=Tradition.AFGHAN, script="Arab",
        male=("Mohammad", "Ahmad", "Ali", "Mustafa", "Hamid", "Jawad", "Reza", "Hussain", "Hassan",
              "Mahdi", "Morteza", "Abdullah", "Rahmatullah", "Sajjad", "Naqibullah", "Habibullah",
              "Samiullah", "Zabihullah", "Ismail", "Bilal", "Farhad", "Omid", "Jamshid", "Wahid",
              "Rohullah", "Shafiq", "Nasir", "Khalil", "Ramin", "Sultan", "Karim", "Elyas", "Noor"),
        female=("Fatima", "Maryam", "Zahra", "Masooma", "Sakina", "Nargis", "Shabnam", "Freshta",
                "Zainab"),
        family=("Ahmadi", "Mohammadi", "Rahimi", "Hussaini", "Haidari", "Rezaei", "Jafari",
                "Karimi", "Noori", "Hashimi", "Sultani", "Azizi", "Habibi", "Amiri", "Stanikzai",
                "Shinwari", "Achakzai", "Wardak", "Popal", "Safi"),
        elders=("Ghulam", "Abdul Ghafoor", "Noor Mohammad", "Abdul Qadir", "Sayed Ahmad", "Juma",
                "Dost Mohammad", "Sher Ali"),
        languages=(("prs",), ("pus",), ("prs", "pus"), ("haz",)),
        confused_with=("IRN", "PAK"), male_share=0.93,
        routes=(("balkans", 0.85), ("central", 0.15)), weight=0.24,
    ),
    "SYR": Origin(
        code="SYR", tradition=Tradition.FAMILY, script="Arab",
        male=_ARABIC_MALE, female=_ARABIC_FEMALE,
        family=("al-Hassan", "al-Ahmad", "al-Ali", "al-Hussein", "al-Khatib", "al-Omar",
                "al-Masri", "al-Halabi", "Haddad", "Darwish", "Hamdan", "Qassem", "Mansour",
                "Najjar", "Kurdi", "Jaber"),
        elders=("Mohammed", "Ahmad", "Khaled", "Mahmoud", "Hassan", "Abdullah", "Omar"),
        languages=(("apc",), ("ara",), ("kmr",), ("apc", "kmr")),
        confused_with=("IRQ", "LBN"), male_share=0.85,
        routes=(("balkans", 0.8), ("central", 0.2)), weight=0.14,
    ),
    "IRQ": Origin(
        code="IRQ", tradition=Tradition.FAMILY, script="Arab",
        male=("Mohammed", "Ali", "Hussein", "Abbas", "Haider", "Mustafa", "Ahmed", "Omar", "Karrar",
              "Sajjad", "Murtadha", "Zaid", "Hassan", "Yassin", "Abdullah", "Karwan", "Dilshad"),
        female=_ARABIC_FEMALE,
        family=("al-Jubouri", "al-Obaidi", "al-Tamimi", "al-Dulaimi", "al-Saadi", "al-Shammari",
                "Barzani", "al-Ali", "Haddad"),
        elders=("Mohammed", "Ali", "Hussein", "Abbas", "Kadhim", "Jasim"),
        languages=(("acm",), ("ckb",), ("kmr",), ("ara",)),
        confused_with=("SYR", "IRN"), male_share=0.85,
        routes=(("balkans", 0.9), ("central", 0.1)), weight=0.07,
    ),
    "ERI": Origin(
        code="ERI", tradition=Tradition.PATRONYMIC, script="Ethi",
        male=("Yonas", "Filmon", "Semere", "Robel", "Natnael", "Amanuel", "Henok", "Biniam",
              "Yohannes", "Daniel", "Samuel", "Abraham", "Mussie", "Efrem", "Mehari", "Habtom",
              "Goitom", "Tesfalem", "Kibrom", "Merhawi", "Senay", "Dawit", "Aron", "Medhanie"),
        female=("Senait", "Helen", "Luwam", "Selam", "Tsega", "Aster", "Saba", "Feven", "Winta",
                "Eden", "Yordanos"),
        family=(),
        elders=("Tesfay", "Haile", "Kidane", "Berhane", "Ghebremedhin", "Tekle", "Weldu",
                "Kahsay", "Asmerom", "Gebremichael", "Tesfamariam", "Woldemariam", "Habte",
                "Ghirmay", "Mebrahtu", "Zerai", "Okbay", "Yemane", "Tewelde", "Negash"),
        languages=(("tir",), ("tir", "amh"), ("tig",)),
        confused_with=("ETH",), male_share=0.75,
        routes=(("central", 1.0),), weight=0.15,
    ),
    "SOM": Origin(
        code="SOM", tradition=Tradition.PATRONYMIC, script=None,
        male=("Mohamed", "Abdi", "Ahmed", "Abdirahman", "Abdullahi", "Hassan", "Ali", "Omar",
              "Yusuf", "Ibrahim", "Abdiaziz", "Mustafa", "Hamza", "Liban", "Abdiwali", "Said",
              "Farah", "Guled", "Mahad", "Bashir", "Hussein", "Ismail", "Osman"),
        female=("Fadumo", "Hodan", "Amina", "Sahra", "Halima", "Asha", "Nimco", "Hibo", "Ifrah",
                "Ayan", "Deqa"),
        family=(),
        elders=("Mohamed", "Ahmed", "Ali", "Hassan", "Abdi", "Farah", "Jama", "Warsame", "Hersi",
                "Aden", "Osman", "Ismail", "Elmi", "Abdullahi", "Mohamud", "Dahir", "Guled"),
        languages=(("som",), ("som", "ara")),
        confused_with=("ETH", "KEN"), male_share=0.7,
        routes=(("central", 1.0),), weight=0.1,
    ),
    "GIN": Origin(
        code="GIN", tradition=Tradition.FAMILY, script=None,
        male=("Mamadou", "Alpha", "Ibrahima", "Ousmane", "Abdoulaye", "Amadou", "Thierno",
              "Boubacar", "Mohamed", "Sekou", "Lansana", "Mamadou Saliou", "Mamadou Aliou",
              "Souleymane", "Alseny", "Aboubacar", "Moussa", "Fode", "Kerfalla", "Sory"),
        female=("Fatoumata", "Aissatou", "Mariama", "Kadiatou", "Hawa", "Aminata", "Djenabou",
                "Oumou", "Fanta"),
        family=("Diallo", "Bah", "Barry", "Sow", "Balde", "Camara", "Conde", "Sylla", "Toure",
                "Keita", "Kourouma", "Soumah", "Bangoura", "Cisse", "Traore", "Kaba", "Fofana"),
        elders=("Mamadou", "Alpha", "Ibrahima", "Amadou", "Thierno", "Sekou", "Lansana"),
        languages=(("fuf",), ("sus",), ("emk",), ("fuf", "fra"), ("ful",)),
        confused_with=("SEN", "MLI", "SLE"), male_share=0.85,
        routes=(("central", 0.7), ("western", 0.3)), weight=0.12,
    ),
    "MAR": Origin(
        code="MAR", tradition=Tradition.FAMILY, script="Arab",
        male=("Mohamed", "Youssef", "Ayoub", "Hamza", "Amine", "Anas", "Othmane", "Zakaria",
              "Soufiane", "Ilyas", "Mehdi", "Yassin", "Omar", "Adam", "Bilal", "Ismail", "Reza",
              "Younes", "Abdelilah"),
        female=("Fatima", "Khadija", "Maryam", "Salma", "Yasmin", "Aisha", "Zainab"),
        family=("El Amrani", "Benali", "El Idrissi", "Alaoui", "Bennani", "Tazi", "El Fassi",
                "Chraibi", "Ouazzani", "Bouzid", "Belhaj", "El Khattabi"),
        elders=("Mohamed", "Ahmed", "Abdelkader", "Hassan", "Mustafa", "Driss", "Lahcen",
                "Brahim", "Mbarek"),
        languages=(("ary",), ("ary", "fra"), ("rif",), ("zgh",)),
        confused_with=("DZA",), male_share=0.95,
        routes=(("western", 0.9), ("central", 0.1)), weight=0.1,
    ),
    "SDN": Origin(
        code="SDN", tradition=Tradition.PATRONYMIC, script="Arab",
        male=("Mohamed", "Ahmed", "Osman", "Abdelrahman", "Ibrahim", "Adam", "Yousif", "Musa",
              "Ishag", "Abdalla", "Elfatih", "Hamid", "Bashir", "Omer", "Mustafa", "Abdelaziz",
              "Hassan", "Ali", "Salih", "Khalid"),
        female=("Fatima", "Amina", "Maryam", "Aisha", "Khadija", "Huda", "Salma"),
        family=(),
        elders=("Mohamed", "Ahmed", "Osman", "Babiker", "Siddig", "Hamad", "Adam", "Ibrahim",
                "Abdalla", "Musa", "Salih"),
        languages=(("apd",), ("ara",), ("fvr",), ("apd", "mls")),
        confused_with=("TCD", "SSD"), male_share=0.9,
        routes=(("central", 1.0),), weight=0.08,
    ),
}
