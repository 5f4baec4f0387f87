"""Shared fixtures: the Takasaki study area, its analysis and the web app (flaskr style)."""

from __future__ import annotations

import pytest

from data import get_path
from layers.study import analyse_study_area, load_study_area


@pytest.fixture(scope="session")
def takasaki():
    """The embedded Takasaki study area (loaded once per test session)."""
    return load_study_area(get_path("takasaki"))


@pytest.fixture(scope="session")
def coverage(takasaki):
    """Straight-line coverage of Takasaki (:func:`layers.study.analyse_study_area`)."""
    return analyse_study_area(takasaki)


@pytest.fixture(scope="session")
def app():
    """The web app on the Takasaki data; created once, as loading takes a few seconds."""
    from webmap.app import create_app

    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    """A Flask test client."""
    return app.test_client()
