"""The next journey by walking and bus on ``/near``, on the real Takasaki data (ぐるりん trips
rebuilt from the stops' timetables, so every journey says 推定).

4区のえんがわ meets 毎月第1水曜日・第3月曜日 10:00～12:00 (its next open day after Tuesday
1 December 2026 is Wednesday 2 December); the home is the 町丁 point of the population layer
(2015 census) 36 minutes' walk away, 7 minutes from the 正観寺町 stop.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from html.parser import HTMLParser

import conftest_near
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webmap.web.base import app_state
from webmap.web.resident.journey import journey_entry, transit_model

phone = conftest_near.phone

HOME = {"latitude": 36.37177, "longitude": 139.01875}
HERE = f"lat={HOME['latitude']}&lon={HOME['longitude']}"
PLACE = "4区のえんがわ"


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _journey(client, query: str) -> dict:
    response = client.get(f"/api/near?{HERE}&{query}")
    assert response.status_code == 200, response.get_json()
    place = next(p for p in response.get_json()["places"] if p["name"] == PLACE)
    assert place["minutes"] > 15  # far: the journey is offered
    return place["journey"]


def test_the_next_journey_arrives_by_the_start(client) -> None:
    journey = _journey(client, "at=2026-12-01T08:00")
    assert journey["found"] and journey["on_time"] is True
    assert journey["date"] == "2026-12-02"
    assert journey["heading"] == "バスで行く場合：12月2日（水） 開始 10:00"
    steps = [step["text"] for step in journey["steps"]]
    kinds = [step["kind"] for step in journey["steps"]]
    assert kinds[0] == "walk" and kinds[-1] == "walk" and "ride" in kinds
    leave = re.fullmatch(r"(\d\d:\d\d) 出発 → 徒歩(\d+)分 → (.+) バス停", steps[0])
    ride = re.fullmatch(r"(\d\d:\d\d) 発 (.+)（(.+)行き）→ (\d\d:\d\d) 着 (.+) 下車",
                        steps[kinds.index("ride")])
    arrive = re.fullmatch(rf"徒歩(\d+)分 → (\d\d:\d\d) 着 {PLACE}", steps[-1])
    assert leave and ride and arrive, steps
    # the route as the data name it: the operator (運行) and the route's end stops (経路)
    assert ride[2].startswith("高崎市内のコミュニティ ") and "→" in ride[2]
    # times run forward, the walk takes its minutes, and it arrives by 10:00
    assert _minutes(leave[1]) + int(leave[2]) <= _minutes(ride[1]) < _minutes(ride[4])
    assert _minutes(ride[4]) + int(arrive[1]) == _minutes(arrive[2]) <= 10 * 60
    assert journey["verdict"] == "開始 10:00 に間に合います"
    assert journey["estimate_label"] == "推定"
    assert journey["notes"][0].startswith("推定：")
    # what the bus data left out, named by file and row
    assert journey["skipped"] and journey["skipped"][0].startswith("gururin_stops.geojson, row")
    assert any("1件の問題" in note for note in journey["notes"])


def test_too_late_for_the_start_says_so(client) -> None:
    journey = _journey(client, "at=2026-12-02T09:50")  # ten minutes before the start
    assert journey["found"] and journey["on_time"] is False
    # the 9:45 bus has gone and the next one is later than walking all the way
    assert journey["message"] == "歩いて行くのがいちばん早く着きます"
    assert [step["kind"] for step in journey["steps"]] == ["walk"]
    assert journey["date"] == "2026-12-02"
    assert journey["verdict"] == "開始 10:00 に間に合いません"
    arrival = re.search(r"(\d\d:\d\d) 着 " + PLACE, journey["steps"][-1]["text"])
    assert arrival and _minutes(arrival[1]) > 10 * 60
    assert _minutes(journey["steps"][0]["text"][:5]) >= 9 * 60 + 50


def test_in_english(client) -> None:
    journey = _journey(client, "at=2026-12-01T08:00&lang=en")
    assert journey["heading"] == "By bus: Wed 2 Dec, starts at 10:00"
    ride = next(step["text"] for step in journey["steps"] if step["kind"] == "ride")
    assert re.fullmatch(r"\d\d:\d\d 高崎市内のコミュニティ .+ \(to .+\) → get off at .+ at "
                        r"\d\d:\d\d", ride), ride
    assert journey["verdict"] == "Arrives in time for the start at 10:00"
    assert journey["estimate_label"] == "estimate"


def test_a_place_without_dates_gets_the_journey_leaving_now(client) -> None:
    response = client.get(f"/api/near?{HERE}&at=2026-12-01T08:00")
    undated = [p["journey"] for p in response.get_json()["places"]
               if p["journey"] and p["name"] != PLACE]
    assert undated
    for journey in undated:
        assert journey["heading"].startswith("バスで行く場合：いま出発すると")
        assert journey["verdict"] == "" and journey["on_time"] is None
        if journey["found"]:
            assert _minutes(journey["steps"][0]["text"][:5]) >= 8 * 60
        else:
            assert journey["message"]


@pytest.mark.parametrize("at", ["2026-11-28T23:00", "2026-12-31T23:30", "2027-01-01T05:00"])
def test_when_no_bus_runs_any_more_today_the_page_still_answers(client, at) -> None:
    """Late at night, on New Year's Eve and before the first bus there is no boarding at all
    (a Saturday night at 22:53 gave 500 on every /near once)."""
    response = client.get(f"/api/near?{HERE}&at={at}")
    assert response.status_code == 200, response.get_json()
    journeys = [p["journey"] for p in response.get_json()["places"] if p["journey"]]
    assert journeys
    for journey in journeys:
        if journey["found"]:  # walking all the way, or a bus of a later day
            assert journey["steps"]
        else:
            assert journey["message"]


def test_the_page_has_the_journey_without_javascript(client) -> None:
    html = client.get(f"/near?{HERE}&at=2026-12-01T08:00").get_data(as_text=True)
    assert '<ol class="journey-steps">' in html
    assert "開始 10:00 に間に合います" in html
    assert '<span class="estimate-mark journey-estimate">推定</span>' in html


@pytest.mark.browser
def test_journey_on_a_phone(phone, server, screenshots) -> None:
    opened = phone(server, geolocation=HOME)
    page = opened.page
    page.goto(f"{server}/near?at=2026-12-02T09:30")  # the open day, 09:30
    conftest_near.wait_for_list(page)
    card = page.locator("#near-list .place-card", has_text=PLACE)
    journey = card.locator("section.journey")
    assert journey.count() == 1
    text = journey.inner_text()
    assert "12月2日（水） 開始 10:00" in text and "下車" in text and "推定" in text
    assert "開始 10:00 に間に合います" in text
    step_px = page.evaluate("parseFloat(getComputedStyle(document.querySelector("
                            "'.journey-step')).fontSize)")
    assert step_px >= 20  # large text
    journey.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "near_journey.png")
    journey.screenshot(path=screenshots / "near_journey_box.png")
    assert opened.errors == [] and opened.dialogs == []


class _Text(HTMLParser):
    """The text of each ``<li>`` of an HTML fragment, and every tag met."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self.tags: list[str] = []
        self.in_item = False

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.append(tag)
        if tag == "li":
            self.items.append("")
            self.in_item = True

    def handle_endtag(self, tag) -> None:
        if tag == "li":
            self.in_item = False

    def handle_data(self, data) -> None:
        if self.in_item:
            self.items[-1] += data


