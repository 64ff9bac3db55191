"""Words on the workshop screen, in Dutch (default) and English.

Domain words stay Dutch in both languages where the stakeholders use them (wegwijzer,
wijk, leerpad, leerclub); English adds a gloss. Labels of model parameters and
indicators are not repeated here: they come from the scenario schema
(``label_nl``/``label_en``) and from :data:`model.indicators.INDICATORS`.
"""
from __future__ import annotations

from model.domain import Level, Opportunity, ProviderType, Theme

LANGS = ("nl", "en")

TEXT: dict[str, tuple[str, str]] = {
    # header and general
    "app_title": ("Leerecosysteem Genk: de werktafel", "Leerecosysteem Genk: the workshop table"),
    "language": ("Taal", "Language"),
    "undo": ("↶ Ongedaan maken", "↶ Undo"),
    "undo_none": ("Er is niets om ongedaan te maken.", "There is nothing to undo."),
    "undone": ("Ongedaan gemaakt: {what}", "Undone: {what}"),
    "run": ("▶ Simuleer de pilootperiode", "▶ Simulate the pilot period"),
    "run_full": ("Volledige bevolking (trager)", "Full population (slower)"),
    "running": ("Bezig met simuleren… week {week} van {weeks}", "Simulating… week {week} of {weeks}"),
    "run_done": ("Klaar: {seeds} runs van {weeks} weken met {pct}% van de bevolking in {secs:.2f} s.",
                 "Done: {seeds} runs of {weeks} weeks with {pct}% of the population in {secs:.2f} s."),
    "run_failed": ("De simulatie is mislukt: {error}. De vorige resultaten blijven staan.",
                   "The simulation failed: {error}. The previous results are kept."),
    "run_busy": ("Er loopt al een simulatie; wacht tot ze klaar is.", "A simulation is already running; wait for it to finish."),
    "scale": ("Bevolkingsschaal", "Population scale"),
    "seeds": ("Herhalingen (seeds)", "Replicates (seeds)"),
    "refused": ("Geweigerd: {why}", "Refused: {why}"),
    "out_of_range": ("{label} = {value} ligt buiten het toegelaten bereik {lo} tot {hi} {unit}",
                     "{label} = {value} is outside the allowed range {lo} to {hi} {unit}"),
    "not_a_number": ("{label}: '{value}' is geen getal", "{label}: '{value}' is not a number"),
    "changed": ("Gewijzigd: {what}", "Changed: {what}"),
    # tabs
    "tab_offers": ("Aanbod", "Offers"),
    "tab_site": ("Centrale plek", "Central site"),
    "tab_levers": ("Budgetten", "Budgets"),
    "tab_results": ("Resultaten", "Results"),
    "tab_compare": ("Vergelijk", "Compare"),
    "tab_save": ("Bewaar", "Save"),
    # map
    "map_indicator": ("Kleur de wijken volgens", "Colour the wijken by"),
    "tiles": ("Achtergrondkaart (alleen online)", "Background tiles (online only)"),
    "map_hint": ("Tik op de kaart om een plek voor nieuw aanbod te kiezen; de wijk verschijnt hieronder.",
                 "Tap the map to choose a place for a new offer; the wijk is shown below."),
    "network_date": ("Wegennet: OpenStreetMap, stand {date}", "Street network: OpenStreetMap as of {date}"),
    "no_results_yet": ("nog geen simulatie: druk op ▶", "no simulation yet: press ▶"),
    "legend_themes": ("Thema (kleur)", "Theme (colour)"),
    "legend_levels": ("Niveau (vorm)", "Level (shape)"),
    "legend_other": ("Kaart", "Map"),
    "legend_site": ("★ centrale plek", "★ central site"),
    "legend_venue": ("○ locatie (aanbieder)", "○ venue (provider)"),
    "legend_proposed": ("✚ gekozen plek", "✚ chosen place"),
    "legend_workshop": ("groot = aanbod van de werktafel", "large = offer placed at this table"),
    "legend_bus": ("· bushalte, — spoor (grijs), — water (blauw)", "· bus stop, — railway (grey), — water (blue)"),
    "wijk_info": ("Wijk {wijk}: {label} = {value}", "Wijk {wijk}: {label} = {value}"),
    "point_outside": ("Dit punt ligt buiten Genk; kies een plek binnen de gemeente.",
                      "This point lies outside Genk; choose a place inside the municipality."),
    "point_chosen": ("Gekozen plek: {where} (wijk {wijk}).", "Chosen place: {where} (wijk {wijk})."),
    # catchment
    "catchment": ("Bereikbaarheid van de gekozen plek", "Reach of the chosen place"),
    "catchment_minutes": ("Binnen (minuten)", "Within (minutes)"),
    "catchment_mode": ("Te voet of met de fiets", "On foot or by bike"),
    "walk": ("te voet", "on foot"),
    "bike": ("fiets", "bike"),
    "catchment_text": ("{people} bewoners ({share:.0f}% van Genk) wonen binnen {minutes} min {mode} van {where}.",
                       "{people} residents ({share:.0f}% of Genk) live within {minutes} min {mode} of {where}."),
    "catchment_label": ("Binnen {minutes} min {mode} van de gekozen plek", "Within {minutes} min {mode} of the chosen place"),
    "catchment_meaning": ("aandeel bewoners van de wijk dat de gekozen plek snel bereikt (vóór elke simulatie)",
                          "share of the wijk's residents who reach the chosen place quickly (before any simulation)"),
    # offers
    "place_how": ("1. Kies een plek: tik op de kaart, kies een locatie of typ een adres in Genk.",
                  "1. Choose a place: tap the map, pick a venue or type an address in Genk."),
    "venue": ("Locatie", "Venue"),
    "venue_none": ("(kies een locatie)", "(pick a venue)"),
    "address": ("Adres in Genk (straat en huisnummer)", "Address in Genk (street and number)"),
    "find_address": ("Zoek adres", "Find address"),
    "at_site": ("Op de centrale plek", "At the central site"),
    "offer_fields": ("2. Beschrijf het aanbod.", "2. Describe the offer."),
    "title": ("Titel", "Title"),
    "provider": ("Aanbieder", "Provider"),
    "provider_type": ("Soort aanbieder", "Kind of provider"),
    "themes": ("Thema's", "Themes"),
    "level": ("Niveau", "Level"),
    "badge": ("Levert een badge op", "Awards a badge"),
    "add_offer": ("✚ Voeg aanbod toe op de gekozen plek", "✚ Add offer at the chosen place"),
    "update_offer": ("✎ Bewaar wijzigingen aan dit aanbod", "✎ Apply changes to this offer"),
    "move_offer": ("⇄ Verplaats naar de gekozen plek", "⇄ Move to the chosen place"),
    "remove_offer": ("✖ Verwijder dit aanbod", "✖ Remove this offer"),
    "offers_list": ("3. Aanbod van deze werktafel", "3. Offers placed at this table"),
    "no_offers": ("Nog geen aanbod geplaatst.", "No offers placed yet."),
    "offer_added": ("Aanbod '{title}' toegevoegd in {wijk}.", "Offer '{title}' added in {wijk}."),
    "offer_moved": ("Aanbod '{title}' verplaatst naar {wijk}.", "Offer '{title}' moved to {wijk}."),
    "offer_removed": ("Aanbod '{title}' verwijderd.", "Offer '{title}' removed."),
    "offer_updated": ("Aanbod '{title}' aangepast.", "Offer '{title}' changed."),
    "offer_no_place": ("Een aanbod zonder plek kan niet: tik eerst op de kaart, kies een locatie of typ een adres.",
                       "An offer needs a place: tap the map, pick a venue or type an address first."),
    "offer_unknown": ("Er is geen aanbod '{offer_id}' op deze werktafel.", "There is no offer '{offer_id}' at this table."),
    "offer_no_theme": ("Kies minstens één thema.", "Choose at least one theme."),
    "select_offer": ("Kies een aanbod om te wijzigen", "Choose an offer to change"),
    "new_offer": ("(nieuw aanbod)", "(new offer)"),
    "address_not_found": ("Dit adres ligt niet in Genk (CRAB): {why}", "This address is not in Genk (CRAB): {why}"),
    "online": ("online", "online"),
    "central_site": ("centrale plek", "central site"),
    # site
    "site_enabled": ("Er is een centrale plek", "There is a central site"),
    "site_place": ("Welke plek", "Which site"),
    "site_name": ("Naam van de plek", "Name of the site"),
    "permanent_providers": ("Vaste bewoners (aanbieders)", "Permanent residents (providers)"),
    "guest_providers": ("Gasten (wisselend)", "Guests (rotating)"),
    "rooms": ("Ruimtes en hun capaciteit", "Rooms and their capacity"),
    "room_name": ("Naam ruimte", "Room name"),
    "add_room": ("✚ Ruimte", "✚ Room"),
    "remove_room": ("✖ Laatste ruimte weg", "✖ Remove last room"),
    "site_moved": ("Centrale plek is nu {name}.", "The central site is now {name}."),
    "opportunity_kinds": ("Soorten kansen", "Kinds of opportunities"),
    # levers: section titles
    "sec_catalogue": ("Bestaand aanbod (catalogus)", "Today's offer (catalogue)"),
    "sec_central_site": ("Centrale plek", "Central site"),
    "sec_wegwijzer": ("Wegwijzer", "Wegwijzer (signposting)"),
    "sec_mentors": ("Mentoren", "Mentors"),
    "sec_clubs": ("Leerclubs en clubbudget", "Leerclubs (learning clubs) and club budget"),
    "sec_playlists": ("Playlists (online)", "Playlists (online)"),
    "sec_badges": ("Badges en kansen", "Badges and opportunities"),
    "sec_peer_groups": ("Peergroepen en hosts", "Peer groups and hosts"),
    # results
    "vs_baseline": ("t.o.v. vandaag (basis)", "vs today (baseline)"),
    "better": ("beter", "better"),
    "worse": ("slechter", "worse"),
    "same": ("gelijk", "no change"),
    "timeline": ("Verloop per week", "Week by week"),
    "timeline_indicator": ("Indicator in de tijdlijn", "Indicator in the timeline"),
    "current_design": ("dit ontwerp", "this design"),
    "baseline": ("vandaag (basis)", "today (baseline)"),
    "band": ("band = laagste–hoogste over {n} seeds", "band = min–max over {n} seeds"),
    "who_gains": ("Wie wint, wie verliest: verandering van het bereik per wijk", "Who gains, who loses: change in reach per wijk"),
    "gains": ("Grootste winst", "Largest gains"),
    "losses": ("Grootste verlies", "Largest losses"),
    "week": ("week", "week"),
    # compare
    "compare_with": ("Vergelijk met een bewaard scenario", "Compare with a saved scenario"),
    "compare_button": ("Vergelijk", "Compare"),
    "compare_added": ("{label} toegevoegd aan de vergelijking.", "{label} added to the comparison."),
    "compare_clear": ("Maak vergelijking leeg", "Clear comparison"),
    "indicator": ("Indicator", "Indicator"),
    "difference": ("verschil", "difference"),
    "per_wijk": ("Bereik per wijk (%)", "Reach per wijk (%)"),
    "need_run": ("Druk eerst op ▶ om dit ontwerp te simuleren.", "Press ▶ first to simulate this design."),
    # save
    "scenario_name": ("Naam van het scenario", "Scenario name"),
    "group": ("Groep (werktafel)", "Group (table)"),
    "notes": ("Notities", "Notes"),
    "save": ("💾 Bewaar als nieuwe versie", "💾 Save as a new revision"),
    "saved": ("Bewaard als {label}.", "Saved as {label}."),
    "saved_list": ("Bewaarde scenario's", "Saved scenarios"),
    "reload": ("Open", "Open"),
    "reloaded": ("Geopend: {label}.", "Opened: {label}."),
    "branch_name": ("Nieuwe naam voor een aftakking", "New name for a branch"),
    "branch": ("Maak een aftakking", "Branch"),
    "branched": ("Aftakking {label} gemaakt.", "Branch {label} made."),
    "export": ("⬇ Exporteer als YAML", "⬇ Export as YAML"),
    "import": ("Importeer een YAML-scenario", "Import a YAML scenario"),
    "imported": ("Geïmporteerd en bewaard als {label}.", "Imported and saved as {label}."),
    "import_refused": ("Dit scenariobestand wordt geweigerd; er is niets bewaard. Reden: {why}",
                       "This scenario file is refused; nothing was stored. Reason: {why}"),
    "link": ("Link om dit scenario te heropenen", "Link to reopen this scenario"),
    "no_change": ("geen", "none"),
    "results_stale": ("Het ontwerp is veranderd: deze resultaten horen bij het vorige ontwerp. Druk op ▶ Simuleer.",
                      "The design has changed: these results belong to the previous design. Press ▶ Simulate."),
    "pct_points": ("%-punt", "pp"),
    "wijk_noise": ("Tussen haakjes: het 90%-interval van de verandering over {n} seeds; alleen duidelijke verschillen staan hier. "
                   "Met {scale} % van de bevolking is veel per wijk ruis: kies 'Volledige bevolking' voor een oordeel per wijk.",
                   "In brackets: the 90% interval of the change over {n} seeds; only clear differences are listed. With {scale} % "
                   "of the population much per wijk is noise: choose 'Full population' to judge a wijk."),
    "link_refused": ("De link kon niet geopend worden: {why}", "The link could not be opened: {why}"),
    "study_run_opened": ("Run {run} van studie {study} geopend (nog niet bewaard); de werktafel simuleert met haar eigen seeds en schaal.",
                         "Opened run {run} of study {study} (not saved yet); the workshop simulates with its own seeds and scale."),
    "nothing_saved": ("Nog niet bewaard.", "Not saved yet."),
    "unsaved": ("niet bewaard", "unsaved"),
    "design_of": ("Ontwerp: {name}", "Design: {name}"),
    "store_empty": ("(nog niets bewaard)", "(nothing saved yet)"),
    "shipped": ("meegeleverd", "shipped"),
    "reset": ("⟲ Terug naar vandaag", "⟲ Reset to today"),
    "reset_done": ("Opnieuw begonnen van het aanbod van vandaag (ongedaan maken brengt het ontwerp terug).",
                   "Started again from today's offer (undo brings the design back)."),
    "redo": ("↷ Opnieuw doen", "↷ Redo"),
    "redo_none": ("Er is niets om opnieuw te doen.", "There is nothing to redo."),
    "redone": ("Opnieuw gedaan: {what}", "Redone: {what}"),
    "running_runs": ("Bezig met simuleren… run {i} van {n} ({pct}%)", "Simulating… run {i} of {n} ({pct}%)"),
    "time_left": (", nog ongeveer {secs} s", ", about {secs} s left"),
    "unknown_venue": ("'{venue}' is geen gekende locatie", "'{venue}' is not a known venue"),
    "unknown_scenario": ("'{label}' is geen gekend scenario", "'{label}' is not a known scenario"),
    "save_unchanged": ("Niets veranderd sinds {label}: er is geen nieuwe versie bewaard.",
                       "Nothing changed since {label}: no new revision was saved."),
    "name_taken": ("De naam '{name}' wordt al gebruikt door een andere tafel (laatste versie {label}, groep {group}). "
                   "Er is niets bewaard. Bewaar als aftakking '{suggestion}' of kies een andere naam.",
                   "The name '{name}' is already used by another table (latest {label}, group {group}). Nothing was saved. "
                   "Save as a branch '{suggestion}' or choose another name."),
    "save_branch": ("Bewaar als aftakking '{name}'", "Save as branch '{name}'"),
    "reloaded_with_results": ("Geopend: {label}, met de laatste resultaten uit de opslag.",
                              "Opened: {label}, with its last results from the store."),
    "interval": ("90%-interval", "90% interval"),
    "verdict": ("oordeel", "verdict"),
    "simulated": ("gesimuleerde bewoners", "simulated residents"),
    "grey_legend": ("grijs = geen duidelijk verschil (het interval over de seeds omvat 0) of minder dan {n} gesimuleerde bewoners",
                    "grey = no clear difference (the interval over the seeds includes 0) or fewer than {n} simulated residents"),
    "no_clear_wijken": ("{n} wijken zonder duidelijk verschil (grijs op de kaart).",
                        "{n} wijken without a clear difference (grey on the map)."),
    "presenter": ("Presentatie: kaart en kerncijfers groot", "Presenter view: map and key figures, large"),
    "presenter_back": ("← Terug naar de werktafel", "← Back to the table"),
    "number_read": ("gelezen als {value}", "read as {value}"),
    "upload_limit": ("Hoogstens {mb} MB, UTF-8, YAML", "At most {mb} MB, UTF-8, YAML"),
    "reading_upload": ("Het bestand wordt gelezen…", "Reading the file…"),
    "upload_unreadable": ("{name}: de browser kon het bestand niet lezen", "{name}: the browser could not read the file"),
    "no_clear_gains": ("geen duidelijke", "none clear"),
    "as_is": ("{text}", "{text}"),
    "offer_details": ("Details: leeftijd, capaciteit, duur, weken, uren, prijs", "Details: age, capacity, duration, weeks, hours, price"),
}


