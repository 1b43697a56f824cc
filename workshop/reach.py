"""Where phones can reach Credo: the one rule for the address in join links and QR codes.

A page opened through this computer's own address (127.0.0.1, localhost, ::1) would put
that address in every link and QR code it shows, and no phone can open it. So, unless
WORKSHOP_BASE_URL says otherwise, a page opened that way gets this computer's network
address when the server listens on every interface (``HOST=0.0.0.0``), and a plain
warning when it listens on this computer only. ``workshop serve`` tells the app where it
listens (WORKSHOP_LISTEN_HOST and WORKSHOP_LISTEN_PORT) and prints the same addresses.

The addresses come from ``ip -j addr`` (Linux) or ``ifconfig`` (macOS, BSD), and from the
source address the system would use for its default route: a UDP socket's ``connect()``
only looks the route up and sends nothing. Nothing here sends any traffic.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, g, request, url_for

# The wildcard addresses a server listens on to take every interface (binds nothing here).
ALL_INTERFACES = frozenset({"", "*", "0.0.0.0", "::"})  # nosec B104
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Interfaces a phone on the Wi-Fi cannot reach (containers, VMs, VPNs): their addresses last.
VIRTUAL_INTERFACES = re.compile(
    r"^(docker|br-|virbr|veth|vmnet|vboxnet|tun|tap|wg|tailscale|zt|utun|llw|awdl|bridge)"
)
# connect() on a UDP socket picks the route and its source address and sends nothing.
# Documentation addresses (RFC 5737, RFC 3849): nothing answers there anyway.
ROUTE_PROBES = ((socket.AF_INET, ("192.0.2.1", 9)), (socket.AF_INET6, ("2001:db8::1", 9)))
COMMAND_TIMEOUT_SECONDS = 2.0
ADDRESSES_FRESH_SECONDS = 10.0  # a laptop that moves to the clinic's Wi-Fi is seen at once

# Status of a Reach: how the address in links was chosen.
CONFIGURED = "configured"  # WORKSHOP_BASE_URL
DIRECT = "direct"  # the page was opened through an address phones can use too
NETWORK = "network"  # opened through 127.0.0.1; links use this computer's network address
LOCAL_ONLY = "local-only"  # the server listens on this computer only: phones cannot join
OFFLINE = "offline"  # it listens on every interface, but this computer has no network


@dataclass(frozen=True)
class Reach:
    """How phones reach this server, seen from one request."""

    base: str  # scheme://host[:port]: the base of every printed link and QR code
    status: str
    others: tuple[str, ...] = ()  # bases on the computer's other network addresses

    @property
    def reachable(self) -> bool:
        """Tell whether a phone on the network can open links on ``base``."""
        return self.status not in (LOCAL_ONLY, OFFLINE)

    @property
    def host(self) -> str:
        """The host part of ``base``: 127.0.0.1, 192.168.1.20, [fd00::2]."""
        name = urlsplit(self.base).hostname or ""
        return f"[{name}]" if ":" in name else name


def is_local_host(host: str) -> bool:
    """Tell whether ``host`` names this computer to itself only (no phone can open it)."""
    name = host.strip("[]").lower().rstrip(".")
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def base_url(scheme: str, host: str, port: int | None) -> str:
    """Join a scheme, host and port into a base URL, bracketing IPv6 and dropping :80."""
    shown = f"[{host}]" if ":" in host else host
    if port is None or DEFAULT_PORTS.get(scheme) == port:
        return f"{scheme}://{shown}"
    return f"{scheme}://{shown}:{port}"


def decide(
    request_base: str,
    *,
    configured: str | None,
    listen_host: str | None,
    listen_port: int | None,
    addresses: Callable[[str], Iterable[str]] | None = None,
) -> Reach:
    """Choose the base of the links a page shows, for a page opened at ``request_base``.

    ``configured`` (WORKSHOP_BASE_URL) wins. A page opened through an address phones can
    use keeps it. A page opened through this computer's own address gets the network
    address the server listens on (the first of ``addresses(listen_host)`` when it
    listens on every interface), or stays as it is, marked unreachable, when the server
    listens on this computer only or where it listens is unknown.
    """
    if configured:
        return Reach(str(configured).rstrip("/"), CONFIGURED)
    parts = urlsplit(request_base)
    request_host = parts.hostname or ""
    if not is_local_host(request_host):
        return Reach(request_base, DIRECT)
    try:
        port = int(listen_port) if listen_port else parts.port
    except ValueError:
        port = None
    listen = None if listen_host is None else str(listen_host).strip().strip("[]").lower()
    if listen is None or (listen not in ALL_INTERFACES and is_local_host(listen)):
        return Reach(request_base, LOCAL_ONLY)
    if listen not in ALL_INTERFACES:
        return Reach(base_url(parts.scheme, listen, port), NETWORK)
    found = list((addresses or network_addresses)(listen))
    if not found:
        return Reach(request_base, OFFLINE)
    bases = [base_url(parts.scheme, address, port) for address in found]
    return Reach(bases[0], NETWORK, tuple(bases[1:]))


def current() -> Reach:
    """How phones reach this server, for the request being served (worked out once)."""
    if "phone_reach" not in g:
        config = current_app.config
        g.phone_reach = decide(
            request.host_url.rstrip("/"),
            configured=config.get("BASE_URL"),
            listen_host=config.get("LISTEN_HOST"),
            listen_port=config.get("LISTEN_PORT"),
        )
    return g.phone_reach


def external_url(endpoint: str, **values: object) -> str:
    """Return an absolute URL for links and QR codes, on the base phones can open.

    WORKSHOP_BASE_URL when the operator set one, else the page's own address, but never
    127.0.0.1 when the server listens on a network address too (``current`` holds the rule).
    """
    return current().base + url_for(endpoint, **values)


# --- this computer's network addresses ---------------------------------------------------


def usable(text: str) -> bool:
    """Tell whether a phone on the same network could open a link on this address."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return False
    if address.is_loopback or address.is_unspecified or address.is_multicast:
        return False
    if address.is_link_local:  # 169.254.x.x, fe80::: needs a zone, or no DHCP answered
        return False
    if address.version == 6:
        return address.is_global or address in ipaddress.ip_network("fc00::/7")
    return True


