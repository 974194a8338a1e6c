"""The real SMTP server of the mail tests (aiosmtpd on loopback), for the digest."""

from tests.mail.conftest import smtp_server  # noqa: F401  (the fixture)
