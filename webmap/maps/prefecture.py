"""The prefecture overview of a batch: a map coloured by one indicator, a sortable table, and
one page per municipality, all read from the batch GeoPackage (:mod:`layers.batch`).

Every text from the data (a municipality's or a stop's name) is escaped and put into the page
as data; no template is built from it. The municipalities here have no list of 居場所: the
pages show reach to public buildings (公共施設) and to bus stops with service, and say so.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

import branca.colormap as cm
import folium
import geopandas as gpd
import pandas as pd

from layers.batch import read_batch
from webmap.i18n import N_, SOURCE_LOCALE, gettext_for
from webmap.i18n import gettext as _
from webmap.maps.assets import copy_static, vendor_css, vendor_js
from webmap.maps.elements import IbashoMap

__all__ = ["INDICATORS", "indicator_label", "write_prefecture_pages"]

#: Indicators the overview map can be coloured by: column of ``municipalities`` → label.
INDICATORS = {
    "public_uncovered_share_500m": N_("公共施設から500 m圏外の人の割合"),
    "stops_uncovered_share_500m": N_("運行のあるバス停から500 m圏外の人の割合"),
    "places_uncovered_share_500m": N_("居場所から500 m圏外の人の割合"),
}

_GSI_PALE = "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png"
_GSI_ATTRIBUTION = ('<a href="https://maps.gsi.go.jp/development/ichiran.html" target="_blank" '
                    'rel="noopener">地理院タイル</a>（国土地理院）')

_SORT_SCRIPT = """
document.querySelectorAll('table.sortable th button').forEach(function (button) {
  button.addEventListener('click', function () {
    var th = button.parentElement, table = th.closest('table');
    var index = Array.prototype.indexOf.call(th.parentElement.children, th);
    var ascending = th.getAttribute('aria-sort') !== 'ascending';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].dataset.value, y = b.cells[index].dataset.value;
      var nx = parseFloat(x), ny = parseFloat(y);
      var order = (isNaN(nx) || isNaN(ny)) ? x.localeCompare(y, 'ja') : nx - ny;
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  });
});
"""

_STYLE = """
body { font-family: sans-serif; margin: 1rem; color: #1a1a1a; }
iframe { width: 100%; height: 60vh; border: 1px solid #888; }
table { border-collapse: collapse; margin-top: 1rem; }
th, td { border: 1px solid #888; padding: .25rem .5rem; }
td.number { text-align: right; }
th button { font: inherit; font-weight: bold; background: none; border: 0; cursor: pointer; }
th[aria-sort=ascending] button::after { content: " ▲"; }
th[aria-sort=descending] button::after { content: " ▼"; }
"""


def write_prefecture_pages(gpkg: str | Path, out_dir: str | Path, *, title: str,
                           indicator: str = "public_uncovered_share_500m",
                           attribution: Sequence[str] = (),
                           sheets: Sequence[str] = ()) -> list[Path]:
    """
    Write ``index.html`` (map and table), ``overview_map.html`` and ``areas/<folder>.html``.

    Parameters
    ----------
    gpkg
        The batch GeoPackage.
    out_dir
        Where to write the pages.
    title
        The overview's title, e.g. 群馬県.
    indicator
        A key of :data:`INDICATORS`: what colours the map.
    attribution
        The 出典 lines of the data, shown on every page.
    sheets
        File names (beside ``index.html``) of the printed sheets, linked from the overview.

    Raises
    ------
    ValueError
        An unknown indicator, or a GeoPackage without municipalities.
    """
    if indicator not in INDICATORS:
        msg = f"unknown indicator {indicator!r}; use one of: {', '.join(INDICATORS)}."
        raise ValueError(msg)
    layers = read_batch(gpkg)
    areas = layers.get("municipalities")
    if areas is None or not len(areas):
        msg = f"{gpkg} has no municipalities: run the batch first."
        raise ValueError(msg)
    out = Path(out_dir)
    (out / "areas").mkdir(parents=True, exist_ok=True)
    areas = areas.sort_values("municipality").reset_index(drop=True)
    copy_static(out)
    sources = "".join(f"<br>{html.escape(line)}" for line in dict.fromkeys(attribution))
    written = [_overview_map(areas, indicator, out / "overview_map.html")]
    for _index, area in areas.iterrows():
        written.append(_area_page(area, layers, out / "areas" / f"{area['folder']}.html",
                                  sources))
    index = out / "index.html"
    index.write_text(_overview_html(areas, title, indicator, sources, sheets),
                     encoding="utf-8")
    return [index, *written]


def _overview_map(areas: gpd.GeoDataFrame, indicator: str, path: Path) -> Path:
    values = areas[indicator].astype(float)
    finite = values[values.notna()]
    low, high = (0.0, 1.0) if finite.empty else (float(finite.min()), float(finite.max()))
    colours = cm.LinearColormap(["#f7fbff", "#6baed6", "#08306b"], vmin=low,
                                vmax=high if high > low else low + 1e-9)
    minx, miny, maxx, maxy = areas.total_bounds
    fmap = _local_map("static/vendor", indicator_label(indicator))
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    data = areas[["municipality", indicator, "geometry"]].copy()
    data["value"] = [_share(v) for v in data[indicator]]
    by_name = dict(zip(areas["municipality"], values, strict=True))

    def style(feature: dict) -> dict:
        value = by_name[feature["properties"]["municipality"]]
        return {"fillColor": "#cccccc" if math.isnan(value) else colours(value),
                "color": "#333333", "weight": 1, "fillOpacity": 0.8}

    folium.GeoJson(
        data.drop(columns=[indicator]).to_json(),
        name=indicator_label(indicator),
        style_function=style,
        tooltip=folium.GeoJsonTooltip(["municipality", "value"],
                                      aliases=[_("市町村"), indicator_label(indicator)]),
    ).add_to(fmap)
    legend = (f'<div role="img" aria-label="{html.escape(indicator_label(indicator))}" '
              'style="position:fixed;bottom:16px;right:16px;z-index:1000;background:#fff;'
              'padding:4px 8px;border:1px solid #888">'
              f'{html.escape(indicator_label(indicator))}<br>'
              f'<span style="display:inline-block;width:160px;height:12px;background:'
              f'linear-gradient(to right, {colours(low)}, {colours((low + high) / 2)}, '
              f'{colours(high)})"></span><br>{_share(low)} – {_share(high)}</div>')
    fmap.get_root().html.add_child(folium.Element(legend))
    fmap.save(str(path))
    return path


def indicator_label(indicator: str) -> str:
    """The words of an indicator (a key of :data:`INDICATORS`) from the catalogue."""
    return gettext_for(SOURCE_LOCALE)(INDICATORS[indicator])


def _local_map(asset_base: str, label: str) -> folium.Map:
    """A map that loads only the vendored Leaflet (no CDN: pages work offline), with the
    project's metric-only scale bar."""
    fmap = IbashoMap(tiles=None, control_scale=True, background_color="#FFFFFF",
                     aria_label=label)
    fmap.default_js = vendor_js("leaflet", asset_base=asset_base)
    fmap.default_css = vendor_css("leaflet", asset_base=asset_base)
    return fmap


def _share(value: float) -> str:
    return "—" if value is None or math.isnan(float(value)) else f"{100 * float(value):.1f} %"


def _count(value: float) -> str:
    return "—" if value is None or math.isnan(float(value)) else f"{float(value):,.0f}"


def _cell(text: str, value: object, *, number: bool = False) -> str:
    sort_value = "" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else str(value)
    css = ' class="number"' if number else ""
    return f'<td{css} data-value="{html.escape(sort_value)}">{text}</td>'


def _overview_html(areas: gpd.GeoDataFrame, title: str, indicator: str, sources: str,
                   sheets: Sequence[str] = ()) -> str:
    headers = [_("市町村"), _("人口"), _("公共施設から500 m以内の人"),
               _("公共施設から500 m圏外の割合"), _("運行のあるバス停から500 m以内の人"),
               _("運行のあるバス停 / バス停"), _("居場所"), _("区域")]
    rows = []
    for _index, area in areas.iterrows():
        link = f'<a href="areas/{html.escape(str(area["folder"]))}.html">' \
               f'{html.escape(str(area["municipality"]))}</a>'
        places = (_count(area["places"]) if area["places_known"] else _("一覧なし"))
        rows.append("<tr>" + "".join([
            _cell(link, area["municipality"]),
            _cell(_count(area["population"]), area["population"], number=True),
            _cell(_count(area["public_covered_500m"]), area["public_covered_500m"],
                  number=True),
            _cell(_share(area["public_uncovered_share_500m"]),
                  area["public_uncovered_share_500m"], number=True),
            _cell(_count(area["stops_covered_500m"]), area["stops_covered_500m"], number=True),
            _cell(f'{int(area["stops_with_service"])} / {int(area["stops"])}',
                  area["stops_with_service"], number=True),
            _cell(html.escape(places), area["places"] if area["places_known"] else -1,
                  number=True),
            _cell(html.escape(str(area["districts_source"])), area["districts_source"]),
        ]) + "</tr>")
    head = "".join(f'<th scope="col"><button type="button">{html.escape(h)}</button></th>'
                   for h in headers)
    caption = _("市町村ごとの徒歩圏（直線距離による概算）。見出しを押すと並べ替えます。")
    note = _("居場所の一覧がない市町村では、公共施設（指定避難所）と運行のあるバス停までの"
             "徒歩圏を示します。公共施設は居場所ではありません。年齢別の人口がないため、"
             "人数は総人口です。")
    compare = _("市町村の比較")
    prints = ""
    if sheets:
        links = " / ".join(f'<a href="{html.escape(name)}">'
                           f'{html.escape(name.rsplit(".", 1)[-1].upper())}</a>'
                           for name in sheets)
        heading = _("印刷用の地図（A3）")
        prints = f"<p>{html.escape(heading)}: {links}</p>"
    page_title = html.escape(f"{title} {compare}")
    return f"""<!DOCTYPE html>
<html lang="ja"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{page_title}</title><style>{_STYLE}</style></head>
<body><h1>{page_title}</h1>
<p>{html.escape(note)}</p>{prints}
<iframe src="overview_map.html" title="{html.escape(indicator_label(indicator))}"></iframe>
<table class="sortable"><caption>{html.escape(caption)}</caption>
<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>
<p><small>{sources.removeprefix("<br>")}</small></p>
<script>{_SORT_SCRIPT}</script>
</body></html>
"""


def _area_page(area: pd.Series, layers: dict, path: Path, sources: str) -> Path:
    name = str(area["municipality"])
    outline = gpd.GeoDataFrame([area], geometry="geometry", crs=layers["municipalities"].crs)
    minx, miny, maxx, maxy = outline.total_bounds
    fmap = _local_map("../static/vendor", name)
    folium.TileLayer(_GSI_PALE, attr=_GSI_ATTRIBUTION, name="地理院タイル 淡色地図",
                     max_zoom=18).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    folium.GeoJson(outline[["geometry"]].to_json(), name=name,
                   style_function=lambda _f: {"fill": False, "color": "#333333",
                                              "weight": 2}).add_to(fmap)
    keys = [(_("市町村界"), "border:2px solid #333333;background:none")]
    gaps = layers.get("gaps")
    if gaps is not None:
        mine = gaps[(gaps["municipality"] == name) & (gaps["target"] == "公共施設")
                    & (gaps["radius_m"] == 500)]
        if len(mine):
            folium.GeoJson(mine[["geometry"]].to_json(), name=_("公共施設から500 m圏外"),
                           style_function=lambda _f: {"color": "#b2182b", "weight": 0,
                                                      "fillOpacity": 0.3}).add_to(fmap)
            keys.append((_("公共施設から500 m圏外"),
                         "background:rgba(178,24,43,.3)"))
    for layer_name, label, colour in (("public_buildings", _("公共施設（指定避難所）"), "#1b7837"),
                                      ("stops", _("バス停（平日の便数）"), "#2166ac")):
        frame = layers.get(layer_name)
        if frame is None or not (frame["municipality"] == name).any():
            continue
        keys.append((label, f"background:{colour};border-radius:50%"))
        group = folium.FeatureGroup(name=label).add_to(fmap)
        for _index, row in frame[frame["municipality"] == name].iterrows():
            text = html.escape(str(row["name"]))
            if layer_name == "stops":
                per_day = _("便/日")
                text += f" {int(row['departures_per_day'])}{html.escape(per_day)}"
            folium.CircleMarker([row.geometry.y, row.geometry.x], radius=5, color=colour,
                                fill=True, fill_opacity=0.9, tooltip=text).add_to(group)
    folium.LayerControl().add_to(fmap)
    reach = _("公共施設・バス停までの徒歩圏")
    heading = html.escape(f"{name} {reach}")
    summary = html.escape(_("区域") + f": {area['districts_source']} / " + (
        _("居場所") + f": {_count(area['places'])}" if area["places_known"]
        else _("居場所の一覧はありません")))
    back = _("市町村の比較へ")
    fmap.get_root().header.add_child(folium.Element(f"<title>{heading}</title>"))
    fmap.get_root().html.add_child(folium.Element(
        f'<div style="position:fixed;top:8px;left:50px;z-index:1000;background:#fff;'
        f'padding:4px 8px;border:1px solid #888"><h1 style="font-size:1.1rem;margin:0">'
        f'{heading}</h1><p style="margin:0">{summary}</p>'
        f'<p style="margin:0"><a href="../index.html">{html.escape(back)}</a></p>'
        f'<p style="margin:0"><small>{sources.removeprefix("<br>")}</small></p></div>'))
    rows = "".join(f'<li><span aria-hidden="true" style="display:inline-block;width:12px;'
                   f'height:12px;margin-right:6px;vertical-align:-1px;{css}"></span>'
                   f"{html.escape(label)}</li>" for label, css in keys)
    fmap.get_root().html.add_child(folium.Element(
        '<section aria-label="凡例" style="position:fixed;bottom:36px;left:10px;z-index:1000;'
        'background:#fff;padding:4px 8px;border:1px solid #888;font:14px sans-serif">'
        f'<strong>{html.escape(_("凡例"))}</strong>'
        f'<ul style="list-style:none;margin:0;padding:0">{rows}</ul></section>'))
    fmap.save(str(path))
    return path
