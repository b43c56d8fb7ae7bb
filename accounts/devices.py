"""What a person would call the device and browser of a sign-in, from its User-Agent:
``iPhone・Safari``, ``Android・Chrome``, ``Windows・Edge``. Only these words are kept,
never the User-Agent itself.

>>> device_label("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
...              "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
'iPhone・Safari'
>>> device_label("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
...              "Chrome/126.0 Mobile Safari/537.36")
'Android・Chrome'
>>> device_label("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
...              "Chrome/126.0 Safari/537.36 Edg/126.0")
'Windows・Edge'
>>> device_label("curl/8.5")
''
"""

from __future__ import annotations

SYSTEMS = (  # the first that matches wins: an iPad says "Mac OS X", Android says "Linux"
    ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
    ("Macintosh", "Mac"), ("CrOS", "Chromebook"), ("Linux", "Linux"),
)
BROWSERS = (  # Edge and Opera say Chrome too, Chrome says Safari too
    ("Edg/", "Edge"), ("EdgA/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)


def device_label(user_agent: str | None) -> str:
    """``iPhone・Safari``; the part that is not known is left out; ``""`` when neither is."""
    text = (user_agent or "")[:512]
    system = next((name for marker, name in SYSTEMS if marker in text), "")
    browser = next((name for marker, name in BROWSERS if marker in text), "")
    return "・".join(part for part in (system, browser) if part)
