"""The station table: the English names of the stations, lines and bus operators the
card center writes in Japanese (DOMAIN.md, "Languages").

English pages and English documents show ``大阪`` as ``Osaka``, ``三ノ宮`` as
``Sannomiya`` and ``JR神戸線`` as ``JR Kobe Line``; a name the table does not know is
shown exactly as the feed sent it (the pages mark it ``lang="ja"``,
cards/templatetags/stations.py). The CSV export keeps the feed's names.

The table covers every station, line and bus operator of the demo feed
(cards/demo_feed/network.py, checked by a test) and the main JR West lines of the Kansai area,
spelled as JR West's own English station signs spell them.

>>> english_name("三ノ宮")
'Sannomiya'
>>> english_name("西明石駅")
'Nishi-Akashi'
>>> english_name("JR神戸線")
'JR Kobe Line'
>>> english_name("どこか") is None
True
>>> display_name("大阪", "en"), display_name("大阪", "ja"), display_name("どこか", "en")
('Osaka', '大阪', 'どこか')

Pure Python: no Django.
"""

from __future__ import annotations

import re

# -- stations, line by line (a station on several lines is written once, on the first) -------

_JR_KYOTO_LINE = {
    "京都": "Kyoto", "西大路": "Nishioji", "桂川": "Katsuragawa", "向日町": "Mukomachi",
    "長岡京": "Nagaokakyo", "山崎": "Yamazaki", "島本": "Shimamoto", "高槻": "Takatsuki",
    "JR総持寺": "JR-Sojiji", "摂津富田": "Settsu-Tonda", "茨木": "Ibaraki", "千里丘": "Senrioka",
    "岸辺": "Kishibe", "吹田": "Suita", "東淀川": "Higashiyodogawa", "新大阪": "Shin-Osaka",
    "大阪": "Osaka",
}
_JR_KOBE_LINE = {
    "塚本": "Tsukamoto", "尼崎": "Amagasaki", "立花": "Tachibana", "甲子園口": "Koshienguchi",
    "西宮": "Nishinomiya", "さくら夙川": "Sakura-Shukugawa", "芦屋": "Ashiya", "甲南山手": "Konan-Yamate",
    "摂津本山": "Settsu-Motoyama", "住吉": "Sumiyoshi", "六甲道": "Rokkomichi", "摩耶": "Maya",
    "灘": "Nada", "三ノ宮": "Sannomiya", "三宮": "Sannomiya", "元町": "Motomachi", "神戸": "Kobe",
    "兵庫": "Hyogo", "新長田": "Shin-Nagata", "鷹取": "Takatori", "須磨海浜公園": "Sumakaihinkoen",
    "須磨": "Suma", "塩屋": "Shioya", "垂水": "Tarumi", "舞子": "Maiko", "朝霧": "Asagiri",
    "明石": "Akashi", "西明石": "Nishi-Akashi", "大久保": "Okubo", "魚住": "Uozumi",
    "土山": "Tsuchiyama", "東加古川": "Higashi-Kakogawa", "加古川": "Kakogawa", "宝殿": "Hoden",
    "曽根": "Sone", "ひめじ別所": "Himeji-Bessho", "御着": "Gochaku", "東姫路": "Higashi-Himeji",
    "姫路": "Himeji", "英賀保": "Agaho", "はりま勝原": "Harima-Katsuhara", "網干": "Aboshi",
    "竜野": "Tatsuno", "相生": "Aioi", "新神戸": "Shin-Kobe",
}
_BIWAKO_LINE = {
    "山科": "Yamashina", "大津": "Otsu", "膳所": "Zeze", "石山": "Ishiyama", "瀬田": "Seta",
    "南草津": "Minami-Kusatsu", "草津": "Kusatsu", "栗東": "Ritto", "守山": "Moriyama", "野洲": "Yasu",
    "近江八幡": "Omi-Hachiman", "能登川": "Notogawa", "彦根": "Hikone", "米原": "Maibara",
}
_KOSEI_LINE = {"大津京": "Otsukyo", "比叡山坂本": "Hieizan-Sakamoto", "堅田": "Katata", "近江今津": "Omi-Imazu"}
_OSAKA_LOOP_LINE = {
    "福島": "Fukushima", "野田": "Noda", "西九条": "Nishikujo", "弁天町": "Bentencho", "大正": "Taisho",
    "芦原橋": "Ashiharabashi", "今宮": "Imamiya", "新今宮": "Shin-Imamiya", "天王寺": "Tennoji",
    "寺田町": "Teradacho", "桃谷": "Momodani", "鶴橋": "Tsuruhashi", "玉造": "Tamatsukuri",
    "森ノ宮": "Morinomiya", "大阪城公園": "Osakajokoen", "京橋": "Kyobashi", "桜ノ宮": "Sakuranomiya",
    "天満": "Temma",
}
_JR_YUMESAKI_LINE = {"安治川口": "Ajikawaguchi", "ユニバーサルシティ": "Universal City", "桜島": "Sakurajima"}
_YAMATOJI_LINE = {
    "JR難波": "JR-Namba", "東部市場前": "Tobushijomae", "平野": "Hirano", "加美": "Kami",
    "久宝寺": "Kyuhoji", "八尾": "Yao", "志紀": "Shiki", "柏原": "Kashiwara", "高井田": "Takaida",
    "河内堅上": "Kawachi-Katakami", "三郷": "Sango", "王寺": "Oji", "法隆寺": "Horyuji",
    "大和小泉": "Yamato-Koizumi", "郡山": "Koriyama", "奈良": "Nara", "平城山": "Narayama",
    "木津": "Kizu", "加茂": "Kamo",
}
_HANWA_LINE = {
    "美章園": "Bishoen", "南田辺": "Minami-Tanabe", "鶴ケ丘": "Tsurugaoka", "長居": "Nagai",
    "我孫子町": "Abikocho", "杉本町": "Sugimotocho", "浅香": "Asaka", "堺市": "Sakaishi",
    "三国ケ丘": "Mikunigaoka", "百舌鳥": "Mozu", "上野芝": "Uenoshiba", "津久野": "Tsukuno", "鳳": "Otori",
    "富木": "Tonoki", "北信太": "Kitashinoda", "信太山": "Shinodayama", "和泉府中": "Izumi-Fuchu",
    "久米田": "Kumeda", "東岸和田": "Higashi-Kishiwada", "東貝塚": "Higashi-Kaizuka",
    "和泉橋本": "Izumi-Hashimoto", "東佐野": "Higashi-Sano", "熊取": "Kumatori", "日根野": "Hineno",
    "長滝": "Nagataki", "新家": "Shinge", "和泉砂川": "Izumi-Sunagawa", "和泉鳥取": "Izumi-Tottori",
    "山中渓": "Yamanakadani", "紀伊": "Kii", "六十谷": "Musota", "紀伊中ノ島": "Kii-Nakanoshima",
    "和歌山": "Wakayama",
}
_KANSAI_AIRPORT_LINE = {"りんくうタウン": "Rinku Town", "関西空港": "Kansai Airport"}
_NARA_LINE = {
    "東福寺": "Tofukuji", "稲荷": "Inari", "JR藤森": "JR-Fujinomori", "桃山": "Momoyama",
    "六地蔵": "Rokujizo", "木幡": "Kohata", "黄檗": "Obaku", "宇治": "Uji", "新田": "Shinden",
    "城陽": "Joyo", "長池": "Nagaike", "玉水": "Tamamizu",
}
_GAKKENTOSHI_LINE = {
    "放出": "Hanaten", "鴫野": "Shigino", "徳庵": "Tokuan", "鴻池新田": "Konoike-Shinden",
    "住道": "Suminodo", "野崎": "Nozaki", "四条畷": "Shijonawate", "星田": "Hoshida", "河内磐船": "Kawachi-Iwafune",
    "長尾": "Nagao", "松井山手": "Matsuiyamate", "京田辺": "Kyotanabe", "同志社前": "Doshishamae",
}
_JR_TOZAI_LINE = {
    "北新地": "Kitashinchi", "大阪天満宮": "Osakatemmangu", "大阪城北詰": "Osakajo-Kitazume",
    "新福島": "Shin-Fukushima", "海老江": "Ebie", "御幣島": "Mitejima", "加島": "Kashima",
}
_JR_TAKARAZUKA_LINE = {
    "塚口": "Tsukaguchi", "猪名寺": "Inadera", "伊丹": "Itami", "北伊丹": "Kita-Itami",
    "川西池田": "Kawanishi-Ikeda", "中山寺": "Nakayamadera", "宝塚": "Takarazuka", "三田": "Sanda",
}
_SAGANO_LINE = {
    "丹波口": "Tambaguchi", "二条": "Nijo", "円町": "Emmachi", "花園": "Hanazono", "太秦": "Uzumasa",
    "嵯峨嵐山": "Saga-Arashiyama", "馬堀": "Umahori", "亀岡": "Kameoka",
}
_OSAKA_HIGASHI_LINE = {
    "新加美": "Shin-Kami", "JR河内永和": "JR-Kawachi-Eiwa", "JR長瀬": "JR-Nagase",
    "高井田中央": "Takaida-Chuo", "JR俊徳道": "JR-Shuntokumichi", "城北公園通": "Shirokitakoen-dori",
    "JR野江": "JR-Noe", "JR淡路": "JR-Awaji", "南吹田": "Minami-Suita",
}