class _Model:
    """The served bus model, with a short repr (hypothesis prints the arguments)."""

    def __init__(self, model) -> None:
        self.model = model

    def __repr__(self) -> str:
        return "<the served bus model>"


@pytest.fixture(scope="module")
def bus_model(app):
    with app.app_context():
        return _Model(transit_model(app_state(app).maps))


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=40).filter(str.strip))
def test_a_place_name_is_data_in_the_page(app, bus_model, name) -> None:
    # the place's name (staff's text) goes into the journey's last step and stays text
    places = bus_model.model.places.copy()
    places.iloc[0, places.columns.get_loc("name")] = name
    model = replace(bus_model.model, places=places)
    entry = journey_entry(model, (HOME["longitude"], HOME["latitude"]), 0,
                          now=dt.datetime(2026, 12, 1, 8, 0))
    assert entry["found"] and entry["steps"][-1]["text"].endswith(f"着 {name}")
    with app.test_request_context("/near"):
        html = str(app.jinja_env.get_template("near_card.html").module.journey_block(entry))
    parsed = _Text()
    parsed.feed(html)
    parsed.close()
    assert parsed.items[len(entry["steps"]) - 1] == entry["steps"][-1]["text"]
    assert set(parsed.tags) <= {"section", "h4", "span", "ol", "li", "p", "details", "summary",
                                "ul"}