def tr(key: str, lang: str = "nl", **kw) -> str:
    """The text for ``key`` in ``lang``, formatted with ``kw``; the key itself if unknown."""
    pair = TEXT.get(key)
    if pair is None:
        return key.format(**kw) if kw else key
    text = pair[0] if lang == "nl" else pair[1]
    return text.format(**kw) if kw else text


def theme_label(theme: Theme | str, lang: str = "nl") -> str:
    theme = Theme(theme)
    return theme.label_nl if lang == "nl" else theme.label_en


def level_label(level: Level | str | int, lang: str = "nl") -> str:
    level = Level.from_slug(level)
    return level.label_nl if lang == "nl" else f"{level.label_nl} ({level.label_en})"


_PROVIDER_EN = {
    ProviderType.SCHOOL: "school", ProviderType.CHILDCARE: "childcare / Huis van het Kind",
    ProviderType.ACADEMY: "academy", ProviderType.LIBRARY: "library", ProviderType.MUSEUM: "museum / arts centre",
    ProviderType.YOUTH_WORK: "youth work", ProviderType.NEIGHBOURHOOD_WORK: "neighbourhood work",
    ProviderType.SPORTS_CLUB: "sports club", ProviderType.MAKERSPACE: "makerspace", ProviderType.COMPANY: "company",
    ProviderType.CRAFTSPERSON: "craftsperson", ProviderType.CITY_SERVICE: "city service",
    ProviderType.RESIDENT: "resident (learner turned teacher)",
}


