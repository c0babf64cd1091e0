"""Read a fetched RFC 822 message: the headers a person looks at, the text body, attachment names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True)
class ParsedMessage:
    subject: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: datetime | None  # UTC
    message_id: str
    text: str  # the plain-text body, or the HTML body stripped of tags when there is no plain text
    attachments: tuple[str, ...]  # file names


def parse_message(raw: bytes) -> ParsedMessage:
    import email
    from email import policy
    from email.message import EmailMessage
    from email.utils import getaddresses, parsedate_to_datetime

    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)

    def addresses(name: str) -> tuple[str, ...]:
        pairs = getaddresses([str(value) for value in message.get_all(name, [])])
        return tuple(f"{display} <{addr}>" if display else addr for display, addr in pairs if addr)

    sent: datetime | None = None
    if message["Date"]:
        try:
            sent = parsedate_to_datetime(str(message["Date"]))
            sent = sent.astimezone(UTC) if sent.tzinfo else sent.replace(tzinfo=UTC)
        except (TypeError, ValueError):
            sent = None
    return ParsedMessage(
        subject=str(message["Subject"] or ""),
        sender=next(iter(addresses("From")), ""),
        to=addresses("To"),
        cc=addresses("Cc"),
        date=sent,
        message_id=str(message["Message-ID"] or "").strip(),
        text=_body_text(message),
        attachments=tuple(part.get_filename() or "unnamed" for part in message.iter_attachments()),
    )


def _body_text(message) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, ValueError):  # unknown charset or broken encoding
        payload = body.get_payload(decode=True) or b""
        content = payload.decode("utf-8", "replace")
    if body.get_content_subtype() == "html":
        return strip_html(content)
    return content


def strip_html(html: str) -> str:
    from html.parser import HTMLParser

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self._skip = 0

        def handle_starttag(self, tag: str, attrs: object) -> None:
            if tag in ("script", "style"):
                self._skip += 1
            elif tag in ("br", "p", "div", "li", "tr"):
                self.parts.append("\n")

        def handle_endtag(self, tag: str) -> None:
            if tag in ("script", "style") and self._skip:
                self._skip -= 1

        def handle_data(self, data: str) -> None:
            if not self._skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    lines = (line.strip() for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)
