"""The vocabulary of the learning ecosystem as enums (see ../shared/DOMAIN.md).

Values are the slugs used in scenario YAML, results tables and app widgets; Dutch and
English display labels live next to them so that every view speaks the stakeholders'
words (wegwijzer, wijk, zien doen / samen doen / zelf doen).
"""
from __future__ import annotations

from enum import IntEnum, StrEnum


class Theme(StrEnum):
    """The five everyday themes of the Regina Mundi concept note."""

    ONTSPANNING = "ontspanning"
    MAKEN_EN_ONTWERPEN = "maken_en_ontwerpen"
    ETEN = "eten"
    KWEKEN_EN_NATUUR = "kweken_en_natuur"
    DENKEN_EN_BESPREKEN = "denken_en_bespreken"

    @property
    def label_nl(self) -> str:
        return _THEME_NL[self]

    @property
    def label_en(self) -> str:
        return _THEME_EN[self]


_THEME_NL = {
    Theme.ONTSPANNING: "Ontspanning",
    Theme.MAKEN_EN_ONTWERPEN: "Maken en ontwerpen",
    Theme.ETEN: "Eten",
    Theme.KWEKEN_EN_NATUUR: "Kweken en natuur",
    Theme.DENKEN_EN_BESPREKEN: "Denken en bespreken",
}
_THEME_EN = {
    Theme.ONTSPANNING: "Leisure",
    Theme.MAKEN_EN_ONTWERPEN: "Making and designing",
    Theme.ETEN: "Food",
    Theme.KWEKEN_EN_NATUUR: "Growing and nature",
    Theme.DENKEN_EN_BESPREKEN: "Thinking and discussing",
}
THEMES: tuple[Theme, ...] = tuple(Theme)


class Level(IntEnum):
    """Steps on a learning path (leerpad): none, then the three levels of talent development."""

    GEEN = 0
    ZIEN_DOEN = 1
    SAMEN_DOEN = 2
    ZELF_DOEN = 3

    @property
    def slug(self) -> str:
        return self.name.lower()

    @property
    def label_nl(self) -> str:
        return ("geen", "zien doen", "samen doen", "zelf doen")[self]

    @property
    def label_en(self) -> str:
        return ("none", "see it done", "do it together", "do it yourself")[self]

    @classmethod
    def from_slug(cls, value: "str | int | Level") -> "Level":
        if isinstance(value, Level):
            return value
        if isinstance(value, int):
            return cls(value)
        key = str(value).strip().lower().replace(" ", "_").replace("-", "_")
        try:
            return cls[key.upper()]
        except KeyError:
            allowed = ", ".join(level.slug for level in cls if level)
            raise ValueError(f"unknown level {value!r}; use one of: {allowed}") from None


OFFER_LEVELS: tuple[Level, ...] = (Level.ZIEN_DOEN, Level.SAMEN_DOEN, Level.ZELF_DOEN)


class Mode(StrEnum):
    """How a resident travels to an offer."""

    WALK = "walk"
    BIKE = "bike"
    CAR = "car"

    @property
    def label_nl(self) -> str:
        return {"walk": "te voet", "bike": "fiets", "car": "auto"}[self.value]


class ProviderType(StrEnum):
    """Kinds of actors in the ecosystem named by the source document."""

    SCHOOL = "school"
    CHILDCARE = "childcare"  # BSO / naschoolse opvang, Huis van het Kind
    ACADEMY = "academy"  # music, arts academies
    LIBRARY = "library"
    MUSEUM = "museum"  # museums, arts centres, science centres
    YOUTH_WORK = "youth_work"  # jeugdwerk, jeugdhuizen
    NEIGHBOURHOOD_WORK = "neighbourhood_work"  # wijkwerking, buurthuizen
    SPORTS_CLUB = "sports_club"
    MAKERSPACE = "makerspace"
    COMPANY = "company"  # Thor Park, T2-Campus partners
    CRAFTSPERSON = "craftsperson"
    CITY_SERVICE = "city_service"
    RESIDENT = "resident"  # learners who became teachers

    @property
    def label_nl(self) -> str:
        return _PROVIDER_NL[self]


_PROVIDER_NL = {
    ProviderType.SCHOOL: "school",
    ProviderType.CHILDCARE: "kinderopvang / Huis van het Kind",
    ProviderType.ACADEMY: "academie",
    ProviderType.LIBRARY: "bibliotheek",
    ProviderType.MUSEUM: "museum / kunstencentrum",
    ProviderType.YOUTH_WORK: "jeugdwerk",
    ProviderType.NEIGHBOURHOOD_WORK: "wijkwerking",
    ProviderType.SPORTS_CLUB: "sportclub",
    ProviderType.MAKERSPACE: "maakplaats",
    ProviderType.COMPANY: "bedrijf",
    ProviderType.CRAFTSPERSON: "ambachtsman",
    ProviderType.CITY_SERVICE: "stadsdienst",
    ProviderType.RESIDENT: "bewoner (lerende wordt leraar)",
}


class Channel(StrEnum):
    """Ways a resident comes to know an offer (wegwijzer channels and others)."""

    INITIAL = "initial"  # known before the pilot starts (own school, own wijk)
    WEBSITE = "website"
    DESK = "desk"  # a person behind a provider's desk
    MAGAZINE = "magazine"
    MENTOR = "mentor"
    FRIENDS = "friends"
    SHOWCASE = "showcase"  # zien doen near the central site
    REFERRAL = "referral"  # after an activity, onward to the next step
    MATCHMAKING = "matchmaking"
    PLATFORM = "platform"  # the playlist platform itself (LRNG), found online


class Opportunity(StrEnum):
    """Real-world experiences a badge unlocks (LRNG, Flanders vision)."""

    INTERNSHIP = "internship"
    WORKSHOP = "workshop"
    COACHING = "coaching"


class MeansGroup(StrEnum):
    LOW = "low"
    OTHER = "other"


AGE_GROUPS: tuple[tuple[str, int, int], ...] = (
    ("0-5", 0, 5),
    ("6-11", 6, 11),
    ("12-17", 12, 17),
    ("18-24", 18, 24),
    ("25-64", 25, 64),
    ("65+", 65, 200),
)
"""Statbel's age groups, used for results by age group."""
