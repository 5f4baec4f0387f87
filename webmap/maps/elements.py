"""folium/branca elements of the ibasho map: the page, the map and its panels.

Data is never template source. branca renders an element's macros and then compiles their
output once more as a Jinja template (``MacroElement.render`` wraps it in ``Element(text)``),
so a place called ``{{ 7*7 }}`` would show ``49`` and a name holding ``{{`` alone would break
every page. :class:`IbashoFigure` renders its whole tree in one pass instead: every macro
element in it (ours and folium's) renders through :class:`SinglePassRender`, which keeps the
macros' output as :class:`RenderedText`, text that is never compiled again.

The panels (title, legend, unlocated places, sources) are Leaflet controls created by the
inlined ``IbashoMap`` JavaScript from HTML made in Python. That HTML reaches the script
through Jinja's ``tojson`` filter, which escapes ``<``, ``>``, ``&`` and ``'``, so nothing
in it can close the ``<script>`` element.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement
from folium.template import Template
from folium.utilities import JsCode

from webmap.maps.assets import map_css, map_js

__all__ = ["CompactGeoJson", "HtmlControl", "IbashoFigure", "IbashoMap", "Legend", "MapScript",
           "Panel", "RenderedText", "SinglePassRender", "Sources", "TitleBar", "map_geojson",
           "script_json"]

#: The parts of a page that a macro element's ``header``, ``html`` and ``script`` macros fill.
_PARTS = ("header", "html", "script")

_BIND = JsCode("IbashoMap.bindFeature")
_STYLE = JsCode("IbashoMap.featureStyle")


def script_json(value: Any) -> str:
    r"""
    ``value`` as compact JSON that is safe inside ``<script>``: UTF-8 text stays as it is
    (half the size of ``\uXXXX`` escapes), while ``<``, ``>``, ``&`` and ``'`` are escaped
    as Jinja's ``tojson`` does, so no value can end the script element.

    Examples
    --------
    >>> script_json({"name": "<script>居場所"})
    '{"name":"\\u003cscript\\u003e居場所"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("'", "\\u0027"))


class RenderedText(Element):
    """Text already rendered: :meth:`render` returns it as it is, never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "RenderedText"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


class SinglePassRender(MacroElement):
    """
    ``MacroElement.render`` without the second pass: the output of the element's macros goes
    to the page as :class:`RenderedText`. :func:`single_pass` puts this class just before
    ``MacroElement`` in an element's method order, so folium's own ``render`` methods (links,
    ``addTo`` calls) still run and then end here.
    """

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            msg = f"{type(self).__name__} can only be rendered inside a Figure."
            raise TypeError(msg)
        macros = self._template.module.__dict__
        for part in _PARTS:
            macro = macros.get(part)
            if macro is not None:
                getattr(figure, part).add_child(RenderedText(macro(self, kwargs)),
                                                name=self.get_name())
        for child in list(self._children.values()):
            single_pass(child).render(**kwargs)


@cache
def _single_pass_class(cls: type[MacroElement]) -> type[MacroElement]:
    # C3 linearisation places SinglePassRender right before MacroElement in the new class.
    return type(cls.__name__, (cls, SinglePassRender), {"__module__": cls.__module__,
                                                        "__doc__": cls.__doc__})


def single_pass(element: Element) -> Element:
    """``element``, made to render in one pass if it is a macro element (changed in place)."""
    if isinstance(element, MacroElement) and not isinstance(element, SinglePassRender):
        element.__class__ = _single_pass_class(type(element))
    return element


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in element._children.values():
        yield from _walk(child)


class _GeoJsonData(MacroElement):
    """Adds the features of its parent ``CompactGeoJson`` (before the layer joins the map)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.addData({{ this.json }});
        {% endmacro %}
        """
    )

    def __init__(self, json_text: str) -> None:
        super().__init__()
        self._name = "GeoJsonData"
        self.json = json_text


class CompactGeoJson(folium.GeoJson):
    """
    ``folium.GeoJson`` whose features are written as compact UTF-8 JSON (see
    :func:`script_json`) rather than folium's ASCII-escaped, spaced-out JSON: the page is
    about half the size with Japanese names and popups.
    """

    def __init__(self, data: dict[str, Any], **kwargs: Any) -> None:
        super().__init__({"type": "FeatureCollection", "features": []}, **kwargs)
        self.add_child(_GeoJsonData(script_json(data)))
        self.feature_count = len(data.get("features", []))


def map_geojson(data: dict[str, Any], *, name: str | None = None, show: bool = True,
                control: bool = True, **options: Any) -> CompactGeoJson:
    """
    A map layer of ``data`` whose features carry their own ``style``, ``tooltip`` and
    ``popup`` (escaped HTML) in their properties, bound by the map's JavaScript.

    ``options`` go to :class:`folium.GeoJson` (``pane``, ``point_to_layer``, ``style`` …).
    """
    options.setdefault("style", _STYLE)
    return CompactGeoJson(data, name=name, show=show, control=control, on_each_feature=_BIND,
                          **options)


class IbashoFigure(Figure):
    """A full HTML page for one map: ``lang="ja"``, an escaped title, a page filling body."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="ja">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        "{% if this.title %}<title>{{ this.title|e }}</title>{% endif %}\n"
        "<style>html, body { width: 100%; height: 100%; margin: 0; padding: 0; }</style>\n"
        "    {{ this.header.render(**kwargs) }}\n"
        "</head>\n"
        "<body>\n"
        "    {{ this.html.render(**kwargs) }}\n"
        "<script>\n"
        "    {{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        "</body>\n"
        "</html>\n"
    )

    def render(self, **kwargs: Any) -> str:
        """The whole page, rendered in one pass (see the module's docstring).

        Every element is numbered in the order of the tree first: branca names each element
        with a random id, so two processes drawing the same data wrote different pages, and a
        browser's ``If-None-Match`` to one was never a match at the other. Numbered, the same
        data gives the same bytes (and ETag) in every process.
        """
        for number, element in enumerate(_walk(self)):
            if not isinstance(element, IbashoMap):  # its name is in scripts made before
                element._id = f"{number:x}"
        for child in list(self._children.values()):
            for element in _walk(child):
                single_pass(element)
            child.render(**kwargs)
        return self._template.render(this=self, kwargs=kwargs)


