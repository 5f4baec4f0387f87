"""One style for every map: colours, marker shapes, glyphs and the Japanese labels.

Data only (dicts, tuples and strings), so the web map (``webmap/build.py``) and a printed A4
map (matplotlib) draw the same symbols with the same words. Marker shapes are given as
vertices on a unit circle (centre ``(0, 0)``, y up), which both SVG and
``matplotlib.path.Path`` can use, plus the nearest matplotlib marker code.

Colours are dark enough for a white glyph (contrast ≥ 4.5:1) and categories differ by
shape as well as colour, so the map still reads in greyscale and for colour-blind readers.
"""

from __future__ import annotations

import math

__all__ = [
    "BACKGROUND_COLOR",
    "BASIS_LABELS",
    "BUFFER_OPACITY",
    "CATEGORY_STYLES",
    "COVERAGE_LABELS",
    "DAY_TYPE_LABELS",
    "DEFAULT_CATEGORY_STYLE",
    "DISTRICT_STYLE",
    "FIELD_LABELS",
    "GAP_STYLE",
    "ISOCHRONE_COLORS",
    "ISOCHRONE_OPACITY",
    "LAYER_LABELS",
    "MARKER_SIZE_PX",
    "METHOD_NOTE",
    "NETWORK_GAP_STYLE",
    "PAGE_TEXT",
    "PLANNER_STYLE",
    "PLANNER_TEXT",
    "PLAN_TEXT",
    "POPULATION_STYLE",
    "POSITION_NOTES",
    "PRINT_HATCHES",
    "PRINT_PAGE_TEXT",
    "PRINT_TEXT",
    "RADIUS_COLORS",
    "ROUTE_STYLE",
    "SHAPES",
    "STOP_STYLE",
    "SUGGESTION_STYLE",
    "TIMETABLE_TEXT",
    "UI_TEXT",
    "UNCOVERED_STYLE",
    "WALKING_ROUTE_STYLE",
]


def _regular_polygon(sides: int, *, rotation_deg: float = 90.0,
                     radius: float = 1.0) -> tuple[tuple[float, float], ...]:
    """Vertices of a regular polygon on a circle of ``radius``, the first at ``rotation_deg``."""
    return tuple(
        (round(radius * math.cos(math.radians(rotation_deg + 360.0 * i / sides)), 4),
         round(radius * math.sin(math.radians(rotation_deg + 360.0 * i / sides)), 4))
        for i in range(sides)
    )


#: Marker shapes: ``vertices`` on the unit circle (None for a circle), the matplotlib marker
#: code, and where the glyph's centre sits (``glyph_dy``, unit coordinates, y up) so that it
#: fits inside shapes that are not symmetric (a triangle's glyph sits low).
SHAPES: dict[str, dict] = {
    "circle": {"vertices": None, "mpl_marker": "o", "glyph_dy": 0.0, "scale": 0.92},
    "square": {"vertices": _regular_polygon(4, rotation_deg=45.0), "mpl_marker": "s",
               "glyph_dy": 0.0, "scale": 1.12},
    "triangle": {"vertices": _regular_polygon(3), "mpl_marker": "^", "glyph_dy": -0.22,
                 "scale": 1.3},
    "triangle_down": {"vertices": _regular_polygon(3, rotation_deg=-90.0), "mpl_marker": "v",
                      "glyph_dy": 0.22, "scale": 1.3},
    "diamond": {"vertices": _regular_polygon(4), "mpl_marker": "D", "glyph_dy": 0.0,
                "scale": 1.12},
    "pentagon": {"vertices": _regular_polygon(5), "mpl_marker": "p", "glyph_dy": -0.05,
                 "scale": 1.0},
    "hexagon": {"vertices": _regular_polygon(6), "mpl_marker": "h", "glyph_dy": 0.0,
                "scale": 0.98},
    "octagon": {"vertices": _regular_polygon(8, rotation_deg=22.5), "mpl_marker": "8",
                "glyph_dy": 0.0, "scale": 0.96},
}

#: Per place category: fill colour, marker shape (a key of :data:`SHAPES`) and one glyph.
CATEGORY_STYLES: dict[str, dict[str, str]] = {
    "居場所": {"color": "#C0391B", "shape": "circle", "glyph": "居"},
    "サロン": {"color": "#A23A86", "shape": "pentagon", "glyph": "サ"},
    "公民館": {"color": "#1F5FA8", "shape": "square", "glyph": "公"},
    "町内公民館": {"color": "#00707A", "shape": "octagon", "glyph": "町"},
    "集会所": {"color": "#2E7D32", "shape": "triangle", "glyph": "集"},
    "長寿センター": {"color": "#A65F00", "shape": "hexagon", "glyph": "長"},
    "福祉センター": {"color": "#6A3D9A", "shape": "diamond", "glyph": "福"},
    "コミュニティセンター": {"color": "#5D4037", "shape": "triangle_down", "glyph": "コ"},
}

