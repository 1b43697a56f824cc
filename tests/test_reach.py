"""Phones join on the first try: the address in join links and QR codes, and its warnings.

A page opened through 127.0.0.1 (or localhost, ::1) must never hand phones that address:
with the server on every interface the links use the laptop's network address; with the
server on this computer only, the control page and the projector say that phones cannot
join and how to restart. ``workshop serve`` and ``workshop create`` print the same.
"""

import io
import json
import runpy
import sys

import pytest
import segno
from bs4 import BeautifulSoup
from click.testing import CliRunner

from workshop import cli, create_app, reach
from workshop.cli import main

LAN = ("192.168.1.20", "10.8.0.5")


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def decide(request_base, configured=None, listen_host=None, listen_port=None, found=LAN):
    return reach.decide(
        request_base,
        configured=configured,
        listen_host=listen_host,
        listen_port=listen_port,
        addresses=lambda listen: found,
    )


# --- the rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "opened",
    [
        "http://127.0.0.1:5000",
        "http://localhost:5000",
        "http://[::1]:5000",
        "http://0.0.0.0:5000",
        "http://127.0.1.1:5000",
    ],
)
def test_a_page_opened_on_loopback_links_to_the_network_address_when_listening_everywhere(
    opened,
):
    chosen = decide(opened, listen_host="0.0.0.0", listen_port=5000)
    assert chosen.base == "http://192.168.1.20:5000"
    assert chosen.status == reach.NETWORK and chosen.reachable
    assert chosen.others == ("http://10.8.0.5:5000",)


def test_listening_on_ipv6_everywhere_brackets_an_ipv6_address():
    chosen = decide("http://[::1]:8080", listen_host="::", listen_port=8080, found=("fd00::2",))
    assert chosen.base == "http://[fd00::2]:8080" and chosen.host == "[fd00::2]"


@pytest.mark.parametrize("listen", ["127.0.0.1", "localhost", "::1", None])
def test_a_server_on_this_computer_only_keeps_loopback_and_says_phones_cannot_reach_it(listen):
    chosen = decide("http://127.0.0.1:5000", listen_host=listen, listen_port=5000)
    assert chosen.base == "http://127.0.0.1:5000"
    assert chosen.status == reach.LOCAL_ONLY and not chosen.reachable
    assert chosen.host == "127.0.0.1"


def test_listening_everywhere_without_a_network_says_so():
    chosen = decide("http://127.0.0.1:5000", listen_host="0.0.0.0", listen_port=5000, found=())
    assert chosen.status == reach.OFFLINE and not chosen.reachable
    assert chosen.base == "http://127.0.0.1:5000"


def test_the_base_url_setting_is_used_as_it_is():
    chosen = decide(
        "http://127.0.0.1:5000", configured="https://credo.klinika.pl/", listen_host="127.0.0.1"
    )
    assert chosen.base == "https://credo.klinika.pl"
    assert chosen.status == reach.CONFIGURED and chosen.reachable


@pytest.mark.parametrize(
    "opened", ["http://192.168.1.20:5000", "https://credo.klinika.pl", "http://laptop.local:5000"]
)
def test_a_page_opened_through_a_network_address_keeps_it(opened):
    chosen = decide(opened, listen_host="127.0.0.1", listen_port=5000)
    assert chosen.base == opened and chosen.status == reach.DIRECT


def test_a_server_on_one_network_address_links_to_it():
    chosen = decide("http://127.0.0.1:5000", listen_host="192.168.1.20", listen_port=5000)
    assert chosen.base == "http://192.168.1.20:5000" and chosen.status == reach.NETWORK


def test_the_default_port_is_left_out():
    assert reach.base_url("http", "192.168.1.20", 80) == "http://192.168.1.20"
    assert reach.base_url("https", "fd00::2", 443) == "https://[fd00::2]"


# --- this computer's addresses -----------------------------------------------------------