class IbashoMap(folium.Map):
    """
    ``folium.Map`` with an accessible page head and a metric-only scale bar.

    folium's own template forbids zooming the page (``user-scalable=no``), draws a scale
    bar in miles as well, and leaves the map div without a label. Everything else is
    folium's: the options, layers and controls behave as documented.
    """

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <style>
                #{{ this.get_name() }} {
                    position: absolute; top: 0; bottom: 0; left: 0; right: 0;
                    background: {{ this.background_color }};
                }
            </style>
            <script>
                L_NO_TOUCH = {{ this.global_switches.no_touch|tojson }};
                L_DISABLE_3D = {{ this.global_switches.disable_3d|tojson }};
            </script>
        {% endmacro %}

        {% macro html(this, kwargs) %}
            <div class="folium-map ibasho-map" id={{ this.get_name()|tojson }}
                 role="region" aria-label="{{ this.aria_label|e }}"></div>
        {% endmacro %}

        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.map(
                {{ this.get_name()|tojson }},
                {
                    center: {{ this.location|tojson }},
                    crs: L.CRS.{{ this.crs }},
                    ...{{ this.options|tojavascript }}
                }
            );
            {%- if this.control_scale %}
            L.control.scale({imperial: false, maxWidth: 160}).addTo({{ this.get_name() }});
            {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, *, background_color: str, aria_label: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._id = "ibasho"  # one map a page; the same name in every process (IbashoFigure)
        self.background_color = background_color
        self.aria_label = aria_label


class MapScript(MacroElement):
    """The map's own CSS and JavaScript, inlined, and its settings (texts, timetables)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            {{ this.js }}
            IbashoMap.configure({{ this.settings|tojson }});
            IbashoMap.watchZoom({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, settings: dict[str, Any]) -> None:
        super().__init__()
        self._name = "MapScript"
        self.settings = settings
        self.css = map_css()
        self.js = map_js()


class HtmlControl(MacroElement):
    """HTML that a function of the map's script puts on the map (``IbashoMap.<function>``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            IbashoMap.{{ this.function }}({{ this._parent.get_name() }}, {{ this.html|tojson }});
        {% endmacro %}
        """
    )

    #: The function of ``ibasho-map.js`` that places the HTML (a name of the code, never data).
    function = ""

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = type(self).__name__
        self.html = html


class TitleBar(HtmlControl):
    """The map's title and the method note, top left, above the zoom buttons."""

    function = "addTitle"


class Legend(MacroElement):
    """
    The legend, bottom left: one row per layer type shown, with its symbol.

    Rows carry ``data-layer="<key>"``; ``layers`` maps each key to the folium layer it
    describes, so a row is dimmed while its layer is switched off.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            IbashoMap.addLegend({{ this._parent.get_name() }}, {{ this.html|tojson }}, {
            {%- for key, layer in this.layers.items() %}
                {{ key|tojson }}: {{ layer.get_name() }},
            {%- endfor %}
            });
        {% endmacro %}
        """
    )

    def __init__(self, html: str, layers: dict[str, folium.map.Layer]) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html
        self.layers = layers


class Panel(HtmlControl):
    """A collapsible panel at the top right (the places without a position)."""

    function = "addUnlocated"


class Sources(HtmlControl):
    """Every line of the config's attribution, in the map's attribution control."""

    function = "addSources"
