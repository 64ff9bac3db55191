"""The workshop app's state: change the design as a table would, assert what the table reads.

The state is driven directly (no browser); assertions are on what a user reads: card
texts, messages, the offer list, the map layer's values, the link.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import panel as pn
import pytest

import apps.components.runs as runs_module
from apps.components.state import WorkshopState, replicate_seeds
from model.indicators import INDICATORS
from apps.components.widgets import LeversView, OfferEditor, SiteView
from apps.workshop import create_app
from model.scenario import lever_fields, load_scenario
from model.store import Store


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "workshop.sqlite")


@pytest.fixture
def state(store):
    return WorkshopState(store=store)


def regina_mundi(state):
    row = state.genk.venues.loc["regina_mundi"]
    return float(row["x"]), float(row["y"])


def place_repair_cafe(state, dx=150.0):
    x, y = regina_mundi(state)
    assert state.choose_point(x + dx, y)
    return state.add_offer(title="Repair café", themes=["maken_en_ontwerpen"], level="samen_doen", capacity_per_week=20)


# ---------------------------------------------------------------------------- placing offers
def test_a_tap_on_the_map_shows_who_reaches_that_place_before_any_simulation(state):
    x, y = regina_mundi(state)
    assert state.choose_point(x, y)
    assert state.map_layer == "catchment"
    assert "Genk-Centrum" in state.message
    layer = state.map_values()
    assert layer.values.max() > 50  # most of the site's own wijk lives within 15 minutes' walk
    assert layer.values.min() == 0  # the far wijken do not
    assert "wonen binnen 15 min te voet" in state.catchment_text
    walk = state.catchment["within"].sum()
    state.catchment_mode = "bike"
    assert state.catchment["within"].sum() > walk  # cycling reaches more residents
    assert "fiets" in state.catchment_text


def test_placing_an_offer_adds_it_to_the_design_and_the_list(state):
    offer = place_repair_cafe(state)
    assert offer is not None and offer.id == "werktafel-1"
    assert [o.title for o in state.offers] == ["Repair café"]
    assert state.message == "Aanbod 'Repair café' toegevoegd in Genk-Centrum."
    assert state.selected_offer == offer.id


def test_an_offer_can_be_placed_at_a_venue_at_an_address_or_at_the_central_site(state):
    assert state.choose_venue("bibliotheek_genk")
    at_library = state.add_offer(themes=["denken_en_bespreken"], level="zien_doen")
    assert at_library.place.kind == "venue" and at_library.place.venue_id == "bibliotheek_genk"
    assert state.choose_address("stalenstraat 1")
    at_address = state.add_offer(themes=["eten"], level="zelf_doen")
    assert state.wijk_of_place(at_address.place) == "Waterschei-Zuid"
    assert state.choose_site()
    assert state.add_offer(themes=["ontspanning"]).place.kind == "central_site"
    assert len(state.offers) == 3


def test_an_address_not_in_genk_is_refused_with_the_closest_streets(state):
    assert not state.choose_address("Nergensstraat 5")
    assert state.message_kind == "danger"
    assert "niet in Genk" in state.message and "Did you mean" in state.message
    assert state.proposed_place is None


def test_a_point_outside_genk_is_refused(state):
    x, y = regina_mundi(state)
    assert not state.choose_point(x + 50_000, y)
    assert state.message == "Dit punt ligt buiten Genk; kies een plek binnen de gemeente."
    assert state.proposed_place is None


def test_an_offer_without_a_place_is_refused(state):
    assert state.add_offer(themes=["eten"]) is None
    assert "zonder plek" in state.message
    assert state.offers == []


def test_a_negative_capacity_is_refused_with_the_allowed_range_and_nothing_changes(state):
    x, y = regina_mundi(state)
    state.choose_point(x, y)
    version = state.version
    assert state.add_offer(themes=["eten"], capacity_per_week=-3) is None
    assert state.message == "Geweigerd: Capaciteit = -3 ligt buiten het toegelaten bereik 1 tot 1\u202f000 plaatsen"
    assert state.offers == [] and state.version == version


def test_an_offer_without_a_theme_is_refused(state):
    x, y = regina_mundi(state)
    state.choose_point(x, y)
    assert state.add_offer(themes=[]) is None
    assert "thema" in state.message


def test_moving_changing_and_removing_an_offer(state):
    offer = place_repair_cafe(state)
    assert state.choose_address("Stalenstraat 1")
    moved = state.move_offer(offer.id)
    assert state.wijk_of_place(moved.place) == "Waterschei-Zuid"
    assert state.message == "Aanbod 'Repair café' verplaatst naar Waterschei-Zuid."
    changed = state.update_offer(offer.id, price_eur=25, awards_badge=True)
    assert changed.price_eur == 25 and changed.awards_badge
    assert state.update_offer(offer.id, age_min=30, age_max=10) is None  # refused: ages swapped
    assert "de leeftijd vanaf (30) ligt boven de leeftijd tot (10)" in state.message  # in Dutch, no raw key
    assert state.remove_offer(offer.id)
    assert state.offers == [] and state.selected_offer is None
    assert state.message == "Aanbod 'Repair café' verwijderd."


def test_undo_restores_the_design_before_the_last_change(state):
    offer = place_repair_cafe(state)
    state.choose_address("Stalenstraat 1")
    state.move_offer(offer.id)
    assert state.undo()
    assert state.wijk_of_place(state.offer(offer.id).place) == "Genk-Centrum"
    assert state.message.startswith("Ongedaan gemaakt: Aanbod 'Repair café' verplaatst")
    assert state.undo()  # undo the placing itself
    assert state.offers == []
    assert not state.undo()
    assert state.message == "Er is niets om ongedaan te maken."


# ---------------------------------------------------------------------------- site and budgets
def test_a_budget_above_the_allowed_range_is_refused_with_the_range(state):
    assert not state.set_value("levers.clubs.budget_eur_per_year", 6_000_000)
    assert state.message == ("Geweigerd: Clubbudget = 6\u202f000\u202f000 ligt buiten het toegelaten bereik "
                             "0 tot 5\u202f000\u202f000 EUR/jaar")
    assert state.scenario.levers.clubs.budget_eur_per_year == 0
    assert state.set_value("levers.clubs.budget_eur_per_year", 50_000)
    assert state.scenario.levers.clubs.budget_eur_per_year == 50_000
    assert not state.set_value("levers.mentors.hours_per_week", "veel")
    assert "geen getal" in state.message


def test_choosing_the_central_site_its_residents_guests_and_rooms(state):
    assert state.set_value("levers.central_site.enabled", True)
    assert state.set_site("c_mine")
    assert state.scenario.levers.central_site.name == "C-Mine"
    assert state.message == "Centrale plek is nu C-Mine."
    assert state.set_value("levers.central_site.permanent_providers", ["academy", "makerspace"])
    assert state.set_value("levers.central_site.rooms", [{"name": "atelier", "capacity": 30}])
    assert state.scenario.levers.central_site.room_capacity == 30
    assert not state.set_value("levers.central_site.rooms", [{"name": "hal", "capacity": 900}])
    assert "900" in state.message and state.scenario.levers.central_site.room_capacity == 30
    assert not state.set_site("geen_locatie")


def test_every_numeric_lever_of_the_schema_has_a_widget(state):
    levers, site = LeversView(state=state), SiteView(state=state)
    paths = set(site.form._widgets)
    for form in levers.forms.values():
        paths |= set(form._widgets)
    missing = [p for p in lever_fields() if p not in paths and not p.startswith(("levers.offers", "levers.central_site.rooms"))]
    assert missing == []


def test_a_refused_lever_says_why_next_to_the_box_and_the_refusal_goes_once_fixed(state):
    form = LeversView(state=state).forms["clubs"]
    box = form.widget("levers.clubs.budget_eur_per_year")
    assert "EUR/jaar" in box.input.name and "5\u202f000\u202f000" in box.input.name
    box.input.value = "10.000.000"
    assert state.scenario.levers.clubs.budget_eur_per_year == 0  # the design is unchanged
    assert "buiten het toegelaten bereik" in box.feedback.object and "buiten het toegelaten bereik" in state.message
    box.input.value = "20.000"
    assert state.scenario.levers.clubs.budget_eur_per_year == 20_000
    assert "buiten" not in box.feedback.object and "gelezen als 20\u202f000" in box.feedback.object


@pytest.mark.parametrize(("typed", "read"), [("50.000", 50_000), ("50 000", 50_000), ("€ 50.000,00", 50_000),
                                             ("50000", 50_000), ("1.234,5", 1234.5)])
def test_numbers_are_read_as_people_in_genk_write_them(state, typed, read):
    box = LeversView(state=state).forms["clubs"].widget("levers.clubs.budget_eur_per_year")
    box.input.value = typed
    assert state.scenario.levers.clubs.budget_eur_per_year == read


@pytest.mark.parametrize("typed", ["50,000", "50k", "vijftig", "5 0"])
def test_a_number_that_cannot_be_read_for_sure_is_refused_not_guessed(state, typed):
    box = LeversView(state=state).forms["clubs"].widget("levers.clubs.budget_eur_per_year")
    box.input.value = typed
    assert state.scenario.levers.clubs.budget_eur_per_year == 0
    assert box.refusal and state.message_kind == "danger"


def test_a_decimal_comma_is_read_and_a_fraction_for_a_whole_number_is_refused(state):
    assert state.set_value("levers.mentors.hours_per_mentee", "2,5")
    assert state.scenario.levers.mentors.hours_per_mentee == 2.5
    assert not state.set_value("levers.mentors.mentorship_weeks", "2,5")
    assert "geen geheel getal" in state.message
    assert not state.set_value("run.population_scale", True)  # a boolean is not a number


# ---------------------------------------------------------------------------- running
def test_a_run_shows_cards_with_value_unit_change_against_the_baseline_and_meaning(state):
    place_repair_cafe(state)
    state.set_value("levers.mentors.enabled", True)
    state.set_value("levers.mentors.hours_per_week", 200)
    results = state.run()
    assert results is not None and len(results.seeds) == 3
    assert state.message.startswith("Klaar: 3 runs van 52 weken met 10% van de bevolking")
    cards = {c.name: c for c in state.cards()}
    reach = cards["reach"]
    assert reach.label == "Bereik" and reach.unit == "%"
    assert reach.meaning == INDICATORS["reach"].meaning_nl
    assert "t.o.v. vandaag (basis)" in reach.delta_text and "(3 seeds)" in reach.spread_text
    assert "90%:" in reach.delta_text and "…" in reach.interval_text  # the paired interval
    assert reach.verdict in ("better", "worse", "no_clear_difference")
    assert state.map_layer == "change:reach"
    change = state.map_values()
    assert change.diverging and len(change.values) == 31


def test_the_same_seeds_in_every_session():
    assert replicate_seeds(3) == replicate_seeds(3)
    assert len(set(replicate_seeds(5))) == 5


def test_a_background_run_returns_at_once_and_applies_the_results(state):
    place_repair_cafe(state)
    future = state.start_run()
    assert state.running
    assert state.start_run() is None and state.message.startswith("Er loopt al een simulatie")
    results = future.result(timeout=60)
    assert results is state.results and not state.running and state.progress == 100


def test_a_failed_run_shows_the_error_and_keeps_the_last_good_results(state, monkeypatch):
    state.run()
    good = state.results
    place_repair_cafe(state, dx=321.0)  # a new design: no cached results

    def broken(*args, **kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(runs_module, "run_scenario", broken)
    assert state.run() is None
    assert state.message == "De simulatie is mislukt: RuntimeError: model exploded. De vorige resultaten blijven staan."
    assert state.results is good and not state.running


def test_compare_with_a_shipped_scenario_per_indicator_and_per_wijk(state):
    state.run()
    assert state.compare_with("regina-mundi-hub (meegeleverd)")
    table = state.compare_table()
    assert "regina-mundi-hub (meegeleverd)" in table.columns
    assert "verschil ↔ vandaag (basis)" in table.columns
    reach = table[table["Indicator"] == "Bereik (%)"].iloc[0]
    assert reach["verschil ↔ regina-mundi-hub (meegeleverd)"] == pytest.approx(
        reach["dit ontwerp"] - reach["regina-mundi-hub (meegeleverd)"])
    assert "oordeel ↔ regina-mundi-hub (meegeleverd)" in table.columns and "90%-interval ↔ vandaag (basis)" in table.columns
    wijken = state.compare_wijk_table()
    assert len(wijken) == 31 and "regina-mundi-hub (meegeleverd)" in wijken.columns and "oordeel" in wijken.columns
    assert not state.compare_with("bestaat-niet")


# ---------------------------------------------------------------------------- save, reload, branch
def test_save_reload_with_the_link_branch_and_export(state, store):
    place_repair_cafe(state)
    rev = state.save("tafel-a", group="Tafel A", notes="repair café bij RM")
    assert rev.label == "tafel-a r1" and state.message == "Bewaard als tafel-a r1."
    assert state.link == "?scenario=tafel-a&revision=1"
    state.set_value("levers.clubs.budget_eur_per_year", 10_000)
    assert state.save("tafel-a").number == 2  # every changed design a new revision
    assert state.save("tafel-a").number == 2  # an unchanged one is not saved again
    assert state.message == "Niets veranderd sinds tafel-a r2: er is geen nieuwe versie bewaard."
    assert [r.number for r in store.history("tafel-a")] == [1, 2]

    other = WorkshopState(store=store)
    assert other.open_link({"scenario": [b"tafel-a"], "revision": [b"1"]})
    assert other.message.startswith("Geopend: tafel-a r1")
    assert [o.title for o in other.offers] == ["Repair café"]
    assert other.scenario.levers.clubs.budget_eur_per_year == 0
    assert not other.open_link("?scenario=bestaat-niet")
    assert "kon niet geopend worden" in other.message

    branch = other.branch("tafel-b")
    assert branch.label == "tafel-b r1" and other.scenario.name == "tafel-b"
    assert "Repair café" in other.export_yaml()
    assert other.open_label("tafel-a r2") and other.scenario.levers.clubs.budget_eur_per_year == 10_000


def test_an_invalid_scenario_file_is_refused_with_the_reason_and_nothing_is_stored(state, store):
    before = store.list_scenarios()
    bad = "name: slecht\nlevers:\n  clubs:\n    budget_eur_per_year: -5\n"
    assert state.import_yaml(bad, filename="slecht.yaml") is None
    assert state.message.startswith("Dit scenariobestand wordt geweigerd; er is niets bewaard.")
    assert "slecht.yaml: levers.clubs.budget_eur_per_year = -5 ligt buiten het toegelaten bereik" in state.message
    assert len(store.list_scenarios()) == len(before)
    state.lang = "en"  # the same refusal, now in English, from its structure
    assert "slecht.yaml: levers.clubs.budget_eur_per_year = -5 is out of range" in state.message
    good = "name: goed\nlevers:\n  wegwijzer: {website: true}\n"
    assert state.import_yaml(good, filename="goed.yaml").label == "goed r1"
    assert state.scenario.levers.wegwijzer.website


# ---------------------------------------------------------------------------- language and app
def test_english_on_a_toggle(state):
    state.run()
    state.lang = "en"
    reach = state.cards()[0]
    assert reach.label == "Reach" and reach.meaning == INDICATORS["reach"].meaning_en
    assert "vs today (baseline)" in reach.delta_text
    assert state.layer_label("change:reach") == "Change: reach vs today"


def test_the_app_renders_and_a_link_in_the_session_args_opens_the_scenario(store):
    first = WorkshopState(store=store)
    place_repair_cafe(first)
    first.save("gedeeld")
    app = create_app(session_args={"scenario": [b"gedeeld"], "revision": [b"1"]}, store=store)
    assert app.state.scenario.name == "gedeeld" and len(app.state.offers) == 1
    pn.panel(app).get_root()  # displays inline (notebook) without a server
    editor = app.offers
    assert isinstance(editor, OfferEditor)
    assert any("Repair café" in label for label in editor.offer_list.options)


def test_the_offer_editor_places_an_offer_from_its_widgets(state):
    editor = OfferEditor(state=state)
    editor.address.value = "Stalenstraat 1"
    editor.find.clicks += 1
    editor.title.value = "Kookatelier"
    editor.themes.value = ["eten"]
    editor.numbers["capacity_per_week"].input.value = "1.000"
    editor.add.clicks += 1
    assert [o.title for o in state.offers] == ["Kookatelier"]
    assert state.offers[0].capacity_per_week == 1000
    assert editor.title.value == "" and editor.numbers["capacity_per_week"].value == 15  # the form is fresh again
    box = editor.numbers["capacity_per_week"]
    box.input.value = "-1"  # refused next to the box, with the allowed range
    assert "ligt buiten het toegelaten bereik 1 tot 1\u202f000" in box.feedback.object
    editor.add.clicks += 1
    assert len(state.offers) == 1 and "Capaciteit" in state.message
    box.input.value = "12"
    assert box.feedback.object == ""  # the old refusal is gone once the value is fixed


def test_the_explorers_link_opens_a_run_of_a_study_as_an_unsaved_design(store, tmp_path):
    from model.experiments import default_results_root, load_study, run_study

    study = load_study({"name": "tiny", "parameters": ["uncertainties.friend_weight"], "design": {"method": "lhs", "n": 2},
                        "replications": 1, "outputs": ["reach"], "weeks": 2, "population_scale": 0.01})
    results = run_study(study, default_results_root() / "tiny-link", serial=True, progress=False)
    run = results.runs.iloc[1]
    app = create_app(session_args={"study": [b"tiny-link"], "run": [b"1"]}, store=store)
    assert app.state.scenario.name == "tiny-run1"
    assert app.state.scenario.uncertainties.friend_weight == pytest.approx(float(run["uncertainties.friend_weight"]))
    assert "Run 1 van studie tiny-link" in app.state.message and app.state.revision is None
    # the baseline it is compared with runs under the same behavioural assumptions
    assert app.state._plan(False)["baseline"].uncertainties == app.state.scenario.uncertainties
    other = WorkshopState(store=store)
    assert not other.open_link({"study": "missing", "run": "0"})
    assert not other.open_link({"study": "tiny-link", "run": "abc"})  # a malformed link is refused, not a crash
    assert not other.open_link({"study": str(tmp_path), "run": "0"})  # only folders under the results root
    assert "geen studiemap" in other.message and str(tmp_path) not in other.message.replace(f"'{tmp_path}'", "")


def test_undo_after_opening_a_saved_scenario_restores_its_link_too(store):
    first = WorkshopState(store=store)
    place_repair_cafe(first)
    first.save("tafel-a")
    other = WorkshopState(store=store)
    before = (other.revision, other.link)
    assert other.open_link({"scenario": "tafel-a", "revision": "1"}) and other.link
    assert other.undo()
    assert (other.revision, other.link) == before


def test_a_comparison_cannot_be_added_while_a_run_is_going(state):
    state.runs.running = True
    assert not state.compare_with(next(iter(state.compare_options())))
    assert state.comparison == {}


def test_plain_numbers_have_no_dangling_decimal_point():
    from apps.components.i18n import plain

    assert plain(0.0001) == "0" and plain(1000.0004) == "1\u202f000" and plain(0.05) == "0.05"
    assert plain(float("inf")) == "∞"


def test_who_gains_and_loses_shows_the_range_over_seeds_and_warns_of_noise(state):
    from apps.components.results import GainsView

    place_repair_cafe(state)
    state.start_run().result()
    text = GainsView(state=state)._md.object
    assert "Grootste winst" in text and "90%-interval" in text and "seeds" in text and "Volledige bevolking" in text
    gains, losses, unclear = state.gains_and_losses()
    assert (gains["lo"] > 0).all() and (losses["hi"] < 0).all()  # only clear changes are listed
    assert f"{unclear} wijken zonder duidelijk verschil" in text


def test_cards_say_when_they_belong_to_the_previous_design(state):
    from apps.components.results import CardsView

    place_repair_cafe(state)
    state.start_run().result()
    view = CardsView(state=state)
    assert not state.results_out_of_date and "vorige ontwerp" not in view._html.object
    place_repair_cafe(state, dx=400.0)  # a change after the run
    assert state.results_out_of_date and "vorige ontwerp" in view._html.object
    state.undo()
    assert not state.results_out_of_date


def test_two_sessions_running_the_same_new_design_share_one_computation(monkeypatch):
    import threading

    calls = []
    real = runs_module.run_scenario

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(runs_module, "run_scenario", counting)
    runs_module.clear_cache()
    from model.scenario import load_scenario

    scenario = load_scenario("wegwijzer").with_values({"uncertainties.friend_weight": 1.2345})
    out = []
    threads = [threading.Thread(target=lambda: out.append(runs_module.cached_run(scenario, 1, 4, 0.01))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(out) == 3 and out[0] is out[1] is out[2]


def test_units_follow_the_language(state):
    place_repair_cafe(state)
    state.start_run().result()
    units = {c.name: c.unit for c in state.cards()}
    state.lang = "en"
    english = {c.name: c.unit for c in state.cards()}
    assert "bewoners" in units.values() and "bewoners" not in english.values() and "residents" in english.values()


# ---------------------------------------------------------------------------- the pieces, on their own
def test_the_design_piece_undoes_and_redoes_without_a_screen():
    from apps.components.design import Design
    from model.scenario import load_scenario

    design = Design(load_scenario("baseline"))
    design.set_values({"levers.clubs.budget_eur_per_year": 1000}, "budget 1000")
    design.set_values({"levers.clubs.budget_eur_per_year": 2000}, "budget 2000")
    assert design.undo() == "budget 2000" and design.value("levers.clubs.budget_eur_per_year") == 1000
    assert design.can_redo and design.redo() == "budget 2000"
    assert design.value("levers.clubs.budget_eur_per_year") == 2000 and not design.can_redo
    design.undo()
    design.set_values({"levers.clubs.budget_eur_per_year": 5}, "budget 5")  # a new change forgets what was undone
    assert not design.can_redo and design.redo() is None


def fake_runs(values: dict[str, list[float]], wijk: dict[str, list[float]] | None = None, name="x", residents=100):
    """Results-like runs with given per-seed summary values (and per-wijk reach)."""
    from model.run import Results

    runs = []
    n = len(next(iter(values.values())))
    for i in range(n):
        summary = {k: 0.0 for k in INDICATORS} | {k: v[i] for k, v in values.items()}
        rows = []
        for w, vals in (wijk or {"A": [50.0] * n}).items():
            rows += [{"wijk": w, "indicator": "reach", "value": vals[i]},
                     {"wijk": w, "indicator": "simulated_residents", "value": residents}]
        weekly = pd.DataFrame({"week": [1], "indicator": ["reach"], "value": [summary["reach"]]})
        runs.append(Results(name, 100 + i, 1, 0.05, summary, weekly, pd.DataFrame(rows), pd.DataFrame(), pd.DataFrame(),
                            pd.DataFrame(), pd.DataFrame()))
    return runs


def readout_of(design_values, baseline_values, wijk_design=None, wijk_base=None, residents=100):
    from apps.components.readout import Readout
    from apps.components.runs import RunSummary

    readout = Readout()
    design = RunSummary.from_runs("d", fake_runs(design_values, wijk_design, "d", residents))
    base = RunSummary.from_runs("b", fake_runs(baseline_values, wijk_base, "b", residents))
    readout.show(design, base, "key")
    return readout


def test_a_difference_inside_the_noise_reads_no_clear_difference():
    readout = readout_of({"reach": [43.4, 42.1, 43.0]}, {"reach": [42.0, 42.9, 42.6]})
    card = readout.cards(("reach",))[0]
    assert card.verdict == "no_clear_difference"
    assert card.delta_text.startswith("geen duidelijk verschil t.o.v. vandaag (basis)")
    readout.lang = "en"
    assert readout.cards(("reach",))[0].delta_text.startswith("no clear difference vs today (baseline)")


def test_better_and_worse_follow_the_indicators_direction_in_cards_and_the_compare_table():
    assert INDICATORS["participation_gap_means"].higher_is_better is False
    readout = readout_of({"reach": [45.0, 46.0, 47.0], "participation_gap_means": [6.0, 6.2, 6.4]},
                         {"reach": [40.0, 41.0, 42.0], "participation_gap_means": [4.0, 4.1, 4.3]})
    cards = {c.name: c for c in readout.cards(("reach", "participation_gap_means"))}
    assert cards["reach"].verdict == "better" and "(beter;" in cards["reach"].delta_text
    assert cards["participation_gap_means"].verdict == "worse"  # a wider gap is worse, though the number went up
    codes = readout.compare_verdicts(("reach", "participation_gap_means"))
    assert list(codes["vandaag (basis)"]) == ["better", "worse"]
    from apps.components.results import _table_html

    table = readout.compare_table(("reach", "participation_gap_means"))
    col = "verschil ↔ vandaag (basis)"
    text = _table_html(table, {col: list(codes["vandaag (basis)"])})
    assert "data-verdict='worse'" in text and "data-verdict='better'" in text


def test_the_change_map_greys_wijken_whose_change_is_not_clear_or_too_thinly_simulated():
    wijk_d = {"Clear": [60.0, 61.0, 62.0], "Noisy": [50.0, 30.0, 70.0]}
    wijk_b = {"Clear": [50.0, 50.5, 51.0], "Noisy": [45.0, 45.0, 45.0]}
    readout = readout_of({"reach": [1, 2, 3]}, {"reach": [1, 2, 3]}, wijk_d, wijk_b)
    layer = readout.map_layer("change:reach", pd.Index(["Clear", "Noisy"]))
    assert layer.values["Clear"] == pytest.approx(10.5) and np.isnan(layer.values["Noisy"])
    assert layer.unclear == ("Noisy",)
    thin = readout_of({"reach": [1, 2, 3]}, {"reach": [1, 2, 3]}, wijk_d, wijk_b, residents=12)
    assert thin.map_layer("change:reach", pd.Index(["Clear", "Noisy"])).values.isna().all()
    assert "minder dan 30 gesimuleerde bewoners" in readout.grey_note()


# ---------------------------------------------------------------------------- a workshop's flow
def test_redo_beside_undo(state):
    place_repair_cafe(state)
    assert state.undo() and state.offers == []
    assert state.redo() and [o.title for o in state.offers] == ["Repair café"]
    assert state.message.startswith("Opnieuw gedaan: Aanbod 'Repair café' toegevoegd")
    assert not state.redo() and state.message == "Er is niets om opnieuw te doen."


def test_reset_to_today_and_undo_brings_the_design_back(state):
    place_repair_cafe(state)
    state.set_value("levers.clubs.budget_eur_per_year", 9000)
    assert state.reset()
    assert state.offers == [] and state.scenario.levers.clubs.budget_eur_per_year == 0
    assert state.scenario.levers == load_scenario("baseline").levers
    assert state.undo() and len(state.offers) == 1 and state.scenario.levers.clubs.budget_eur_per_year == 9000


def test_two_tables_saving_under_one_name_are_told_and_offered_a_branch(store):
    a, b = WorkshopState(store=store), WorkshopState(store=store)
    place_repair_cafe(a)
    assert a.save("plan-genk", group="Tafel 1").label == "plan-genk r1"
    place_repair_cafe(b, dx=600.0)
    assert b.save("plan-genk", group="Tafel 2") is None
    assert b.message_kind == "warning" and "wordt al gebruikt door een andere tafel" in b.message
    assert "plan-genk r1" in b.message and "Tafel 1" in b.message and b.conflict.suggestion == "plan-genk-2"
    assert [r.number for r in store.history("plan-genk")] == [1]  # nothing stored for table 2 yet
    rev = b.save_as_branch(group="Tafel 2")
    assert rev.label == "plan-genk-2 r1" and b.scenario.name == "plan-genk-2" and b.conflict is None
    a.set_value("levers.clubs.budget_eur_per_year", 500)  # table 1 goes on with its own name
    assert a.save("plan-genk").label == "plan-genk r2"


def test_a_reopened_link_shows_its_last_results_from_the_store_at_once(store):
    a = WorkshopState(store=store)
    place_repair_cafe(a, dx=777.0)
    a.run()
    a.save("met-resultaten")
    a._keeping.result(timeout=30)
    runs_module.clear_cache()  # a new server process: only the store remembers
    b = WorkshopState(store=store)
    assert b.open_link("?scenario=met-resultaten&revision=1")
    assert b.results is not None and b.paired is not None
    assert b.message == "Geopend: met-resultaten r1, met de laatste resultaten uit de opslag."
    assert [c.value for c in b.cards()] == pytest.approx([c.value for c in a.cards()])
    assert len(store.runs_for(a.revision.id)) == 3


def test_a_shipped_scenario_opens_by_link(state):
    assert state.open_link("?scenario=leerclubs")
    assert state.scenario.name == "leerclubs" and state.revision is None
    assert state.message.startswith("Geopend: leerclubs (meegeleverd)")


def test_progress_shows_run_i_of_n_and_the_time_left(state):
    place_repair_cafe(state, dx=901.0)
    seen = []
    state.runs.param.watch(lambda *e: seen.append((state.runs.run_index, state.runs.n_runs, state.status_text())),
                           ["run_index", "progress"])
    state.run()
    assert {n for _, n, _ in seen} == {6}  # 3 seeds of the design and 3 of the baseline
    indices = [i for i, _, _ in seen]
    assert indices == sorted(indices) and max(indices) >= 2
    texts = [t for _, _, t in seen if t]
    assert any(t.startswith("Bezig met simuleren… run ") and " van 6 (" in t for t in texts)
    assert any("nog ongeveer" in t for t in texts)


def test_messages_and_the_catchment_follow_the_language(state):
    x, y = regina_mundi(state)
    state.choose_point(x, y)
    assert "wonen binnen 15 min te voet" in state.catchment_text
    state.lang = "en"
    assert "live within 15 min on foot" in state.catchment_text
    assert state.message.startswith("Chosen place:")


# ---------------------------------------------------------------------------- input that cannot hurt
XSS = "<img src=x onerror=alert(document.domain)>"


def test_text_from_the_address_box_is_shown_as_text_never_as_html(state):
    from apps.components.widgets import MessageView

    view = MessageView(state=state)
    assert not state.choose_address(XSS)
    assert XSS in state.message
    assert "<img" not in view._alert.object and "&lt;img src=x onerror=alert(document.domain)&gt;" in view._alert.object


@pytest.mark.parametrize("link", [f"?scenario=a&revision={2**63}", "?scenario=a&revision=-1", "?study=a%00b&run=1",
                                  "?study=../../etc&run=0", "?scenario=" + "x" * 500, "?scenario=%00"])
def test_a_malformed_link_says_why_in_a_line_without_traceback_or_server_path(state, link):
    assert not state.open_link(link)
    assert state.message.startswith("De link kon niet geopend worden:")
    assert "Traceback" not in state.message and "/work" not in state.message and len(state.message) < 300


def test_an_upload_above_the_limit_is_refused_at_once(state, store):
    started = time.perf_counter()
    assert state.import_yaml(b"name: x\n" + b"#" * 3_000_000, filename="groot.yaml") is None
    assert time.perf_counter() - started < 0.5
    assert "groot.yaml" in state.message and "hoogstens" in state.message


@pytest.mark.parametrize("name", ["alias_bomb", "deep", "huge_int", "latin1", "utf16"])
def test_hostile_uploads_are_refused_within_a_second_while_another_session_stays_responsive(store, name):
    from test_scenario_io import alias_bomb

    hostile = {"alias_bomb": alias_bomb().encode(), "deep": ("[" * 3000 + "]" * 3000).encode(),
               "huge_int": ("run:\n  weeks: " + "9" * 5001 + "\n").encode(),
               "latin1": "name: café\n".encode("latin-1"), "utf16": "name: x\n".encode("utf-16")}[name]
    a, b = WorkshopState(store=store), WorkshopState(store=store)
    scheduled = []
    started = time.perf_counter()
    future = a.import_yaml(hostile, filename=f"{name}.yaml", schedule=scheduled.append)
    assert time.perf_counter() - started < 0.1  # parsing happens off the session's thread
    worst = 0.0
    while not future.done() and not scheduled:
        t = time.perf_counter()
        b.set_value("levers.clubs.budget_eur_per_year", int(1000 * (t % 1)) + 1)
        worst = max(worst, time.perf_counter() - t)
        if time.perf_counter() - started > 5:
            break
    for callback in scheduled:
        callback()
    assert future.result(timeout=5) is None
    took = time.perf_counter() - started
    print(f"{name}: refused in {took:.3f} s; the other session's slowest change took {worst:.3f} s")
    assert took < 1.0
    assert a.message.startswith("Dit scenariobestand wordt geweigerd") and f"{name}.yaml" in a.message
    assert worst < 0.25, f"the other session waited {worst:.3f} s"
    assert store.names() == []
