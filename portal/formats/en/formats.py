"""English dates on member pages, one format everywhere: "10 Sep 2026", "Sep 2026",
"10 Sep 2026 08:00" (templates use the names: ``|date`` or ``|date:"DATETIME_FORMAT"``).
Input formats are Django's own for English."""

DATE_FORMAT = "j M Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y H:i"
SHORT_DATETIME_FORMAT = "j M Y H:i"
YEAR_MONTH_FORMAT = "M Y"
MONTH_DAY_FORMAT = "j M"
TIME_FORMAT = "H:i"