STATIONS: dict[str, str] = {
    **_JR_KYOTO_LINE, **_JR_KOBE_LINE, **_BIWAKO_LINE, **_KOSEI_LINE, **_OSAKA_LOOP_LINE,
    **_JR_YUMESAKI_LINE, **_YAMATOJI_LINE, **_HANWA_LINE, **_KANSAI_AIRPORT_LINE, **_NARA_LINE,
    **_GAKKENTOSHI_LINE, **_JR_TOZAI_LINE, **_JR_TAKARAZUKA_LINE, **_SAGANO_LINE, **_OSAKA_HIGASHI_LINE,
}

# -- lines (the names members know them by, and the formal names) ------------------------------

LINES: dict[str, str] = {
    "JR京都線": "JR Kyoto Line", "JR神戸線": "JR Kobe Line", "琵琶湖線": "Biwako Line",
    "湖西線": "Kosei Line", "大阪環状線": "Osaka Loop Line", "JRゆめ咲線": "JR Yumesaki Line",
    "大和路線": "Yamatoji Line", "阪和線": "Hanwa Line", "関西空港線": "Kansai Airport Line",
    "奈良線": "Nara Line", "学研都市線": "Gakkentoshi Line", "JR東西線": "JR Tozai Line",
    "JR宝塚線": "JR Takarazuka Line", "嵯峨野線": "Sagano Line", "おおさか東線": "Osaka Higashi Line",
    "桜井線": "Sakurai Line", "万葉まほろば線": "Man-yo Mahoroba Line", "和歌山線": "Wakayama Line",
    "きのくに線": "Kinokuni Line", "加古川線": "Kakogawa Line", "播但線": "Bantan Line",
    "赤穂線": "Ako Line", "山陽新幹線": "Sanyo Shinkansen", "東海道新幹線": "Tokaido Shinkansen",
    # formal names
    "東海道本線": "Tokaido Line", "東海道線": "Tokaido Line", "山陽本線": "Sanyo Line",
    "山陽線": "Sanyo Line", "関西本線": "Kansai Line", "片町線": "Katamachi Line",
    "福知山線": "Fukuchiyama Line", "山陰本線": "San'in Line", "桜島線": "Sakurajima Line",
    "紀勢本線": "Kisei Line", "北陸本線": "Hokuriku Line",
}