IP_JSON = [
    {
        "ifname": "lo",
        "flags": ["LOOPBACK", "UP", "LOWER_UP"],
        "addr_info": [
            {"family": "inet", "local": "127.0.0.1", "scope": "host"},
            {"family": "inet6", "local": "::1", "scope": "host"},
        ],
    },
    {
        "ifname": "docker0",
        "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
        "addr_info": [{"family": "inet", "local": "172.17.0.1", "scope": "global"}],
    },
    {
        "ifname": "wlp2s0",
        "flags": ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"],
        "addr_info": [
            {"family": "inet", "local": "192.168.1.20", "scope": "global"},
            {"family": "inet6", "local": "fd00::20", "scope": "global"},
            {"family": "inet6", "local": "fe80::1", "scope": "link"},
        ],
    },
    {
        "ifname": "enp0s31f6",
        "flags": ["NO-CARRIER", "BROADCAST", "UP"],
        "addr_info": [{"family": "inet", "local": "10.0.0.9", "scope": "global"}],
    },
]
IFCONFIG = """\
lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 16384
\tinet 127.0.0.1 netmask 0xff000000
\tinet6 ::1 prefixlen 128
en0: flags=8863<UP,BROADCAST,SMART,RUNNING,SIMPLEX,MULTICAST> mtu 1500
\tinet6 fe80::1c2a:5bff:fe11:2233%en0 prefixlen 64 secured scopeid 0x4
\tinet 192.168.1.20 netmask 0xffffff00 broadcast 192.168.1.255
utun3: flags=8051<UP,POINTOPOINT,RUNNING,MULTICAST> mtu 1380
\tinet 10.8.0.5 --> 10.8.0.1 netmask 0xffffffff
"""


def test_addresses_come_from_ip_on_linux_skipping_loopback_link_local_and_unplugged(monkeypatch):
    outputs = {"ip": json.dumps(IP_JSON)}
    monkeypatch.setattr(reach, "_run", lambda command: outputs.get(command[0], ""))
    monkeypatch.setattr(reach, "_route_sources", lambda: ["192.168.1.20"])
    assert reach.discover() == ("192.168.1.20", "fd00::20", "172.17.0.1")  # containers last
    assert reach.discover((4,)) == ("192.168.1.20", "172.17.0.1")


def test_addresses_come_from_ifconfig_where_there_is_no_ip_command(monkeypatch):
    outputs = {"ifconfig": IFCONFIG}
    monkeypatch.setattr(reach, "_run", lambda command: outputs.get(command[0], ""))
    monkeypatch.setattr(reach, "_route_sources", lambda: [])
    assert reach.discover() == ("192.168.1.20", "10.8.0.5")  # the VPN's address last


def test_without_any_network_there_are_no_addresses_and_nothing_fails(monkeypatch):
    monkeypatch.setattr(reach, "_run", lambda command: "")
    monkeypatch.setattr(reach, "_route_sources", lambda: [])
    assert reach.discover() == ()


def test_looking_up_addresses_sends_nothing_and_never_fails():
    """On this machine, whatever its network: only addresses a phone could use come back."""
    found = reach.discover()
    assert all(reach.usable(address) for address in found)


# --- the pages ----------------------------------------------------------------------------


@pytest.fixture
def everywhere(app, monkeypatch):
    """The server listens on every interface of a laptop whose Wi-Fi address is 192.168.1.20."""
    app.config.update(LISTEN_HOST="0.0.0.0", LISTEN_PORT=5000)
    monkeypatch.setattr(reach, "network_addresses", lambda listen: LAN)
    return app


def test_control_page_opened_on_localhost_gives_phones_the_network_address(
    everywhere, facilitator, workshop
):
    page = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    join_url = page.select_one("#join-url")["value"]
    assert join_url == f"http://192.168.1.20:5000/j/{workshop.join_token}"
    assert page.select_one("#screen-url")["value"].startswith("http://192.168.1.20:5000/s/")
    note = page.select_one(".reach-note").get_text(" ", strip=True)
    assert "http://192.168.1.20:5000" in note and "http://10.8.0.5:5000" in note
    assert page.select_one(".reach-warning") is None
    # The button opens the screen in this browser, on this origin: its clicker keys work.
    assert page.select_one(f"a[href='/s/{workshop.screen_token}']") is not None


def test_the_qr_code_encodes_the_network_address(everywhere, client, workshop):
    qr = client.get(f"/s/{workshop.screen_token}/qr.svg")
    expected = io.BytesIO()
    url = f"http://192.168.1.20:5000/j/{workshop.join_token}"
    segno.make(url, error="m").save(expected, kind="svg", scale=10, border=4, xmldecl=False)
    assert qr.data == expected.getvalue()
    # Asked again each time, so a laptop that changed networks shows its new address.
    assert "no-cache" in qr.headers["Cache-Control"]
    again = client.get(
        f"/s/{workshop.screen_token}/qr.svg", headers={"If-None-Match": qr.headers["ETag"]}
    )
    assert again.status_code == 304


def test_the_projector_shows_the_network_address_without_a_warning(everywhere, client, workshop):
    page = soup(client.get(f"/s/{workshop.screen_token}"))
    assert page.select_one(".join-how strong").get_text() == "192.168.1.20:5000/join"
    assert page.select_one(".join-unreachable, .join-fix") is None


