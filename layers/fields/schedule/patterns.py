"""The pieces of schedule text, as regular expressions over normalised text.

Each constant is a pattern string (to be combined) or a compiled pattern; the reading in
:mod:`layers.fields.schedule.reading` applies them in order and must account for every
character. Named groups carry the values the reading needs.
"""

from __future__ import annotations

import re

__all__ = [
    "DAILY",
    "DATES",
    "DAY_IN_MONTH_WITH_WEEKDAY",
    "EXCLUSION",
    "EXCLUSION_PREFIXED",
    "FISCAL",
    "FREQUENCY",
    "HARMLESS_CHARS",
    "HOLIDAY_CASE",
    "HOLIDAY_OPEN",
    "INTERVAL",
    "LABEL",
    "MONTHDAYS",
    "MONTHLY_BARE_WEEKDAY",
    "MONTHS",
    "NTH",
    "ORDINAL_ITEM",
    "PERIOD_FROM",
    "PERIOD_RANGE",
    "PERIOD_UNTIL",
    "PHASE",
    "VENUE",
    "WEEKDAY_RANGE",
    "WEEKLY",
    "YEAR",
    "YMD_PARTS",
]

WD_CHARS = "月火水木金土日"
#: One weekday: 水, 水曜, 水曜日 (never the 月 of 4月 or 毎月, nor the 日 of 15日 or 毎日).
WD = r"(?:[火水木金土]|(?<![\d毎])[月日]|[月日](?=曜))(?:曜日|曜)?"
#: One weekday after an ordinal (第1月曜日), where a digit before 月 is no month.
WD_AFTER_ORDINAL = rf"[{WD_CHARS}](?:曜日|曜)?"
#: A weekday or a range of weekdays: 月~金, 月曜から金曜まで.
WD_ITEM = rf"{WD}(?:\s*(?:~|から)\s*{WD}(?:\s*まで)?)?"
HOLIDAY_WORD = r"(?:祝祭日|祝日|祭日|振替休日|休日|祝)"
_LIST_SEP = r"(?:[・,、&/]|と|及び|および)"
#: Weekdays listed for a weekly clause, holidays allowed (土日祝).
WD_LIST = rf"(?:{WD_ITEM}|{HOLIDAY_WORD})(?:\s*{_LIST_SEP}?\s*(?:{WD_ITEM}|{HOLIDAY_WORD}))*"
_WD_ITEM_NTH = rf"{WD_AFTER_ORDINAL}(?:\s*(?:~|から)\s*{WD}(?:\s*まで)?)?"
#: Weekdays after an ordinal: 水・金曜日, 土日, 月~金; only the last may say 曜日
#: (「第2水曜日と金曜日」 and 「第1水曜日、金曜日」 are not one list: is 金曜日 every week?).
WD_LIST_NTH = (rf"(?:[{WD_CHARS}](?:\s*(?:~|から)\s*[{WD_CHARS}])?"
               rf"(?:\s*(?:・|と|及び|および)\s*|(?=[{WD_CHARS}])))*{_WD_ITEM_NTH}")
WEEKDAY_RANGE = re.compile(rf"([{WD_CHARS}])(?:曜日|曜)?\s*(?:~|から)\s*([{WD_CHARS}])")

_WDPAREN = rf"\(\s*[{WD_CHARS}](?:曜日|曜)?(?:\s*[・,]\s*祝日?)?\s*\)"
#: A year: 令和8年, 令和7年(2025年), R8., 平成30年, 2026年, 西暦2026年, 2026/.
YEAR = (r"(?:(?:令和|R)\s*(?:\d{1,2}|元)\s*(?:年|\.|/)(?:\s*\(\s*\d{4}\s*年?\s*\))?"
        r"|平成\s*\d{1,2}\s*年|(?:西暦\s*)?(?:19|20)\d{2}\s*(?:年|\.|/))")
