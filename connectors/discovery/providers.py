"""Settings for the largest providers, shipped with tether so the common cases need no network at all.

Each entry says which integration type fits best (Gmail and Microsoft accounts sign in
with OAuth) and where a provider demands an app password instead of the account password.
Google and Microsoft are also reused when DNS shows a custom domain hosted there.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.discovery.model import TLS_IMPLICIT, TLS_STARTTLS, Candidate, Service

TABLE_SOURCE = "tether's provider table"
APP_PASSWORD = "needs an app password (create one in the account's security settings)"


@dataclass(frozen=True)
class Provider:
    name: str
    type_key: str
    host: str
    port: int = 993
    tls_mode: str = TLS_IMPLICIT
    note: str = ""
    caldav_url: str = ""


GOOGLE = Provider(
    "Google",
    "gmail",
    "imap.gmail.com",
    note="Google account: the Gmail type signs in with Google; with IMAP it needs an app password.",
)
MICROSOFT = Provider(
    "Microsoft",
    "outlook",
    "outlook.office365.com",
    note="Microsoft account: signs in with OAuth (the Outlook type); passwords are refused.",
)
ICLOUD = Provider(
    "iCloud", "imap", "imap.mail.me.com", note=f"iCloud {APP_PASSWORD}.", caldav_url="https://caldav.icloud.com/"
)
YAHOO = Provider(
    "Yahoo",
    "imap",
    "imap.mail.yahoo.com",
    note=f"Yahoo {APP_PASSWORD}.",
    caldav_url="https://caldav.calendar.yahoo.com/",
)
AOL = Provider("AOL", "imap", "imap.aol.com", note=f"AOL {APP_PASSWORD}.")
FASTMAIL = Provider(
    "Fastmail",
    "imap",
    "imap.fastmail.com",
    note=f"Fastmail {APP_PASSWORD}.",
    caldav_url="https://caldav.fastmail.com/",
)
GMX_COM = Provider("GMX", "imap", "imap.gmx.com", note="GMX: switch on IMAP access in the mailbox settings first.")
GMX_NET = Provider("GMX", "imap", "imap.gmx.net", note="GMX: switch on IMAP access in the mailbox settings first.")
WEB_DE = Provider("WEB.DE", "imap", "imap.web.de", note="WEB.DE: switch on IMAP access in the mailbox settings first.")
YANDEX = Provider(
    "Yandex", "imap", "imap.yandex.com", note=f"Yandex {APP_PASSWORD}.", caldav_url="https://caldav.yandex.ru/"
)
MAIL_RU = Provider(
    "Mail.ru", "imap", "imap.mail.ru", note="Mail.ru needs a password for external apps (in the security settings)."
)
ZOHO = Provider(
    "Zoho",
    "imap",
    "imap.zoho.com",
    note="Zoho: switch on IMAP access; with two-factor sign-in it needs an app password.",
)
ZOHO_EU = Provider("Zoho", "imap", "imap.zoho.eu", note=ZOHO.note)
PROTON = Provider(
    "Proton Mail Bridge",
    "imap",
    "127.0.0.1",
    port=1143,
    tls_mode=TLS_STARTTLS,
    note="Proton Mail works only through Proton Mail Bridge on this computer: use the password Bridge shows, "
    "and the certificate Bridge exports as the CA file.",
)

PROVIDERS: dict[str, Provider] = {
    **dict.fromkeys(("gmail.com", "googlemail.com"), GOOGLE),
    **dict.fromkeys(("outlook.com", "hotmail.com", "live.com", "msn.com", "hotmail.co.uk", "outlook.de"), MICROSOFT),
    **dict.fromkeys(("icloud.com", "me.com", "mac.com"), ICLOUD),
    **dict.fromkeys(("yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.de"), YAHOO),
    **dict.fromkeys(("aol.com", "aim.com"), AOL),
    **dict.fromkeys(("fastmail.com", "fastmail.fm"), FASTMAIL),
    "gmx.com": GMX_COM,
    **dict.fromkeys(("gmx.net", "gmx.de", "gmx.at", "gmx.ch"), GMX_NET),
    "web.de": WEB_DE,
    **dict.fromkeys(("yandex.com", "yandex.ru", "ya.ru"), YANDEX),
    **dict.fromkeys(("mail.ru", "inbox.ru", "list.ru", "bk.ru"), MAIL_RU),
    **dict.fromkeys(("zoho.com", "zohomail.com"), ZOHO),
    "zoho.eu": ZOHO_EU,
    **dict.fromkeys(("proton.me", "protonmail.com", "protonmail.ch", "pm.me"), PROTON),
}


def candidates_for(provider: Provider, source: str) -> tuple[Candidate, ...]:
    mail = Candidate(
        Service.MAIL, provider.type_key, (source,), provider.host, provider.port, provider.tls_mode, note=provider.note
    )
    if not provider.caldav_url:
        return (mail,)
    return mail, Candidate(Service.CALENDAR, "caldav", (source,), url=provider.caldav_url, note=provider.note)


def lookup(domain: str) -> tuple[Candidate, ...]:
    provider = PROVIDERS.get(domain)
    return candidates_for(provider, TABLE_SOURCE) if provider else ()