@pytest.mark.parametrize("listen", ["127.0.0.1", None])
def test_on_this_computer_only_the_control_page_and_projector_say_phones_cannot_join(
    app, facilitator, client, workshop, listen
):
    app.config.update(LISTEN_HOST=listen, LISTEN_PORT=5000 if listen else None)
    control = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    warning = control.select_one(".reach-warning").get_text(" ", strip=True)
    assert "localhost" in warning and "HOST=0.0.0.0 make run" in warning
    assert control.select_one(".reach-note") is None
    screen = soup(client.get(f"/s/{workshop.screen_token}"))
    how = screen.select_one(".join-how.join-unreachable")
    assert how.select_one(".join-label").get_text() == "Telefony nie otworzą"
    assert how.select_one("strong").get_text() == "localhost"
    assert "HOST=0.0.0.0 make run" in screen.select_one(".join-fix").get_text()
    # The live refresh of the join panel says the same.
    panel = soup(client.get(f"/s/{workshop.screen_token}/join", headers={"HX-Request": "true"}))
    assert panel.select_one(".join-fix code").get_text() == "HOST=0.0.0.0 make run"


def test_without_a_network_the_pages_say_to_connect_the_laptop(
    app, facilitator, client, workshop, monkeypatch
):
    app.config.update(LISTEN_HOST="0.0.0.0", LISTEN_PORT=5000)
    monkeypatch.setattr(reach, "network_addresses", lambda listen: ())
    control = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    assert "Wi-Fi" in control.select_one(".reach-warning").get_text()
    screen = soup(client.get(f"/s/{workshop.screen_token}"))
    assert screen.select_one(".join-fix").get_text(strip=True) == "Połącz ten laptop z siecią Wi-Fi"


def test_the_base_url_setting_wins_and_nothing_warns(app, facilitator, client, workshop):
    app.config.update(BASE_URL="https://credo.klinika.pl", LISTEN_HOST="127.0.0.1")
    control = soup(facilitator.get(f"/w/{workshop.public_id}/control"))
    assert control.select_one("#join-url")["value"].startswith("https://credo.klinika.pl/j/")
    assert control.select_one(".reach") is None
    screen = soup(client.get(f"/s/{workshop.screen_token}"))
    assert screen.select_one(".join-how strong").get_text() == "credo.klinika.pl/join"
    assert screen.select_one(".join-fix") is None


def test_a_page_opened_through_a_network_address_links_to_that_address(
    everywhere, client, workshop
):
    page = soup(client.get(f"/s/{workshop.screen_token}", base_url="http://10.8.0.5:5000"))
    assert page.select_one(".join-how strong").get_text() == "10.8.0.5:5000/join"
    assert page.select_one(".join-fix") is None


# --- the command line ---------------------------------------------------------------------


def test_serve_prints_every_address_phones_can_reach_when_listening_everywhere():
    lines = reach.serving_lines("0.0.0.0", 5000, addresses=lambda listen: LAN)
    assert lines[0].startswith(
        "Open Credo on this laptop at http://192.168.1.20:5000 — phones on the same Wi-Fi join"
    )
    assert lines[1] == "Other addresses of this computer: http://10.8.0.5:5000"
    assert "0.0.0.0" not in "\n".join(lines)


def test_serve_on_ipv6_everywhere_prints_bracketed_addresses():
    lines = reach.serving_lines("::", 5000, addresses=lambda listen: ("192.168.1.20", "fd00::2"))
    assert "http://192.168.1.20:5000" in lines[0] and "http://[fd00::2]:5000" in lines[1]


def test_serve_on_loopback_says_phones_cannot_reach_it_and_how_to_restart():
    lines = reach.serving_lines("127.0.0.1", 5000, addresses=lambda listen: pytest.fail("looked"))
    text = "\n".join(lines)
    assert "http://127.0.0.1:5000" in text and "phones cannot reach it" in text
    assert "HOST=0.0.0.0 make run" in text


def test_serve_without_a_network_says_to_connect_the_laptop():
    text = "\n".join(reach.serving_lines("0.0.0.0", 5000, addresses=lambda listen: ()))
    assert "no network address" in text and "http://127.0.0.1:5000" in text
    assert "0.0.0.0" not in text


def test_serve_behind_a_base_url_prints_it():
    text = "\n".join(reach.serving_lines("127.0.0.1", 5000, "https://credo.klinika.pl/"))
    assert "https://credo.klinika.pl (WORKSHOP_BASE_URL)" in text and "cannot" not in text


