"""The child process the document benchmark measures memory in (spawned:
nothing imported here before Django is set up, and no memory left over from
the benchmark's own renders)."""

from __future__ import annotations


def proc_kib(field: str) -> int:
    """A ``/proc/self/status`` figure in KiB (``VmRSS``, ``VmHWM``)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def bare_table_html(content) -> str:
    """The receipt's rows as a plain table, in the same font, no styling."""
    from billing.documents import rendering as pdf
    from billing.documents.wording import display_lines

    faces = "".join(
        f'@font-face {{ font-family: "{face["family"]}"; src: url("{face["url"]}"); font-weight: {face["weight"]}; }}'
        for face in pdf.font_faces()
    )
    rows = "".join(
        f"<tr><td>{line.when}</td><td>{line.card}</td><td>{line.description}</td><td>{line.payment}</td>"
        f"<td>{line.amount}</td><td>{line.tax}</td></tr>"
        for line in display_lines(content.lines)
    )
    return (f'<html lang="ja"><head><meta charset="utf-8"><style>{faces} body {{ font-family: "BIZ UDPGothic"; }}'
            f"</style></head><body><table>{rows}</table></body></html>")


def bare_render(html: str) -> bytes:
    from weasyprint import HTML

    from billing.documents import rendering as pdf

    return HTML(string=html).write_pdf(font_config=pdf.font_config())


def measure_in_child(connection, which: str, payload: dict) -> None:
    """Set Django up, render a small receipt first (fonts loaded, Pango ready,
    as in a worker that has been running), reset the high-water mark, render
    once (``ours`` or ``bare``), send (peak RSS, growth) in KiB."""
    import django

    django.setup()
    from billing.documents import rendering as pdf
    from billing.documents.receipts import ReceiptContent

    header = pdf.Header(**payload["header"])
    period = pdf.Period(**payload["period"])
    content = ReceiptContent.from_json(payload["content"])
    pdf.render_receipt(header=header, content=ReceiptContent.from_json({"lines": [], "total": 0}), period=period)
    html = bare_table_html(content) if which == "bare" else ""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
        clear.write("5")  # VmHWM := VmRSS
    before = proc_kib("VmRSS")
    if which == "bare":
        bare_render(html)
    else:
        pdf.render_receipt(header=header, content=content, period=period)
    peak = proc_kib("VmHWM")
    connection.send((peak, peak - before))
    connection.close()