#: For a category a config adds that has no style of its own.
DEFAULT_CATEGORY_STYLE: dict[str, str] = {"color": "#455A64", "shape": "circle", "glyph": "他"}

#: Place markers: the size on screen in CSS pixels (the glyph is about half of it).
MARKER_SIZE_PX = 30

#: Map background, visible where tiles cannot load (offline): vector layers carry the map.
BACKGROUND_COLOR = "#F2EFE8"

#: Fill colours of the walking-reach buffers, smallest radius first (extra radii reuse the last).
RADIUS_COLORS: tuple[str, ...] = ("#1B7837", "#4DAC26", "#7FBF7B", "#A6DBA0", "#D9F0D3")

#: Buffer fill opacity (the map underneath must stay readable).
BUFFER_OPACITY = 0.28

#: Areas no place reaches.
GAP_STYLE: dict = {"color": "#B2182B", "fill_color": "#E4572E", "fill_opacity": 0.22,
                   "weight": 1.2, "dash_array": "3 4"}

#: District outlines; approximate districts are dashed.
DISTRICT_STYLE: dict = {
    "color": "#263238", "weight": 2.0, "dash_array_approximate": "7 5",
    "selected_color": "#000000", "selected_weight": 4.5, "selected_fill": "#FFF59D",
    "selected_fill_opacity": 0.12, "other_color": "#607D8B", "other_weight": 1.5,
}

#: Population points: circles with area proportional to the count.
POPULATION_STYLE: dict = {"color": "#4A148C", "fill_color": "#8E24AA", "fill_opacity": 0.30,
                          "weight": 1.0, "min_radius_px": 3.0, "max_radius_px": 18.0}

#: Bus stops and their clusters.
STOP_STYLE: dict = {"color": "#1A237E", "fill_color": "#FFFFFF", "size_px": 18,
                    "cluster_color": "#283593"}

#: Bus route lines (their own colour comes from the data; this is the casing and fallback).
ROUTE_STYLE: dict = {"weight": 3.5, "opacity": 0.85, "casing_color": "#FFFFFF",
                     "fallback_color": "#3388FF"}

#: Walking routes (散歩コース).
WALKING_ROUTE_STYLE: dict = {"color": "#6D4C41", "weight": 4.0, "dash_array": "1 7",
                             "opacity": 0.95}

#: Which count the population figures are (``CoverageResult.basis``).
BASIS_LABELS: dict[str, str] = {"total": "総人口", "age65": "65歳以上人口"}

#: The method, stated wherever numbers or buffers are shown (no street network is loaded).
METHOD_NOTE = "直線距離による概算（迂回係数{detour_factor:g}）"

#: Layer names in the layer control and the legend. ``{…}`` are filled in by the builder.
LAYER_LABELS: dict[str, str] = {
    "districts": "地区",
    "districts_approximate": "地区（概略区域）",
    "places": "居場所・集会施設",
    "place_category": "{category}",
    "stops": "バス停（ぐるりん等）",
    "bus_routes": "バス路線",
    "walking_routes": "散歩コース",
    "buffer": "徒歩圏（直線{radius_m:g} m・徒歩約{minutes}分）",
    "gap": "空白地域（{radius_m:g} m圏外）",
    "population": "人口（町丁代表点・{basis}）",
    "unlocated": "位置未確認の居場所",
}

#: How good a place's position is (``position_quality``).
POSITION_NOTES: dict[str, str] = {
    "exact": "位置は施設データ",
    "approx": "位置はおおよそ（付近のバス停の位置）",
    "unknown": "位置未確認",
}

#: Field names in place popups and lists.
FIELD_LABELS: dict[str, str] = {
    "category": "種別",
    "district": "地区",
    "schedule": "日時",
    "contact": "連絡先",
    "address": "住所",
    "notes": "備考",
    "source": "出典",
    "position": "位置",
    "operator": "運行",
    "stops": "停留所",
    "length": "長さ",
    "walk_minutes": "徒歩",
    "kind": "種類",
}