def provider_label(ptype: ProviderType | str, lang: str = "nl") -> str:
    ptype = ProviderType(ptype)
    return ptype.label_nl if lang == "nl" else _PROVIDER_EN.get(ptype, ptype.value)


_OPPORTUNITY = {Opportunity.INTERNSHIP: ("stage", "internship"), Opportunity.WORKSHOP: ("workshop", "workshop"),
                Opportunity.COACHING: ("coaching", "coaching")}


def opportunity_label(kind: Opportunity | str, lang: str = "nl") -> str:
    pair = _OPPORTUNITY[Opportunity(kind)]
    return pair[0] if lang == "nl" else pair[1]


# Labels of non-numeric schema fields (booleans, choices) that carry no label_nl/label_en
# in the schema; an unknown field falls back to its description, then its name, so a new
# model parameter still gets a widget.
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "enabled": ("Aan", "On"),
    "website": ("Website", "Website"),
    "desk": ("Balie (een persoon)", "Desk (a person)"),
    "magazine": ("Magazine", "Magazine"),
    "shared_overview": ("Gedeeld overzicht: iedereen verwijst door", "Shared overview: everyone refers onward"),
    "priority": ("Voorrang voor", "Priority for"),
    "means_test": ("Alleen voor leden met lage middelen", "Only for members with low means"),
    "connected": ("Clubs verbonden (doorverwijzen naar andere wijken)", "Clubs connected (refer to other wijken)"),
    "awards_badge": ("Levert een badge op", "Awards a badge"),
    "matchmaking": ("Matchmaking: lerenden worden leraar", "Matchmaking: learners become teachers"),
}