def _run(command: list[str]) -> str:
    """Run a read-only system command; its output, or "" when it is missing or fails."""
    search = os.pathsep.join([os.environ.get("PATH", os.defpath), "/usr/sbin", "/sbin"])
    path = shutil.which(command[0], path=search)
    if path is None:
        return ""
    try:
        done = subprocess.run(  # a fixed command, no shell
            [path, *command[1:]],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def _from_ip_command(output: str) -> list[tuple[str, str]]:
    """(interface, address) pairs from ``ip -j addr``, for interfaces that are up."""
    try:
        interfaces = json.loads(output)
    except ValueError:
        return []
    found = []
    for interface in interfaces if isinstance(interfaces, list) else []:
        flags = interface.get("flags") or []
        if "UP" not in flags or "NO-CARRIER" in flags or "LOOPBACK" in flags:
            continue
        for info in interface.get("addr_info") or []:
            if info.get("family") in ("inet", "inet6") and info.get("scope") == "global":
                if not info.get("deprecated") and not info.get("tentative"):
                    found.append((interface.get("ifname", ""), str(info.get("local", ""))))
    return found


IFCONFIG_INTERFACE = re.compile(r"^(\S+?):?\s")
IFCONFIG_ADDRESS = re.compile(r"\binet6?\s+(?:addr:\s*)?([0-9A-Fa-f:.]+)")


def _from_ifconfig(output: str) -> list[tuple[str, str]]:
    """(interface, address) pairs from ``ifconfig`` (macOS, BSD, older Linux)."""
    found, interface = [], ""
    for line in output.splitlines():
        if line and not line[0].isspace():
            match = IFCONFIG_INTERFACE.match(line)
            interface = match.group(1) if match else ""
        match = IFCONFIG_ADDRESS.search(line)
        if match and "deprecated" not in line and "tentative" not in line:
            found.append((interface, match.group(1)))
    return found


def _route_sources() -> list[str]:
    """The source addresses of the default routes (what the Wi-Fi knows this computer by)."""
    found = []
    for family, target in ROUTE_PROBES:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as probe:
                probe.connect(target)  # UDP: looks the route up, sends nothing
                found.append(str(probe.getsockname()[0]))
        except OSError:  # no network, no route, no IPv6
            continue
    return found


def _rank(address: str, interface: str, primary: list[str]) -> tuple[int, int, int]:
    """Sort key: the default route's address, private IPv4 (home, clinic Wi-Fi), then IPv6."""
    parsed = ipaddress.ip_address(address)
    return (
        0 if address in primary else 1,
        1 if VIRTUAL_INTERFACES.match(interface) else 0,
        (0 if parsed.is_private else 1) if parsed.version == 4 else 2,
    )


def discover(families: tuple[int, ...] = (4, 6)) -> tuple[str, ...]:
    """This computer's network addresses phones could use, the likeliest first."""
    pairs = _from_ip_command(_run(["ip", "-j", "addr", "show"]))
    if not pairs:
        pairs = _from_ifconfig(_run(["ifconfig"]))
    primary = [address for address in _route_sources() if usable(address)]
    pairs += [("", address) for address in primary]
    seen: dict[str, str] = {}
    for interface, address in pairs:
        address = address.split("%", 1)[0]
        if usable(address) and ipaddress.ip_address(address).version in families:
            seen.setdefault(address, interface)
    return tuple(sorted(seen, key=lambda address: _rank(address, seen[address], primary)))


_found: dict[tuple[int, ...], tuple[float, tuple[str, ...]]] = {}
_found_lock = threading.Lock()


def network_addresses(listen_host: str) -> tuple[str, ...]:
    """The addresses a server listening on ``listen_host`` (0.0.0.0 or ::) is reachable at.

    0.0.0.0 is IPv4 only; :: (and "") takes IPv6 and, on a dual-stack system, IPv4 too.
    Looked up at most every few seconds.
    """
    families = (4,) if "." in listen_host else (4, 6)  # 0.0.0.0: IPv4 only
    now = time.monotonic()
    with _found_lock:
        cached = _found.get(families)
        if cached is not None and now - cached[0] < ADDRESSES_FRESH_SECONDS:
            return cached[1]
    found = discover(families)
    with _found_lock:
        _found[families] = (now, found)
    return found


# --- what ``workshop serve`` says on start ------------------------------------------------


def serving_lines(
    host: str,
    port: int,
    configured: str | None = None,
    addresses: Callable[[str], Iterable[str]] | None = None,
) -> list[str]:
    """What ``workshop serve`` prints on start: where to open Credo and whether phones can."""
    listen = host.strip().strip("[]").lower()
    local = base_url("http", "127.0.0.1" if ":" not in listen else "::1", port)
    stop = "Ctrl+C stops it"
    if configured:
        where = (
            f"every network interface, port {port}"
            if listen in ALL_INTERFACES
            else base_url("http", listen, port)
        )
        return [
            f"Credo is listening on {where}  ({stop})",
            f"Links and QR codes use {str(configured).rstrip('/')} (WORKSHOP_BASE_URL).",
        ]
    if listen in ALL_INTERFACES:
        bases = [base_url("http", a, port) for a in (addresses or network_addresses)(listen)]
        if not bases:
            return [
                f"Credo is running at {local}  ({stop})",
                "This computer has no network address yet, so phones cannot reach it: "
                "connect it to the Wi-Fi. The control page then shows the address phones "
                "join at.",
            ]
        lines = [
            f"Open Credo on this laptop at {bases[0]} — phones on the same Wi-Fi join there."
            f"  ({stop})"
        ]
        if len(bases) > 1:
            lines.append("Other addresses of this computer: " + ", ".join(bases[1:]))
        return lines
    if is_local_host(listen):
        return [
            f"Credo is running at {base_url('http', listen, port)} — on this computer only: "
            f"phones cannot reach it.  ({stop})",
            "To let phones on the same Wi-Fi join, stop it and run: HOST=0.0.0.0 make run",
        ]
    return [
        f"Open Credo at {base_url('http', listen, port)} — phones on the same network join "
        f"there.  ({stop})"
    ]
