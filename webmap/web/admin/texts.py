"""Japanese words of the staff pages (``/admin``); their error pages' are in
:mod:`webmap.web.base`."""

from __future__ import annotations

__all__ = ["ACTION_LABELS", "ADMIN_TEXT", "PLACE_FIELD_LABELS", "ROLE_LABELS"]

#: Roles as staff read them.
ROLE_LABELS: dict[str, str] = {"viewer": "閲覧", "editor": "編集", "admin": "管理者"}

#: Audit-log actions.
ACTION_LABELS: dict[str, str] = {"create": "追加", "update": "変更", "retire": "廃止",
                                 "import": "取り込み"}

#: Labels of the fields of a place (and of a problem's ``field``) in forms and tables.
PLACE_FIELD_LABELS: dict[str, str] = {
    "place_id": "番号",
    "name": "名前",
    "category": "種別",
    "district": "地区",
    "address": "住所",
    "schedule": "日時",
    "contact": "連絡先",
    "notes": "備考",
    "position_source": "位置の根拠",
    "position_quality": "位置の確かさ",
    "source": "出典",
    "lon": "経度",
    "lat": "緯度",
    "geometry": "位置",
    "version": "版",
    "updated_at": "更新日時",
    "retired_at": "廃止日時",
    "kind": "種類",
    "line": "コースの線",
    "benches": "ベンチ",
}

#: Words of the staff pages.
ADMIN_TEXT: dict[str, str] = {
    "site": "居場所マップ 管理",
    "login": "ログイン",
    "logout": "ログアウト",
    "user_name": "ユーザー名",
    "password": "パスワード",
    "login_failed": "ユーザー名またはパスワードが違います。",
    "too_many_logins": ("ログインの失敗が続いたため、しばらくログインできません。"
                        "{minutes}分ほど待ってから、もう一度お試しください。"),
    "logged_in_as": "{name}（{role}）",
    "places": "居場所の一覧",
    "routes": "ウォーキングコース",
    "import": "ファイルから取り込み",
    "export": "書き出し",
    "audit": "変更履歴",
    "public_map": "公開中の地図",
    "add_place": "新しい居場所を追加",
    "edit_place": "居場所を編集",
    "view_place": "居場所の詳細",
    "save": "保存する",
    "retire": "この居場所を廃止する",
    "retire_route": "このコースを廃止する",
    "retire_confirm": "廃止すると地図から消えます（記録は残ります）。よろしいですか？",
    "retired": "廃止済み",
    "saved": "保存しました。公開中の地図にも反映しました。",
    "added": "「{name}」を追加しました（{place_id}）。公開中の地図にも反映しました。",
    "retired_done": "「{name}」を廃止しました。公開中の地図から外しました。",
    "imported": "{count}件を取り込みました。公開中の地図にも反映しました。",
    "conflict_current": "いま保存されている内容（版 {version}）",
    "conflict_yours": "あなたの入力（まだ保存されていません）",
    "conflict_help": ("下のフォームには、いま保存されている内容を表示しています。"
                      "あなたの変更が必要なら、もう一度入力して保存してください。"),
    "problems": "入力に問題があります。直してから、もう一度保存してください。",
    "left_out": ("次のデータは地図に描けないため、公開中の地図から外しています。"
                 "内容を直すか、廃止してください。"),
    "map_help": "地図をクリックすると、その場所が位置になります（経度・緯度に入ります）。",
    "clear_position": "位置を消す",
    "choose": "（選んでください）",
    "auto_district": "（位置から自動で決める）",
    "position_source_help": ("exact:（施設の正確な位置）または approx:（おおよその位置）で"
                             "始めて、根拠を書きます。"),
    "search": "名前で絞り込み",
    "show_retired": "廃止済みも表示",
    "count": "{count}件",
    "none": "ありません。",
    "viewer_note": "閲覧の権限では変更できません。",
    "import_help": ("CSV（Excelで保存したもの）か GeoJSON を選んでください（5 MB まで）。"
                    "取り込む前に、すべての行を確認して問題を一覧にします。"),
    "file": "ファイル",
    "check_file": "確認する",
    "preview": "取り込みの確認",
    "preview_ok": "{count}件を取り込めます。内容を確かめてから「取り込む」を押してください。",
    "preview_errors": ("{count}件の問題があります。何も保存していません。"
                       "ファイルを直してから、もう一度選んでください。"),
    "preview_warnings": "注意（取り込みはできます）",
    "confirm_import": "取り込む",
    "cancel": "やめる",
    "import_expired": "確認したファイルが見つかりません。もう一度ファイルを選んでください。",
    "row": "行",
    "field": "項目",
    "problem": "問題",
    "fix": "直し方",
    "severity_error": "エラー",
    "severity_warning": "注意",
    "export_help": "いま公開中の居場所を書き出します。",
    "export_csv": "CSV（Excel用）",
    "export_geojson": "GeoJSON",
    "export_gpkg": "GeoPackage（QGIS用）",
    "audit_when": "日時",
    "audit_who": "だれが",
    "audit_what": "操作",
    "audit_target": "対象",
    "audit_before": "変更前",
    "audit_after": "変更後",
    "add_route": "新しいコースを描く",
    "edit_route": "コースを編集",
    "route_name": "コース名",
    "route_kind": "種類",
    "route_length": "長さ",
    "route_minutes": "歩く時間（毎分{speed:g} m）",
    "route_rest": "休める場所",
    "route_longest": "休める場所のない最長区間",
    "route_longest_flag": "⚠ {length:,.0f} m 休める場所がありません（目安 {limit:,.0f} m）",
    "route_longest_ok": "{length:,.0f} m",
    "route_help": ("「線を描く」を選んで地図をクリックすると、コースの線が延びます。"
                   "「ベンチを置く」を選んでクリックすると、ベンチの位置を記録します。"
                   "ベンチと、線から50 m以内の居場所を「休める場所」として数えます。"),
    "draw_line": "線を描く",
    "place_bench": "ベンチを置く",
    "undo": "ひとつ戻す",
    "clear_all": "全部消す",
    "stretch_legend": "赤い帯：休める場所のない最長区間　緑の丸：ベンチ　灰色の丸：居場所",
    "rest_bench": "ベンチ",
    "rest_place": "居場所",
    "users": "スタッフのアカウント",
    "role": "権限",
    "created_at": "作成日時",
    "disabled": "停止中",
}
