"""Made-up community resources of 箕郷 for the tests (names end in （架空）; positions are a real
Takasaki place's, moved a little): an area for the whole district, an area of two 町丁, a
mobile shop stop and a walking group.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from geo.crs import STORAGE_CRS
from layers.fields.schema import PLACE_COLUMNS
from layers.study import study_with_places


def made_up_resources(study) -> gpd.GeoDataFrame:
    """Four made-up resources of 箕郷: an area for the whole district, an area of two 町丁,
    a mobile shop stop (a point) and a walking group (a point)."""
    hall = study.places[study.places["name"] == "箕郷公民館"].geometry.iloc[0]
    rows = [
        {"name": "箕郷みまもり隊（架空）", "category": "見守り活動", "district": "箕郷",
         "serves": "地区全域", "contact": "027-371-0000", "schedule": "毎週月曜日",
         "geometry": None},
        {"name": "生原ささえあいの会（架空）", "category": "助け合い活動", "district": "箕郷",
         "serves": "箕郷町生原、箕郷町上芝", "contact": "090-1234-5678", "geometry": None},
        {"name": "移動販売 とくし便 箕郷支所前（架空）", "category": "移動販売",
         "schedule": "毎週火曜日 10:00～10:30", "notes": "=HYPERLINK(\"http://x\")",
         "geometry": shapely.Point(hall.x + 0.0005, hall.y)},
        {"name": "みさと ふれあいウォーキングの会（架空）", "category": "ウォーキング",
         "schedule": "毎月第2・第4木曜日 9:00～",
         "geometry": shapely.Point(hall.x, hall.y + 0.001)},
    ]
    frame = pd.DataFrame(rows)
    for column in PLACE_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
        frame[column] = frame[column].fillna("")
    frame["place_id"] = [f"r{i:03d}" for i in range(1, len(frame) + 1)]
    frame["position_quality"] = ["unknown", "unknown", "exact", "exact"]
    return gpd.GeoDataFrame(frame[list(PLACE_COLUMNS)], geometry=frame["geometry"],
                            crs=STORAGE_CRS)


def with_resources(study):
    places = pd.concat([study.places[[*PLACE_COLUMNS, "geometry"]], made_up_resources(study)],
                       ignore_index=True)
    return study_with_places(study, gpd.GeoDataFrame(places, geometry="geometry",
                                                     crs=STORAGE_CRS))