CHOICE_LABELS: dict[str, tuple[str, str]] = {
    "less_autonomous": ("minder zelfstandigen", "less autonomous residents"),
    "low_means": ("lage middelen", "low means"),
    "first_come": ("wie eerst komt", "first come, first served"),
    "lowest_level": ("laagste niveau op het leerpad", "lowest level on the learning path"),
}


def field_label(name: str, description: str = "", lang: str = "nl") -> str:
    pair = FIELD_LABELS.get(name)
    if pair:
        return pair[0] if lang == "nl" else pair[1]
    return description or name.replace("_", " ")


def choice_label(value: str, lang: str = "nl") -> str:
    pair = CHOICE_LABELS.get(value)
    if pair:
        return pair[0] if lang == "nl" else pair[1]
    return value.replace("_", " ")


def number(value: float, digits: int | None = None) -> str:
    """A number as the screen shows it: thin-space thousands, few decimals."""
    if value is None or value != value:  # NaN
        return "–"
    if digits is None:
        digits = 0 if abs(value) >= 100 else (1 if abs(value) >= 1 else 2)
    text = f"{value:,.{digits}f}".replace(",", "\u202f")
    return text


def plain(value) -> str:
    """A bound or an entered value: no decimals when whole, else at most three (``1``, ``0.05``, ``5 000 000``)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return str(value)
    if v != v or v in (float("inf"), float("-inf")):
        return "–" if v != v else ("∞" if v > 0 else "−∞")
    if v == int(v):
        return f"{int(v):,}".replace(",", "\u202f")
    return f"{v:,.3f}".rstrip("0").rstrip(".").replace(",", "\u202f")


#: English for the units the schema and the indicators declare in Dutch.
_UNITS_EN = {
    "%-punt": "pp", "aanbod": "offers", "aandeel": "share", "bewoners": "residents", "EUR/jaar": "EUR/year",
    "jaar": "years", "kans": "probability", "kans/week": "probability/week", "keer": "times",
    "nummers/jaar": "issues/year", "nut": "utility", "nut/EUR": "utility/EUR", "per maand": "per month",
    "personen": "people", "plaatsen": "places", "plaatsen/jaar": "places/year", "stappen": "steps",
    "uur/week": "hours/week", "vrienden": "friends", "weken": "weeks",
}


def unit_label(unit: str, lang: str) -> str:
    """A unit in the screen's language (units are declared in Dutch, the stakeholders' language)."""
    return _UNITS_EN.get(unit, unit) if lang == "en" else unit
