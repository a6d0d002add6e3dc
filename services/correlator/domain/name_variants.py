"""Hand-made transliteration groups for names common on the migration routes.

rigour's cross-script symbols cover most Arabic and Persian names but not Ge'ez or Somali
orthography everywhere, and they miss some West African spellings; these groups close the gaps.
Each line is one name: the first spelling is the group's canonical key.
"""

from __future__ import annotations

_GROUPS = """
muhammad mohammed mohammad mohamed mohamad muhammed mohamud maxamed mahamat mouhamed muhamad
 mehmet mohammod muhamed mohamet mouhammad mamadou mamadu mamoudou mohmmed mohmed
ahmad ahmed axmed ahmet ahmadou amadou ahmedou
mahmud mahmoud mahmood maxamuud mahamoud
hussein husain hossein hussain husein xuseen hosein hussien huseyn
hassan hasan xasan hassen hasen
yusuf youssef yousef yusef yousuf yussuf yosef yousif yusif yuusuf
ali cali aly
abdi cabdi abdie
umar omar cumar omer oumar
uthman osman usman cismaan othman ousmane usmaan
ibrahim ebrahim ibraahim ibrahima brahim ibraheem
ismail esmail ismaaciil ismael ismaila
abdallah abdullah abdullahi cabdullahi abdulah abdella abdoulaye
abdrahman abdirahman cabdiraxmaan abdurahman abdarahman
abdkadir abdikadir abdulqadir abdelkader abdulkader cabdiqaadir abdiqadir
yohannes yohanes johannes yohanis yohanns yohans
tesfay tesfaye tesfai tesfa
gebremedhin gebremedin ghebremedhin gabramadhn
haile hayle haylay hailay
mehari mihret
tekle tekla teklay
kidane kidan
berhane berhe birhane berhan
semere semre
yonas yonatan
dawit dawet
mikael michael mikail
reza raza rida rza
mehdi mahdi mahadi
jawad javad jawed
wahid vahid waheed
zahra zahraa
fatima fatemeh faadumo fatma fatouma fatoumata fatmh
amina aminata aamina
mariam maryam mariama maryan
khadija khadidja khadiija kadiatou
aisha aicha ayesha caasha aishah
farah faarax
jama jaamac
nur nuur noor
sayed sayyid said saeed sayid
abubakr abubakar abubakari aboubacar abubaker
mustafa mostafa mustapha
khalid khaled
karim kareem
rahim raheem
najib najeeb
ghulam gholam golam ghlam
sultan soltan
amir ameer emir
idris idriss idrees
suleiman sulayman souleymane soleiman suleyman
daouda dawud dawood daud
alpha alfa
sekou sekouba
lamine lamin alamine
diallo jallo jalloh
bah ba
barry bari
camara kamara
sow sowe
""".strip()


def _build() -> dict[str, str]:
    table: dict[str, str] = {}
    for line in _GROUPS.replace("\n ", " ").splitlines():
        words = line.split()
        for word in words:
            table.setdefault(word, words[0])
    return table


VARIANT_GROUPS: dict[str, str] = _build()
