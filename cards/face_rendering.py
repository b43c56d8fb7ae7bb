"""マイページ's card faces (the cards in use) as HTML, one format string per card.

Through the template language each face (templates/cards/_card_face.html with its notice) was
forty-odd lookups, conditions, filters and translations, again for every card, and the faces
were most of the page's own render. Here the words and formats the faces share are looked up
once a page and each face is one string. The markup is the one home.html's loop wrote, byte
for byte: cards/tests/test_face_rendering.py renders that loop as the reference for cards of
every current status, with and without a name, a balance and passes of every kind, in both
languages. The past cards (reissued, refunded) are few and keep their template.
"""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, ngettext

from cards.models import CardStatus, Device, PassKind
from cards.selectors import CURRENT_STATUSES, CardFace
from cards.templatetags.stations import place_html
from cards.window import JAPAN
from portal import money
from portal.dateformats import DateFormatter
from portal.per_language import once_per_language
from portal.templatetags.money import shown_language

# One face, inside home.html's <li>, with the whitespace the include left around it.
FACE = (
    '\n<article class="card-face card-face--{status}" aria-labelledby="card-{public_id}">'
    '\n  <div class="card-face__plate">'
    '\n    <div class="card-face__head">'
    '\n      <h3 class="card-face__name" id="card-{public_id}">'
    '\n        <a href="{url}">{name}</a>'
    "\n      </h3>"
    '\n      <span class="status status--{status}">{status_label}</span>'
    "\n    </div>"
    '\n    <p class="card-face__number"><span class="visually-hidden">{number_term} </span>{number}</p>'
    '\n    <p class="card-face__device">{device}</p>'
    '\n    <div class="card-face__balance">'
    '\n      <span class="card-face__label">{balance_term}</span>'
    "\n      {balance}"
    "\n    </div>"
    "\n  </div>"
    '\n  <div class="card-face__body">'
    "\n    {commuter_pass}"
    "\n    {notice}"
    '\n    <p class="card-face__more"><a href="{url}">{more}<span class="visually-hidden">{more_name}</span></a></p>'
    "\n  </div>"
    "\n</article>"
    "\n\n"
)
BALANCE = (
    '\n      <span class="card-face__amount">{amount}</span>'
    '\n      <span class="card-face__as-of">{as_of}</span>'
    "\n      "
)
NO_BALANCE = '\n      <span class="card-face__as-of">{text}</span>\n      '
PASS_BOX = (
    '\n    <div class="pass{warning_class}">'  # noqa: S105 (markup, not a password)
    '\n      <p class="pass__title"><span class="pass__kind">{kind}</span>'
    "\n        {route}</p>"
    "\n      {dates}"
    "\n      {warning}"
    "\n      {renewal}"
    "\n    </div>"
    "\n    "
)
NOTICE = '\n<p class="notice notice--{level}">{text}\n  <a href="{help}#{anchor}">{link}</a></p>\n\n'


