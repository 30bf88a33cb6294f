"""Bind the HTTP socket and check the other listening ports before anything starts."""

from __future__ import annotations

import socket

from bot.config.root import AtiendeConfig
from bot.errors import ConfigError


def bind(host: str, port: int, key: str) -> socket.socket:
    """A listening TCP socket on host:port; one line naming `key` when that is impossible."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"{key}: cannot listen on {host}:{port}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ConfigError(f"{key}: cannot listen on {host}:{port}: "
                          f"{exc.strerror or exc}") from None
    return sock


def bind_listeners(config: AtiendeConfig) -> socket.socket:
    """The HTTP socket, bound; inbound SMTP's port is checked free too (its server binds it
    inside the event loop, moments later), so a port in use stops the start with one line
    before any banner claims that Atiende is listening."""
    http = bind(config.http.host, config.http.port, "http.port")
    email = config.channels.email
    if email is not None:
        inbound = email.smtp_inbound
        try:
            bind(inbound.host, inbound.port, "channels.email.smtp_inbound.port").close()
        except ConfigError:
            http.close()
            raise
    return http