#: Day types of :func:`layers.files.timetable.day_type`.
DAY_TYPE_LABELS: dict[str, str] = {"weekday": "平日", "saturday": "土曜", "sunday": "日曜",
                                   "holiday": "祝日"}

#: Words of the bus-stop timetable popup (used by the map's JavaScript).
TIMETABLE_TEXT: dict[str, str] = {
    "today": "本日（{day}）の発車時刻",
    "all": "すべての発車時刻（曜日の表示を確認してください）",
    "none_today": "本日の発車はありません",
    "no_timetable": "時刻表の情報がありません",
    "next": "次の便",
    "bound": "{destination}行き",
    "holiday_caution": "祝日の運行が不明な便は表示していません（要確認）",
    "outdated_holidays": "祝日の情報が古いため、すべての時刻を表示しています",
    "source_date": "時刻は{note}",
}

#: Words of the coverage tables and summaries.
COVERAGE_LABELS: dict[str, str] = {
    "radius": "半径（直線）",
    "walk_minutes": "徒歩の目安",
    "area_km2": "面積",
    "covered_area_share": "徒歩圏の面積割合",
    "population": "人口",
    "covered": "徒歩圏内の人口",
    "uncovered": "徒歩圏外の人口",
    "covered_share": "徒歩圏内の割合",
    "stop_covered_share": "バス停徒歩圏の割合",
    "places": "居場所・集会施設",
    "places_unlocated": "うち位置未確認",
    "stops": "バス停",
    "city": "市全体",
    "no_population": "人口データなし",
    "basis": "人口は{basis}",
    "minutes": "約{minutes}分",
    "radius_heading": "{radius_m:g} m圏",
    "district": "地区",
    "shares_caption": "徒歩圏内の人口の割合（{basis}・直線距離）",
}

#: Map controls and notes.
UI_TEXT: dict[str, str] = {
    "legend": "凡例",
    "approximate_note": "地区界は概略区域です（公式の区域ではありません）",
    "approximate_short": "概略区域",
    "approx_position": "おおよその位置（点線の枠）",
    "attribution": "出典",
    "fullscreen": "全画面表示",
    "fullscreen_cancel": "全画面表示を終了",
    "locate": "現在地を表示",
    "locate_popup": "現在地（誤差 約{distance} m）",
    "locate_outside": "現在地は地図の範囲外です",
    "unlocated_empty": "位置未確認の居場所はありません",
    "unlocated_note": "地図上の位置が分からないため、一覧で示します。",
    "zoom_in": "拡大",
    "zoom_out": "縮小",
    "stop_kind": "バス停",
    "walk_pace": "歩く速さ 分速{speed:g} m（高齢者の目安）",
    "sections_places": "居場所・集会施設",
    "sections_areas": "徒歩圏と空白地域",
    "sections_context": "地区・交通・人口",
    "district_link": "この地区の地図と集計",
    "district_suffix": "地区",
    "stop_count": "バス停 {count}か所",
    "population_unit": "{count}人",
    "map_label": "地図",
    "stops_legend": "{label}・数字はまとめた数",
    "routes_legend": "{label}（色は路線ごと）",
    "population_legend": "{label}・円の大きさは人数",
    "count_places": "{count}か所",
    "approx_mark": "（おおよその位置）",
    "route_stops": "{first} → {last}（{count}停留所）",
}

#: Words of the HTML pages around the map.
PAGE_TEXT: dict[str, str] = {
    "skip": "地図へ移動",
    "districts": "地区一覧",
    "print_map": "印刷用の地図",
    "plan": "計画づくり",
    "near": "近くの居場所",
    "city_map": "市全体の地図",
    "back_to_list": "地区一覧に戻る",
    "back_to_city": "市全体の地図に戻る",
    "coverage": "徒歩圏の集計",
    "district_title": "{name}地区",
    "not_found": "ページが見つかりません",
    "unknown_district": "「{name}」という地区はありません。次の地区から選んでください。",
    "bad_request": "リクエストが正しくありません",
    "server_error": "サーバーでエラーが起きました。時間をおいてもう一度お試しください。",
    "places_in_district": "この地区の居場所・集会施設",
    "unlocated_in_district": "位置未確認",
    "none": "なし",
}


#: Hatch patterns (matplotlib codes) of area layers on black-and-white printed sheets.
PRINT_HATCHES: dict[str, str] = {"buffer": "..", "gap": "////"}