# a month and day: 3月10日 (日 needed), 3/10 or 3.10 (not the start of a time: 3.10:00)
_M_D = r"\d{1,2}\s*(?:月\s*\d{1,2}\s*日|[./]\s*\d{1,2}(?![\d:]))"
_YMD = rf"{YEAR}\s*{_M_D}(?:\s*{_WDPAREN})?"
_YM = rf"{YEAR}\s*\d{{1,2}}\s*月(?!\s*\d{{1,2}}\s*日)"
_MD = rf"(?:\d{{1,2}}\s*月\s*\d{{1,2}}\s*日|\d{{1,2}}\s*/\s*\d{{1,2}}(?![\d:]))(?:\s*{_WDPAREN})?"
#: The parts of a dated expression, for reading one once matched.
YMD_PARTS = re.compile(
    r"(?:(?P<era>令和|R|平成)\s*(?P<eyear>\d{1,2}|元)\s*(?:年|\.|/)"
    r"(?:\s*\(\s*(?P<alt>\d{4})\s*年?\s*\))?|(?:西暦\s*)?(?P<year>(?:19|20)\d{2})\s*(?:年|\.|/))?"
    r"\s*(?P<month>\d{1,2})\s*(?:月|\.|/)?\s*(?:(?P<day>\d{1,2})\s*日?)?"
    rf"(?:\s*\(\s*(?P<wd>[{WD_CHARS}])(?:曜日|曜)?(?:\s*[・,]\s*祝日?)?\s*\))?")

PERIOD_RANGE = re.compile(
    rf"(?P<a>{_YMD}|{_YM})\s*(?:~|から|より)\s*(?P<b>{_YMD}|{_YM}|{_MD}|\d{{1,2}}\s*月(?!\s*(?:~|から)))"
    r"\s*(?:まで)?")
PERIOD_UNTIL = re.compile(
    rf"(?:~|から)?\s*(?P<b>{_YMD}|{_YM})\s*(?:まで|で終了|にて終了|終了|で終わり)")
PERIOD_FROM = re.compile(rf"(?P<a>{_YMD}|{_YM})\s*(?:から|より|~|以降)(?!\s*\d{{1,2}}\s*[:時])")
FISCAL = re.compile(r"(?P<era>令和|R|平成)?\s*(?P<year>\d{1,4}|元)\s*年度")

_DATE_FIRST = (rf"(?:{YEAR}\s*{_M_D}|\d{{1,2}}\s*月\s*\d{{1,2}}\s*日"
               rf"|\d{{1,2}}\s*/\s*\d{{1,2}}(?![\d:]))")
_DATE_NEXT = rf"(?:{_DATE_FIRST}|\d{{1,2}}\s*日)"
#: One-off dates, listed: 令和8年3月10日(火), 6月9日(火); 4月8日(土)・29日(土).
DATES = re.compile(
    rf"{_DATE_FIRST}(?:\s*{_WDPAREN})?(?:\s*{_LIST_SEP}?\s*{_DATE_NEXT}(?:\s*{_WDPAREN})?)*")
#: 30日(月): a day with a weekday but no month.
DAY_IN_MONTH_WITH_WEEKDAY = re.compile(rf"(?<![\d/.月])\d{{1,2}}\s*日\s*{_WDPAREN}")

#: An ordinal: 第1, 第1~3, 最終, 最後の, 2週目, each with an optional 週.
ORDINAL_ITEM = re.compile(r"(\d)\s*~\s*(?:第\s*)?(\d)|(\d)|(最終|最後)")
_ORD_FIRST = r"(?:第\s*\d(?:\s*~\s*(?:第\s*)?\d)?|最終|最後の?|\d\s*週目)(?:\s*週目?)?"
_ORD_NEXT = (r"(?:\s*(?:[・,、&]|と|及び|および)\s*"
             r"(?:第\s*\d(?:\s*~\s*(?:第\s*)?\d)?|\d(?:\s*~\s*\d)?"
             r"|最終|最後の?)(?:\s*週目?)?)")
#: The n-th weekdays of the month: 第1・3水曜日, 第2週と第4週の土曜日, 最終金曜日.
NTH = re.compile(rf"(?:毎月\s*)?(?P<ords>{_ORD_FIRST}{_ORD_NEXT}*)\s*(?:の\s*)?(?P<paren>\()?\s*"
                 rf"(?P<wds>{WD_LIST_NTH})\s*(?(paren)\))")