class FacesFormat:
    """How a page's card faces are shown, in the language active when it is made. The words are
    not escaped, as ``{% translate "..." %}`` does not escape a literal's translation; what
    comes from the data (a card's name, stations) is."""

    def __init__(self) -> None:
        self.language = get_language() or "ja"
        self.money_language = shown_language()
        self.date = DateFormatter("SHORT_DATE_FORMAT")
        self.date_time = DateFormatter("SHORT_DATETIME_FORMAT")
        self.unnamed = f'ICOCA <span class="card-face__unnamed">{gettext("（名前なし）")}</span>'
        self.statuses = {value: escape(str(label)) for value, label in CardStatus.choices}
        self.devices = {value: escape(str(label)) for value, label in Device.choices}
        self.number_term = gettext("ICOCA番号")
        self.balance_term = gettext("残額")
        self.as_of = gettext("%(at)s 時点")
        self.no_balance = NO_BALANCE.format(text=gettext("まだ利用の記録がありません"))
        self.kinds = {PassKind.STUDENT: gettext("通学定期券"), PassKind.COMMUTER: gettext("通勤定期券")}
        self.from_until = gettext("%(start)sから%(end)sまで")
        self.valid_until = gettext("%(end)sまで有効")
        self.last_day = gettext("（本日が最終日）")
        self.warning = (
            f'\n      <p class="pass__warning"><strong>{gettext("まもなく有効期限です。")}</strong>'
            f'{gettext("続けて使う場合は、モバイルICOCAアプリで継続の定期券を購入してください。")}</p>\n      '
        )
        self.renewal = gettext("次の定期券：%(start)sから%(end)sまで")
        self.more = gettext("詳細・名前の変更")
        self.more_name = gettext("（%(name)s）")
        help_url = escape(reverse("cards:help"))
        self.notices = {
            CardStatus.ACTIVE: "\n",
            CardStatus.DEPOSITED: NOTICE.format(
                level="info",
                text=gettext(
                    "預け入れ中のため、いまは改札やお店で使えません。"
                    "新しいスマートフォンのモバイルICOCAアプリで受け取ると、また使えるようになります。"
                ),
                help=help_url,
                anchor="deposit",
                link=gettext("預け入れと受け取りについて"),
            ),
            CardStatus.SUSPENDED: NOTICE.format(
                level="warning",
                text=gettext("紛失・故障の再発行登録により、利用を停止しています。残額と定期券は新しいICOCAに引き継がれます。"),
                help=help_url,
                anchor="reissue",
                link=gettext("再発行について"),
            ),
        }

    def balance(self, card) -> str:
        if card.balance is None:
            return self.no_balance
        at = self.date_time(card.balance_at.astimezone(JAPAN)) if card.balance_at else ""
        return BALANCE.format(amount=money.yen(card.balance, self.money_language), as_of=self.as_of % {"at": at})

    def commuter_pass(self, face: CardFace) -> str:
        commuter_pass = face.commuter_pass
        if commuter_pass is None:
            return ""
        start, end = self.date(commuter_pass.valid_from), self.date(commuter_pass.valid_until)
        if face.not_started:
            dates = f'\n      <p class="pass__dates">{self.from_until % {"start": start, "end": end}}</p>\n      '
        else:
            if face.days_left == 0:
                left = self.last_day
            else:
                left = ngettext("（あと%(days)s日）", "（あと%(days)s日）", face.days_left) % {"days": face.days_left}
            dates = (
                f'\n      <p class="pass__dates">{self.valid_until % {"end": end}}'
                f'<span class="pass__left">{left}</span></p>\n      '
            )
        renewal = ""
        if face.renewal is not None:
            next_dates = {"start": self.date(face.renewal.valid_from), "end": self.date(face.renewal.valid_until)}
            renewal = f'\n      <p class="pass__next">{self.renewal % next_dates}</p>\n      '
        route = (
            f"{place_html(commuter_pass.from_station, self.language)}⇔{place_html(commuter_pass.to_station, self.language)}"
        )
        return PASS_BOX.format(
            warning_class=" pass--warning" if face.expires_soon else "",
            kind=self.kinds[PassKind.STUDENT if commuter_pass.kind == PassKind.STUDENT else PassKind.COMMUTER],
            route=route,
            dates=dates,
            warning=self.warning if face.expires_soon else "",
            renewal=renewal,
        )

    def face(self, face: CardFace) -> str:
        card = face.card
        if card.status not in CURRENT_STATUSES:
            raise ValueError(f"a card in use was expected, not one {card.status}")  # past cards keep their template
        nickname = escape(card.nickname)
        return FACE.format(
            status=escape(card.status),
            public_id=card.public_id,
            url=escape(reverse("cards:card-detail", args=[card.public_id])),
            name=nickname or self.unnamed,
            status_label=self.statuses.get(card.status, escape(card.status)),
            number_term=self.number_term,
            number=escape(card.masked_number),
            device=self.devices.get(card.device, escape(card.device)),
            balance_term=self.balance_term,
            balance=self.balance(card),
            commuter_pass=self.commuter_pass(face),
            notice=self.notices[card.status],
            more=self.more,
            more_name=self.more_name % {"name": nickname or "ICOCA"},
        )


#: The faces' words and formats in the active language (constants of the language, the formats
#: and the URL configuration).
faces_format = once_per_language(FacesFormat)


def face_items(faces: list[CardFace]) -> SafeString:
    """The ``<li>`` of each card in use, in order, as マイページ's list holds them."""
    if not faces:
        return SafeString("")
    shown = faces_format()
    return SafeString("".join(f"<li>{shown.face(face)}</li>" for face in faces))