#: Words only printed sheets need (:mod:`webmap.prints.sheet`).
PRINT_TEXT: dict[str, str] = {
    "date": "{year}年（令和{reiwa}年）{month}月{day}日",
    "created": "{date}作成",
    "scale": "縮尺 約1:{denominator:,}（{paper}で印刷したとき）",
    "north": "北",
    "no_places": "この地区には登録された居場所がありません",
    "no_located_places": "この地区の居場所は位置が未確認のため、下の一覧だけに載せています",
    "table_heading": "地図の番号と居場所・集会施設",
    "table_number": "番号",
    "table_name": "名称",
    "unlocated_mark": "位置未確認",
    "other_district": "{district}地区",
    "table_elsewhere": "施設の一覧は地区ごとの地図をご覧ください",
    "table_too_long": "施設が多いため一覧は省きました（ウェブの地図をご覧ください）",
    "unlocated_count": "位置未確認の居場所 {count}件（地図には載っていません）",
    "neighbours_unnumbered": "番号のない印は、となりの地区の施設です",
    "qr_caption": "ウェブの地図",
    "streets": "道路",
    "rivers": "河川・水面",
}


# ---- planning: network reach, uncovered people, suggested sites (webmap/plan_layers.py) ----

#: Fill colours of the network isochrones (徒歩N分圏・道のり), shortest first. Blues, so they
#: never look like the green straight-line circles they are compared with.
ISOCHRONE_COLORS: tuple[str, ...] = ("#08519C", "#3182BD", "#6BAED6", "#9ECAE1", "#C6DBEF")

#: Isochrone fill opacity.
ISOCHRONE_OPACITY = 0.30

#: Areas the network does not reach: solid outline, where the straight-line gaps are dashed.
NETWORK_GAP_STYLE: dict = {"color": "#7F0000", "fill_color": "#D7301F", "fill_opacity": 0.25,
                           "weight": 1.6}

#: Districts shaded by the share of residents beyond walking reach: class limits (shares,
#: ascending) and one colour per class (ColorBrewer OrRd, readable in greyscale).
UNCOVERED_STYLE: dict = {
    "limits": (0.2, 0.4, 0.6, 0.8),
    "colors": ("#FEF0D9", "#FDCC8A", "#FC8D59", "#E34A33", "#B30000"),
    "fill_opacity": 0.55, "color": "#5D4037", "weight": 1.0,
}

#: Suggested sites: a yellow badge with a black number (the rank), unlike any place marker.
SUGGESTION_STYLE: dict = {"fill_color": "#FFD600", "color": "#1B1B1B", "text_color": "#1B1B1B",
                          "size_px": 30, "stroke_width": 2.0}

#: Words of the planning layers, tables and API (network reach, what-if, suggested sites).
PLAN_TEXT: dict[str, str] = {
    "network_method": "道のりによる計算・{profile}",
    "slope_aware": "坂を考慮",
    "flat": "平坦と仮定",
    "straight_layers_note": "直線の徒歩圏と空白地域は{note}",
    "isochrone": "徒歩{minutes:g}分圏（道のり）",
    "network_gap": "空白地域（道のりで{minutes:g}分圏外）",
    "uncovered": "徒歩圏外に住む人の割合（{basis}・{threshold}）",
    "uncovered_legend": "{label}：色が濃いほど高い",
    "uncovered_class_first": "{high:g}%未満",
    "uncovered_class": "{low:g}〜{high:g}%",
    "uncovered_class_last": "{low:g}%以上",
    "suggestions": "新しい居場所の候補（上位{k}か所）",
    "suggestions_legend": "{label}・数字は順位",
    "section": "新しい居場所の候補",
    "threshold_network": "道のり{minutes:g}分",
    "threshold_straight": "直線{radius_m:g} m（徒歩約{minutes}分）",
    "threshold_straight_short": "直線{radius_m:g} m",
    "rank": "候補{rank}",
    "gain": "+{people}が新たに徒歩圏内に（{threshold}）",
    "share_after": "候補{rank}までを加えた徒歩圏内の割合",
    "share_after_value": "{share}（候補{rank}までを加えたとき）",
    "reach_people": "{basis} {people}（{share}）が圏内",
    "uncovered_people": "徒歩圏外 {people}（{share}）",
    "candidate_source": "候補地は候補施設の一覧から、徒歩圏外の人を最も多く加える順に選びました",
    "comparison": "直線距離と道のりの比較",
    "comparison_note": ("同じ徒歩時間でも、道のりでは川・線路・行き止まりを回り込むため届く範囲が"
                        "狭くなります。直線は{speed:g} m/分×分の円（迂回係数なし）。"),
    "minutes": "徒歩時間",
    "minutes_value": "{minutes:g}分",
    "straight_radius": "直線の半径",
    "straight_share": "直線距離で圏内",
    "network_share": "道のりで圏内",
    "share_lost": "差",
    "points": "{points:+.0f}ポイント",
    "suggestions_in_district": "この地区の新しい居場所の候補",
    "suggestions_city": "新しい居場所の候補（市全体）",
    "suggestions_none": "この地区に候補はありません",
    "rank_heading": "順位",
    "name_heading": "候補地",
    "address_heading": "住所",
    "district_heading": "地区",
    "gain_heading": "新たに徒歩圏内になる人",
    "share_after_heading": "加えた後の徒歩圏内の割合",
    "suggestions_caption": "{threshold}で、上位から順に加えたときの効果（{basis}）",
}


