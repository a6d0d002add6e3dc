"""Places of birth in the scenario (SIS Art. 20(3)(f)): each family comes from one town of its
country of origin (more from the big ones), and a record keeper writes it down or not, in one
of its spellings, with the province after it or only the province, and now and then the child
names another place (where the family lived later). Many Afghan children were born in Iran.
Each draw has a generator of its own, seeded by scenario, family and record, so the rest of a
scenario is the same as without places of birth.
"""

from __future__ import annotations

import random
from typing import Any

from .model import Child
from .profiles import current

# Per origin, most common first: the town's spellings, then its province's ("|" between
# spellings; the first is the usual English one), and the country when not the origin.
_PLACES: dict[str, tuple[tuple[str, ...], ...]] = {
    "AFG": (
        ("Kabul|Kaboul|Kabol", "Kabul"),
        ("Mashhad|Mashad|Meschhed", "Khorasan Razavi|Khorasan", "IRN"),
        ("Jalalabad|Jalal Abad|Djalalabad|Dschalalabad", "Nangarhar|Ningarhar"),
        ("Herat|Hirat|Hérat", "Herat"),
        ("Tehran|Teheran|Téhéran", "Tehran", "IRN"),
        ("Mazar-i-Sharif|Mazar-e Sharif|Mazari Sharif|Masar-e Scharif", "Balkh"),
        ("Kunduz|Kondoz|Qunduz", "Kunduz|Kondoz"),
        ("Ghazni|Ghazny|Gasni", "Ghazni"),
        ("Jaghori|Jaghuri|Djaghori", "Ghazni"),
        ("Khost|Khowst|Chost", "Khost|Khowst"),
        ("Pul-e Khumri|Pol-e Khomri|Puli Khumri", "Baghlan"),
        ("Isfahan|Esfahan|Ispahan", "Isfahan|Esfahan", "IRN"),
        ("Maidan Shahr|Maydan Shahr|Meydan Schahr", "Wardak|Maidan Wardak"),
        ("Lashkar Gah|Lashkargah|Laschkar Gah", "Helmand|Hilmand"),
        ("Asadabad|Asad Abad", "Kunar|Konar"),
    ),
    "SYR": (
        ("Aleppo|Halab|Alep|Haleb", "Aleppo|Halab"),
        ("Damascus|Dimashq|Damas|Damaskus", "Rif Dimashq|Damascus"),
        ("Idlib|Idleb|Edlib", "Idlib|Idleb"),
        ("Homs|Hims|Hums", "Homs"),
        ("Deir ez-Zor|Deir al-Zour|Dayr az Zawr|Deir Ezzor", "Deir ez-Zor|Deir Ezzor"),
        ("Raqqa|Al-Raqqah|Rakka", "Raqqa|Ar-Raqqah"),
        ("Daraa|Deraa|Dar'a", "Daraa|Deraa"),
        ("Qamishli|Al-Qamishli|Kamishli|Qamishlo", "Al-Hasakah|Hassake"),
        ("Hama|Hamah|Hamaa", "Hama|Hamah"),
        ("Kobani|Ain al-Arab|Kobane", "Aleppo|Halab"),
        ("Latakia|Lattakia|Lattaquié", "Latakia|Lattakia"),
    ),
    "IRQ": (
        ("Mosul|Al-Mawsil|Mossoul|Mossul", "Nineveh|Ninawa|Ninive"),
        ("Baghdad|Bagdad", "Baghdad|Bagdad"),
        ("Erbil|Arbil|Hawler|Hewlêr", "Erbil|Arbil"),
        ("Sinjar|Shingal|Shengal|Sindschar", "Nineveh|Ninawa"),
        ("Duhok|Dohuk|Dahuk", "Duhok|Dohuk"),
        ("Sulaymaniyah|Sulaimani|Slemani|Suleimaniya", "Sulaymaniyah|Sulaimani"),
        ("Kirkuk|Kerkuk|Kirkouk", "Kirkuk|Kerkuk"),
        ("Zakho|Zakhu|Zaxo|Sacho", "Duhok|Dohuk"),
        ("Basra|Basrah|Al-Basra|Bassora", "Basra|Basrah"),
        ("Ramadi|Ar-Ramadi|Ramadie", "Anbar|Al-Anbar"),
    ),
    "ERI": (
        ("Asmara|Asmera", "Maekel|Central"),
        ("Keren|Kheren|Karen", "Anseba"),
        ("Mendefera|Mendefra|Adi Ugri", "Debub|Southern"),
        ("Dekemhare|Dekemhere|Dekamhare", "Debub|Southern"),
        ("Adi Keyh|Adi Keih|Adi Kaih", "Debub|Southern"),
        ("Barentu|Barento", "Gash-Barka|Gash Barka"),
        ("Tesseney|Teseney|Tessenei", "Gash-Barka|Gash Barka"),
        ("Massawa|Massaua|Mitsiwa", "Northern Red Sea|Semienawi Keyih Bahri"),
        ("Segeneiti|Segheneyti|Segenaiti", "Debub|Southern"),
    ),
    "SOM": (
        ("Mogadishu|Muqdisho|Mogadiscio|Mogadischu", "Banaadir|Benadir"),
        ("Hargeisa|Hargeysa|Hargaysa", "Woqooyi Galbeed|Maroodi Jeex"),
        ("Kismayo|Kismaayo|Chisimaio", "Lower Juba|Jubbada Hoose"),
        ("Baidoa|Baydhabo|Baydhaba", "Bay"),
        ("Beledweyne|Beledweyn|Belet Weyne|Baladweyne", "Hiiraan|Hiran"),
        ("Galkayo|Gaalkacyo|Galcaio", "Mudug"),
        ("Bosaso|Boosaaso|Bossaso", "Bari"),
        ("Afgoye|Afgooye|Afgoi", "Lower Shabelle|Shabeellaha Hoose"),
        ("Marka|Merca|Merka", "Lower Shabelle|Shabeellaha Hoose"),
    ),
    "GIN": (
        ("Conakry|Konakry|Conakri", "Conakry"),
        ("Labé|Labe", "Labé|Labe"),
        ("Kankan|Kan-Kan", "Kankan"),
        ("Nzérékoré|N'Zérékoré|Nzerekore", "Nzérékoré|Nzerekore"),
        ("Kindia|Kindiah", "Kindia"),
        ("Mamou|Mamu", "Mamou"),
        ("Kissidougou|Kissidugu", "Faranah"),
        ("Siguiri|Siguri", "Kankan"),
        ("Boké|Boke", "Boké|Boke"),
        ("Pita|Pitah", "Mamou"),
    ),
    "MAR": (
        ("Casablanca|Dar el Beida|Casa", "Casablanca-Settat|Grand Casablanca"),
        ("Tangier|Tanger|Tanja|Tangiers", "Tanger-Tétouan-Al Hoceïma|Tanger-Tetouan"),
        ("Beni Mellal|Béni-Mellal|Bni Mellal", "Béni Mellal-Khénifra|Beni Mellal-Khenifra"),
        ("Fes|Fès|Fez", "Fès-Meknès|Fes-Meknes"),
        ("Oujda|Ujda|Oudjda", "Oriental|L'Oriental"),
        ("Nador|Nadur", "Oriental|L'Oriental"),
        ("Marrakech|Marrakesh|Marrakesch", "Marrakech-Safi|Marrakesh-Safi"),
        ("Tetouan|Tétouan|Tetuan", "Tanger-Tétouan-Al Hoceïma|Tanger-Tetouan"),
        ("Al Hoceima|Al-Hoceïma|Alhucemas", "Tanger-Tétouan-Al Hoceïma|Tanger-Tetouan"),
        ("Khouribga|Khuribga|Churibga", "Béni Mellal-Khénifra|Beni Mellal-Khenifra"),
    ),
    "SDN": (
        ("Khartoum|Khartum|Al-Khartum", "Khartoum|Khartum"),
        ("El Geneina|Al-Junaynah|Geneina|Al Jenina", "West Darfur|Gharb Darfur"),
        ("Nyala|Niyala", "South Darfur|Janub Darfur"),
        ("Omdurman|Umm Durman|Omdourman", "Khartoum|Khartum"),
        ("El Fasher|Al-Fashir|Al Fasher|Fasher", "North Darfur|Shamal Darfur"),
        ("Zalingei|Zalinge|Zalingi", "Central Darfur|Wasat Darfur"),
        ("Kassala|Kasala", "Kassala|Kasala"),
        ("El Obeid|Al-Ubayyid|El-Obeid", "North Kordofan|Shamal Kurdufan"),
        ("Wad Madani|Wad Medani", "Gezira|Al Jazirah"),
        ("Port Sudan|Bur Sudan|Port-Soudan", "Red Sea|Al Bahr al Ahmar"),
    ),
}