#: 毎月(土曜日), 毎月 水曜日: which one in the month is not said.
MONTHLY_BARE_WEEKDAY = re.compile(rf"毎月\s*(?:の\s*)?\(?\s*[{WD_CHARS}](?:曜日|曜)")

_MONTH_LIST = (r"(?<![\d/.])\d{1,2}(?:\s*月?\s*(?:[・,、]|と|及び|および)\s*\d{1,2})*\s*月"
               r"(?!\s*\d|曜)")
_MONTH_RANGE = r"(?<![\d/.])\d{1,2}\s*月?\s*(?:~|から)\s*\d{1,2}\s*月(?:\s*まで)?(?!\s*\d|曜)"
_MONTH_ITEM = rf"(?:{_MONTH_RANGE}|{_MONTH_LIST}|奇数月|偶数月)"
#: Months: 4月~9月, 4・6・8月, 奇数月, 冬季(12月~2月), optionally with のみ.
MONTHS = re.compile(
    rf"(?:(?:冬季|冬期|夏季|夏期)\s*(?P<paren>\()?\s*)?(?P<months>{_MONTH_ITEM}(?:\s*(?:[・,、]|と)\s*{_MONTH_ITEM})*)"
    r"(?(paren)\s*\))(?:\s*のみ)?")
#: (4月から): the first month of a rule every few months.
PHASE = re.compile(r"(?<![\d/.])(?P<month>\d{1,2})\s*月\s*(?:から|より|開始|スタート)"
                   r"(?!\s*\d{1,2}\s*月)")

#: Days of the month: 毎月15日, 5日・20日, 10日、20日、30日, 末日.
MONTHDAYS = re.compile(
    r"(?:毎月\s*(?:の\s*)?)?(?:(?<![\d/.])(?P<days>\d{1,2}(?:\s*日?\s*(?:[・,、]|と|及び|および)\s*\d{1,2})*)"
    r"\s*日(?!曜)|(?P<last>(?:月\s*)?末日))")
#: Every day (毎日, 毎朝, 年中), Monday to Friday but holidays (平日), the weekend (週末).
DAILY = re.compile(r"(?P<daily>毎日(?!曜)|毎朝|毎晩|年中|毎夕)|(?P<weekdays>平日)"
                   r"|(?P<weekend>週末)")
#: Weekdays every week: 毎週火曜日, 火・金, 月~金曜日, 毎火曜, (土), 土日祝.
WEEKLY = re.compile(rf"(?P<every>毎週|毎)?\s*(?P<paren>\()?\s*(?P<list>{WD_LIST})\s*(?(paren)\))")

#: Every few months or every other week: 2か月に1回, 隔月, 隔週.
INTERVAL = re.compile(
    r"(?P<n>\d{1,2})\s*(?:か|ヶ|ヵ|カ|ケ|箇)?\s*月\s*(?:に|毎に?|ごと(?:に)?)\s*(?:1\s*(?:回|度))?"
    r"|(?P<other_month>隔月)|(?P<other_week>隔週)")
#: So many times a month, week or year: 月2回, 毎月1回, 週1回, 年4回, 月に1度.
FREQUENCY = re.compile(r"(?P<per>毎月|毎週|月|週|年)\s*に?\s*(?P<n>\d{1,2})\s*(?:回|度)")

_EXCL_ITEM = (
    rf"(?:\d{{1,2}}\s*[/月]\s*\d{{1,2}}\s*日?\s*(?:~|から)\s*\d{{1,2}}\s*[/月]\s*\d{{1,2}}\s*日?"
    rf"|(?:第\s*\d(?:\s*[・,、]\s*第?\s*\d)*|最終)\s*(?:週)?\s*(?:の\s*)?(?:{WD_AFTER_ORDINAL})?"
    rf"|{_MONTH_ITEM}"
    rf"|年末年始|年末|年始|お盆|盆|お正月|正月|{HOLIDAY_WORD}"
    rf"|(?<![\d末曜{WD_CHARS}])(?:[{WD_CHARS}](?:曜日|曜)?){{1,7}}(?:\s*祝日?)?)")