#: Words of the 「印刷用の地図」 page (/print).
PRINT_PAGE_TEXT: dict[str, str] = {
    "title": "印刷用の地図",
    "intro": ("地区だより・回覧用に、A4またはA3の地図を作ります。インターネットがなくても、"
              "登録されたデータから地図を描きます。"),
    "area": "地図の範囲",
    "city": "市全体",
    "paper": "用紙",
    "orientation": "向き",
    "portrait": "縦",
    "landscape": "横",
    "format": "形式",
    "png": "PNG画像（印刷・配布用）",
    "pdf": "PDF（文字を選択できるベクトル形式）",
    "svg": "SVG（編集ソフト向け）",
    "dpi": "解像度（PNG）",
    "dpi_300": "300 dpi（印刷用）",
    "dpi_150": "150 dpi（画面・メール用）",
    "greyscale": "白黒印刷向け（色ではなく形と模様で区別）",
    "table": "地図の横に居場所の一覧（曜日・時間・連絡先）を付ける",
    "qr": "この地区のウェブ地図へのQRコードを付ける",
    "qr_unset": ("QRコードを付けるには、公開中の地図のアドレスをサーバーに設定してください"
                 "（環境変数 IBASHO_PUBLIC_URL、例：https://ibasho.example.jp）。"),
    "submit": "地図を作ってダウンロード",
    "preview": "見本を表示",
    "preview_alt": "{area}の印刷用の地図の見本（{paper}・{orientation}）",
    "wait": "地図を作るのに数秒かかります。",
    "bad_option": "{name} の値 {value!r} は使えません。使える値：{valid}",
}


# ---- the planner page (/plan): what-if scenarios for councils (webmap/planner.py) ----------

#: Markers of the planner map: planned (new) places, places assumed closed, candidate sites.
PLANNER_STYLE: dict = {"planned_color": "#D81B60", "planned_text": "#FFFFFF",
                       "planned_size_px": 34, "removed_color": "#757575",
                       "candidate_color": "#37474F", "candidate_fill": "#FFFFFF",
                       "reach_color": "#1B7837", "reach_opacity": 0.16,
                       "planned_reach_color": "#D81B60"}