def _entry(seed: int, child: Child) -> tuple[str, ...] | None:
    """The family's place of birth: siblings and cousins were born where their family lived."""
    places = _PLACES.get(child.origin)
    if not places:
        return None
    rng = random.Random(f"birthplace/{seed}/{child.family_id}")
    weights = [1.0 / (rank + 1) for rank in range(len(places))]
    return rng.choices(places, weights=weights)[0]


def _spelling(rng: random.Random, spellings: str) -> str:
    options = spellings.split("|")
    first = current().birthplace_first_spelling
    if len(options) == 1 or rng.random() < first:
        return options[0]
    return rng.choice(options[1:])


def _written(rng: random.Random, entry: tuple[str, ...], origin: str) -> dict[str, Any]:
    """One record keeper's writing of a place: the town (perhaps with its province after it) or
    only the province; the country when the keeper writes one."""
    profile = current()
    town, province = entry[0], entry[1]
    if rng.random() < profile.birthplace_province_only:
        place = _spelling(rng, province)
        if rng.random() < 0.3:
            place += " province"
    else:
        place = _spelling(rng, town)
        if rng.random() < profile.birthplace_with_province:
            place += ", " + _spelling(rng, province)
    written: dict[str, Any] = {"place": place}
    if rng.random() < 0.7:
        written["country"] = entry[2] if len(entry) > 2 else origin
    return written


def recorded_birthplace(
    seed: int, child: Child, record_id: str, share: float
) -> dict[str, Any] | None:
    """The place of birth a record of the child gives, if its keeper asked (`share` of them)."""
    entry = _entry(seed, child)
    if entry is None:
        return None
    rng = random.Random(f"birthplace/{seed}/{record_id}")
    if rng.random() >= share:
        return None
    if rng.random() < current().birthplace_misstated:
        # The child names where the family lived later, or the interpreter heard another place.
        others = [e for e in _PLACES[child.origin] if e is not entry]
        entry = rng.choice(others)
    return _written(rng, entry, child.origin)
