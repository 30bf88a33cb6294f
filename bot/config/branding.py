"""The `branding` section of config.yaml: how the customers' web pages look (help center)."""

from __future__ import annotations

from pydantic import Field

from bot.config.section import Section


class BrandingConfig(Section):
    """The company's name stays `bot.company_name`; these add its logo and colour."""

    logo_url: str | None = None                       # an absolute URL or a path such as /logo.png
    color: str = Field("#0b6bcb", pattern=r"^#[0-9a-fA-F]{6}$")
    support_email: str | None = None                  # shown by "write to us" (else channels.email)