@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_DATABASE", str(tmp_path / "cli.db"))
    monkeypatch.setenv("WORKSHOP_EXPORTS_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("WORKSHOP_BASE_URL", raising=False)
    monkeypatch.delenv("WORKSHOP_LISTEN_HOST", raising=False)
    monkeypatch.delenv("WORKSHOP_LISTEN_PORT", raising=False)
    monkeypatch.setenv("PORT", "5000")
    return monkeypatch


def create(*extra):
    return CliRunner().invoke(main, ["create", "--title", "Klinika", "--lang", "pl", *extra])


def test_create_with_host_everywhere_prints_the_network_address_never_0_0_0_0(cli_env):
    cli_env.setenv("HOST", "0.0.0.0")
    cli_env.setattr(reach, "network_addresses", lambda listen: LAN)
    result = create("--json")
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    for key in ("join_url", "screen_url", "facilitator_url"):
        assert info[key].startswith("http://192.168.1.20:5000/"), info[key]
    text = create().output
    assert "0.0.0.0" not in text and "http://192.168.1.20:5000/j/" in text
    assert "cannot open" not in text


def test_create_on_loopback_prints_loopback_links_and_says_phones_cannot_open_them(cli_env):
    cli_env.setenv("HOST", "127.0.0.1")
    result = create()
    assert result.exit_code == 0, result.output
    assert "join url: http://127.0.0.1:5000/j/" in result.output
    assert "phones cannot open them" in result.output and "HOST=0.0.0.0" in result.output
    assert json.loads(create("--json").output)["join_url"].startswith("http://127.0.0.1:5000/")


def test_create_uses_the_base_url_setting(cli_env):
    cli_env.setenv("HOST", "0.0.0.0")
    cli_env.setenv("WORKSHOP_BASE_URL", "https://credo.klinika.pl")
    info = json.loads(create("--json").output)
    assert info["join_url"].startswith("https://credo.klinika.pl/j/")


SERVE_SETS = (
    "WORKSHOP_LISTEN_HOST",
    "WORKSHOP_LISTEN_PORT",
    "WORKSHOP_WORKERS",
    "WORKSHOP_THREADS",
)


def serve(cli_env, *args) -> tuple:
    """Run ``workshop serve`` up to starting gunicorn; return its result and gunicorn's argv."""
    for name in SERVE_SETS:
        cli_env.setenv(name, "")  # restored afterwards: serve sets them for its workers
    started = []
    cli_env.setattr(cli.os, "execv", lambda path, argv: started.append(argv))
    result = CliRunner().invoke(main, ["serve", *args])
    assert result.exit_code == 0, result.output
    return result, started[0]


def test_serve_tells_the_app_where_it_listens_and_prints_the_addresses(cli_env):
    """``workshop serve`` without starting gunicorn: what it prints and what the app learns."""
    cli_env.setattr(reach, "network_addresses", lambda listen: LAN)
    result, _ = serve(cli_env, "--host", "0.0.0.0", "--port", "5050")
    assert result.output.startswith(
        "Open Credo on this laptop at http://192.168.1.20:5050 — phones on the same Wi-Fi"
    )
    assert "http://10.8.0.5:5050" in result.output and "0.0.0.0" not in result.output
    app = create_app()  # as each worker makes it, from the environment serve set
    assert (app.config["LISTEN_HOST"], app.config["LISTEN_PORT"]) == ("0.0.0.0", 5050)
    with app.test_request_context(base_url="http://127.0.0.1:5050"):
        assert reach.current().base == "http://192.168.1.20:5050"


def test_serve_on_ipv6_binds_a_bracketed_address(cli_env):
    cli_env.setattr(reach, "network_addresses", lambda listen: ("fd00::2",))
    result, argv = serve(cli_env, "--host", "::", "--port", "5050")
    assert argv[argv.index("--bind") + 1] == "[::]:5050"
    assert "http://[fd00::2]:5050" in result.output


def test_serve_runs_gunicorn_with_gevent_workers_that_drop_slow_requests(cli_env):
    """A fresh gunicorn (its master never imports the app) with serving.py's settings."""
    cli_env.setattr(reach, "network_addresses", lambda listen: LAN)
    _, argv = serve(cli_env, "--host", "127.0.0.1", "--port", "5050", "--workers", "3")
    assert argv[:3] == [sys.executable, "-m", "gunicorn"]
    config = {argv[i]: argv[i + 1] for i in range(3, len(argv), 2)}
    assert config["--workers"] == "3" and config["--keep-alive"] == "5"
    assert int(config["--worker-connections"]) >= 3000  # 2 x the default 1500 threads
    settings = runpy.run_path(config["--config"])
    assert settings["worker_class"] == "gevent"
    assert settings["wsgi_app"] == "workshop:create_app()"
    assert "preload_app" not in settings  # the app loads in each worker, after patching