# -- bus operators that take ICOCA (a bus line names its operator, FEED.md) ---------------------

OPERATORS: dict[str, str] = {
    "大阪シティバス": "Osaka City Bus", "京都市バス": "Kyoto City Bus", "神戸市バス": "Kobe City Bus",
    "奈良交通": "Nara Kotsu Bus", "阪急バス": "Hankyu Bus", "高槻市営バス": "Takatsuki City Bus",
    "京阪バス": "Keihan Bus", "西日本JRバス": "West JR Bus", "近鉄バス": "Kintetsu Bus",
    "南海バス": "Nankai Bus", "阪神バス": "Hanshin Bus", "神姫バス": "Shinki Bus",
}

_NAMES: dict[str, str] = {**STATIONS, **LINES, **OPERATORS}

# Hiragana, katakana (and the long-vowel mark), CJK ideographs, full-width forms.
_JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff9f]")


def english_name(name: str) -> str | None:
    """The English name of a station, line or bus operator the table knows, else None.

    A station may come with 駅 ("大阪駅") and with surrounding white space."""
    key = (name or "").strip()
    if key in _NAMES:
        return _NAMES[key]
    if key.endswith("駅") and key[:-1] in STATIONS:
        return STATIONS[key[:-1]]
    return None


def is_japanese(text: str) -> bool:
    """Whether ``text`` holds Japanese script (kana, kanji or full-width forms)."""
    return bool(_JAPANESE.search(text or ""))


def display_name(name: str, language: str) -> str:
    """The name to show in ``language``: the English name on English pages and documents
    when the table knows it, otherwise the name as the feed sent it."""
    if language == "en":
        return english_name(name) or name
    return name


def needs_lang_mark(name: str, language: str) -> bool:
    """Whether ``name`` as shown in ``language`` is Japanese text on a page of another
    language (the page marks it ``lang="ja"`` so screen readers read it right)."""
    return language != "ja" and english_name(name) is None and is_japanese(name)


def _english_key(name: str) -> str:
    return re.sub(r"[\s\-‐－'’.]", "", name).casefold()


_BY_ENGLISH: dict[str, str] = {}
for _japanese, _english in STATIONS.items():
    _BY_ENGLISH.setdefault(_english_key(_english), _japanese)


def find_station(text: str) -> str | None:
    """The station a member typed, as the feed names it: a station of the table in
    Japanese (with or without 駅) or in English (case, spaces and hyphens ignored); else
    None.

    >>> find_station("大阪駅"), find_station(" sannomiya "), find_station("nishi akashi")
    ('大阪', '三ノ宮', '西明石')
    >>> find_station("JR神戸線") is None, find_station("どこか") is None
    (True, True)
    """
    key = (text or "").strip()
    if key.endswith("駅") and key[:-1] in STATIONS:
        key = key[:-1]
    if key in STATIONS:
        return key
    return _BY_ENGLISH.get(_english_key(key)) if key else None
