"""Japanese dates on member pages: 2026年9月10日 (DATE_FORMAT, Django's own), 2026/9/10 and
2026/9/10 08:00 (the SHORT_ ones, on cards and lists), 2026年9月. Input formats are
Django's own for Japanese."""

DATE_FORMAT = "Y年n月j日"
SHORT_DATE_FORMAT = "Y/n/j"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = "Y/n/j H:i"
YEAR_MONTH_FORMAT = "Y年n月"
MONTH_DAY_FORMAT = "n月j日"
TIME_FORMAT = "H:i"