#: Words of the planner page, its scenario comparison and its exports (CSV, printed sheet).
PLANNER_TEXT: dict[str, str] = {
    "title": "新しい居場所の検討",
    "nav": "計画づくり",
    "lead": ("地図をクリックすると、そこに居場所を新しく開いたときに、歩いて行ける人が"
             "どれだけ増えるかを計算します。いまある居場所をクリックすると、"
             "その居場所がなくなった場合を計算します。"),
    "area": "見る地区",
    "city": "市全体",
    "threshold": "徒歩圏の目安",
    "result_heading": "歩いて行ける範囲に住む人",
    "basis": "人口は{basis}で数えています",
    "basis_total_note": "（65歳以上の人数のデータがないため）",
    "method": "計算方法：{note}",
    "now": "いま",
    "after": "この案",
    "change_none": "変わりません",
    "change_people": "{sign}{people}人",
    "change_points": "{sign}{points}ポイント",
    "people_range": "{before}人 → {after}人",
    "other_districts": "ほかに変わる地区：{list}",
    "table_caption": "徒歩圏の目安ごとの割合（いま → この案）",
    "changes_heading": "この案の変更",
    "changes_none": "まだ変更はありません。地図・候補地・居場所をクリックしてください。",
    "added": "新設（計画）",
    "removed": "廃止を想定",
    "undo": "取り消す",
    "clear": "すべて取り消す",
    "map_point": "地図で選んだ地点",
    "in_district": "{district}地区",
    "suggestions_heading": "おすすめの候補地",
    "suggestions_note": "徒歩圏の外に住む人を多く加える順（{threshold}）",
    "suggestion_item": "{rank}位 {name}",
    "suggestion_gain": "+{people}人",
    "candidates": "候補地（施設の一覧から）",
    "add_here": "ここに新設を計画",
    "remove_place": "この居場所の廃止を想定",
    "restore_place": "廃止の想定を取り消す",
    "legend": "凡例",
    "legend_places": "いまの居場所（クリックで廃止を想定）",
    "legend_removed": "廃止を想定した居場所",
    "legend_planned": "新設を計画した場所",
    "legend_suggestion": "おすすめの候補地（数字は順位）",
    "legend_candidate": "候補地",
    "legend_reach": "いまの徒歩圏（{threshold}）",
    "legend_planned_reach": "新設の場所の徒歩圏（直線）",
    "scenarios_heading": "計画案の保存と比較",
    "scenario_name": "計画案の名前",
    "scenario_name_hint": "例：案A 駅の東に1か所",
    "save": "この案を保存",
    "saved": "「{name}」を保存しました",
    "login_to_save": "計画案の保存と削除には、編集者のログインが必要です。",
    "login": "ログイン",
    "scenarios_none": "保存された計画案はまだありません。",
    "load": "地図に表示",
    "loaded": "「{name}」を表示しました",
    "delete": "削除",
    "deleted": "「{name}」を削除しました",
    "confirm_delete": "計画案「{name}」を削除しますか？",
    "compare": "チェックした案を比べる",
    "compare_hint": "比べたい案に2つ以上チェックを入れてください",
    "csv": "表（CSV）",
    "png": "地図（PNG）",
    "pdf": "地図（PDF）",
    "changes_summary": "新設{added}か所・廃止{removed}か所",
    "saved_by": "{user}・{date}",
    "working": "計算しています…",
    "error": "計算できませんでした：{message}",
    "save_error": "保存できませんでした：{message}",
    "elapsed": "{ms}ミリ秒で計算",
    "compare_heading": "計画案の比較",
    "compare_lead": "保存した計画案を並べて、歩いて行ける人の割合を比べます（いま → 案）。",
    "compare_name": "計画案",
    "compare_changes": "変更の内容",
    "compare_now": "いま（変更なし）",
    "compare_city": "市全体",
    "compare_district": "地区",
    "compare_district_value": "{district}地区",
    "compare_missing": "いまのデータにない居場所（{ids}）は計算に入れていません",
    "back_to_planner": "計画づくりに戻る",
    "unknown_scenario": "この計画案は見つかりません。削除された可能性があります。",
    "sheet_title": "計画案「{name}」",
    "sheet_changes": "変更：{changes}",
    "sheet_result": ("歩いて行ける人の割合（{threshold}・{basis}）："
                     "{area} {before} → {after}（{change}）"),
    "sheet_planned": "★ 新設を計画した場所",
    "sheet_removed": "× 廃止を想定した居場所",
    "sheet_table_heading": "歩いて行ける範囲に住む人（いま → この案）",
    "csv_scenario": "計画案",
    "csv_method": "計算方法",
    "csv_basis": "人口",
    "csv_area": "範囲",
    "csv_threshold": "徒歩圏の目安",
    "csv_population": "人口",
    "csv_covered_before": "徒歩圏内の人（いま）",
    "csv_covered_after": "徒歩圏内の人（この案）",
    "csv_change": "増減（人）",
    "csv_share_before": "割合（いま・%）",
    "csv_share_after": "割合（この案・%）",
    "csv_change_kind": "変更",
    "csv_name": "名称",
    "csv_district": "地区",
    "csv_lon": "経度",
    "csv_lat": "緯度",
    "outside": "その地点は市の区域の外なので、計算できません",
    "skip": "本文へ移動",
    "noscript": "この画面を使うには、ブラウザーで JavaScript を有効にしてください。",
    "title_district": "（{district}地区）",
    "map_label": "計画づくりの地図",
    "count": "（{count}件）",
    "compare_open": "印刷用に開く",
    "close": "閉じる",
    "compare_caption": "歩いて行ける範囲に住む人の割合（太字はこの案、下は いま と増減）",
    "csrf_failed": "画面の有効期限が切れました。画面を読み込み直してから、もう一度お試しください。",
}