_EXCL_LIST = rf"{_EXCL_ITEM}(?:\s*(?:[・,、&/]|と|及び|および|並びに|や)\s*{_EXCL_ITEM})*"
_OFF = (r"(?:を除きます|を除き|を除く|除きます|除き|除く|以外|お休み|休み|休館日?|休業日?"
        r"|休所|休会|休講|休園"
        r"|閉館|定休日?|なし|休)")
#: What is off: 祝日を除く, 8月は休み, 土・日・祝日および年末年始はお休み, 月曜休館 (never what
#: follows a は: in 「1月は第2日曜日・8月は休み」 the 第2日曜日 is January's day, not a day off).
EXCLUSION = re.compile(rf"(?<!は)(?<!は\s)(?:(?:冬季|冬期|夏季|夏期)\s*(?P<paren>\()?\s*)?"
                       rf"(?P<list>{_EXCL_LIST})(?(paren)\s*\))"
                       rf"\s*(?:は|を|も|が|の)?\s*{_OFF}")
#: 休館日:月曜日, 定休日 水曜.
EXCLUSION_PREFIXED = re.compile(
    rf"(?:休館日|定休日|休業日|休所日)\s*(?:は|:)?\s*(?P<list>{_EXCL_LIST})")
_CASE = (r"(?:の場合|と重なる場合|と重なった場合|にあたる場合|に当たる場合|の時|のとき|にあたるとき"
         r"|に当たるとき|と重なるとき|と重なる時)")
#: What happens when the day is a holiday: 祝日の場合は翌週, 祝日と重なる場合は休み.
HOLIDAY_CASE = re.compile(
    rf"(?P<days>(?:[{WD_CHARS}](?:曜日|曜)?\s*[・、,]?\s*)+)?(?:{HOLIDAY_WORD}|年末年始){_CASE}\s*(?:は|には|も)?\s*(?:(?P<to>翌週|次週|翌日|前日|前週)"
    rf"(?:の同じ曜日|の同曜日|\s*の?\s*(?P<towd>[{WD_CHARS}])(?:曜日|曜))?"
    rf"|第\s*(?P<n>\d)\s*(?P<wd>[{WD_CHARS}])(?:曜日|曜)?|(?P<off>お休み|休み|中止|休館|休業|なし)"
    r"|(?P<on>開催|実施|営業|開館|開所))"
    r"(?:\s*(?:に振替|に振り替え|に変更|に延期|に順延|に開催|開催|に実施|実施|となります|です|します))*")
#: Holidays are opening days: 祝日も開催, 年中無休.
HOLIDAY_OPEN = re.compile(
    rf"(?P<all>年中無休|無休)|(?P<what>{HOLIDAY_WORD}|年末年始)\s*(?:も|は)\s*"
    r"(?:開催|営業|開館|開所|実施|オープン|あり)(?:します|しています|です)?")

#: Field labels that say nothing about the days: 日時:, 開催日, 営業時間 …
LABEL = re.compile(
    r"(?:(?:開催|活動|実施|営業|開館|開設|開所|利用)?(?:日時|日程)"
    r"|(?:開催|活動|実施|営業|開館|開設|開所|利用)(?:日|曜日|時間|期間)"
    r"|(?<![\d月火水木金土日])(?:曜日|時間)|(?:午前|午後|昼|夜|朝)の部|第\d部)\s*(?:は|:)?")
#: A place in parentheses: (公民館), (@杉並会館), (○○集会所にて).
VENUE = re.compile(
    rf"\(\s*@?[^()\d{WD_CHARS}年週回時分休除予定変祝~]*?(?:公民館|集会所|集会場|会館|センター|ホール"
    r"|会議室|集会室|多目的室|教室|広場|公園|神社|寺|学校|憩の家|いこいの家|プラザ)\s*(?:にて|で)?\s*\)")

#: Characters that carry no meaning once every word is read.
HARMLESS_CHARS = frozenset(" ・、,。.()[]【】「」『』〈〉《》<>:;!?※*◆~/|-'\"・…")
