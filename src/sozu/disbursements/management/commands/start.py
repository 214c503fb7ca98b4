"""`sozu start`: the whole platform on one machine, with the embedded defaults.

The local network, the payment worker, the repayment follower and the web server run as child
processes; the database is migrated and a demo organization is made on the first start. Ctrl-C
or SIGTERM stops them all.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import socket
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandParser
from django.db import connections

from sozu.disbursements.services.checks import wallet_usdc_balance
from sozu.launch.checks import MasterKeyError, master_key_verify
from sozu.launch.demo import Demo, DemoStaff, demo_ensure, demo_staff_ensure
from sozu.launch.processes import (
    Children,
    LaunchError,
    NetworkPlan,
    answers,
    network_plan,
    sozu_argv,
    wait_until_answering,
)
from sozu.orgs.management.base import SozuCommand, money, operator, stop_on_signals
from sozu.stellar import network
from sozu.stellar.transactions import is_local_network


def web_server_argv(host: str, port: int, *, dev: bool, workers: int) -> list[str]:
    """gunicorn serving the site (whitenoise serves the static files); runserver with --dev."""
    if dev:
        return sozu_argv("runserver", "--noreload", "--insecure", f"{host}:{port}")
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "sozu.wsgi:application",
        "--bind",
        bind,
        "--workers",
        str(max(1, workers)),
        "--graceful-timeout",
        "8",
    ]


#: Seconds each child may take to come up.
LOCALNET_START_TIMEOUT = 60.0
WEB_START_TIMEOUT = 60.0
#: The worker lets its transactions in flight settle before it exits.
WORKER_STOP_TIMEOUT = 60.0


class Command(SozuCommand):
    help = (
        "Run the whole platform: the local Stellar network (unless HORIZON_URL points "
        "elsewhere), the payment worker and the web server (gunicorn: dashboard, API and "
        "admin; Django's development server with --dev). Made for a fresh "
        "machine: migrates the database and creates a demo organization the first time. "
        "Set SOZU_ADMIN_PASSWORD to also create an admin user."
    )
    requires_system_checks: list[str] = []  # the web server child runs them

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8080, help="web server (default 8080)")
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="web server address (default 127.0.0.1; 0.0.0.0 to reach it from outside)",
        )
        parser.add_argument(
            "--localnet-port", type=int, default=8000, help="local network (default 8000)"
        )
        parser.add_argument(
            "--dev",
            action="store_true",
            help="Django's development server instead of gunicorn (never in production)",
        )
        parser.add_argument(
            "--workers", type=int, default=2, help="gunicorn worker processes (default 2)"
        )
        parser.add_argument(
            "--no-localnet",
            action="store_true",
            help="do not start the local network (one already runs, or HORIZON_URL is remote)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        var_dir = Path(settings.VAR_DIR)
        var_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "SOZU_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
        children = Children(env)
        stopping = threading.Event()
        ready = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stopping.set()
            if not ready.is_set():
                raise KeyboardInterrupt  # interrupt the setup step where it is

        code = 0
        try:
            with stop_on_signals(on_signal):
                plan = network_plan(
                    env_horizon_url=os.environ.get("HORIZON_URL"),
                    localnet_port=options["localnet_port"],
                    no_localnet=options["no_localnet"],
                )
                self._network(children, plan, var_dir, stopping)
                env["HORIZON_URL"] = settings.HORIZON_URL
                env["NETWORK_PASSPHRASE"] = settings.NETWORK_PASSPHRASE
                call_command("migrate", interactive=False, verbosity=0)
                try:
                    master_key_verify()  # before the worker and web server start
                except MasterKeyError as exc:
                    raise LaunchError(str(exc)) from None
                self.note(f"Database ready ({settings.DATABASES['default']['ENGINE']}).")
                admin = self._admin()
                demo = self._demo(var_dir)
                staff = (
                    demo_staff_ensure(
                        organization=demo.organization, var_dir=var_dir, actor=operator()
                    )
                    if demo is not None
                    else []
                )
                if not options["dev"]:
                    call_command("collectstatic", interactive=False, verbosity=0)
                connections.close_all()  # the children open their own
                children.spawn(
                    "worker",
                    sozu_argv("worker", "--name", f"start-{socket.gethostname()}"),
                    stop_timeout=WORKER_STOP_TIMEOUT,
                )
                # Repayments paid on chain to the loans (its state is in the database too).
                children.spawn(
                    "credit-follower",
                    sozu_argv("credit", "follow", "--name", f"start-{socket.gethostname()}"),
                    stop_timeout=15,
                )
                host, port = options["host"], options["port"]
                web = children.spawn(
                    "web",
                    web_server_argv(host, port, dev=options["dev"], workers=options["workers"]),
                    stop_timeout=10,
                )
                shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
                base = f"http://{shown_host}:{port}"
                wait_until_answering(
                    f"{base}/api/v1/openapi.json",
                    timeout=WEB_START_TIMEOUT,
                    child=web,
                    stopping=stopping.is_set,
                )
                self._staff = staff
                self._banner(base, plan, var_dir, admin, demo)
                ready.set()
                while not stopping.wait(0.5):
                    dead = children.first_exited()
                    if dead is not None:
                        self.note(
                            f"{dead.name} exited with status {dead.process.returncode}; "
                            "stopping everything."
                        )
                        code = 1
                        break
        except KeyboardInterrupt:
            code = 130
        except LaunchError as exc:
            self.note(f"sozu start: {exc}")
            code = 1
        finally:
            if children.children:
                self.note("Stopping (the worker lets its transactions settle)…")
            children.stop()
            self.note("Stopped.")
        if code:
            raise SystemExit(code)

    # --- steps ---------------------------------------------------------------------------------
    def _network(
        self, children: Children, plan: NetworkPlan, var_dir: Path, stopping: threading.Event
    ) -> None:
        url = plan.horizon_url
        if plan.run_localnet:
            info = answers(f"{url}/localnet/info")
            if info is not None and info.ok:
                self.note(f"A local network already runs at {url}; using it.")
            elif info is not None:
                raise LaunchError(
                    f"{url} answers but is not a Sozu local network: choose another "
                    "--localnet-port, or set HORIZON_URL to use it"
                )
            else:
                data = var_dir / "localnet"
                self.note(f"Starting the local network at {url} (ledger in {data})…")
                child = children.spawn(
                    "localnet",
                    sozu_argv(
                        "localnet",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(plan.localnet_port),
                        "--data",
                        str(data),
                    ),
                    log_path=data / "localnet.log",
                    stop_timeout=15,
                )
                wait_until_answering(
                    f"{url}/localnet/info",
                    timeout=LOCALNET_START_TIMEOUT,
                    child=child,
                    stopping=stopping.is_set,
                )
        else:
            self.note(f"Using the Stellar network at {url}.")
            wait_until_answering(f"{url}/", timeout=30, stopping=stopping.is_set)
        root = requests.get(f"{url}/", timeout=10).json()
        passphrase = str(root.get("network_passphrase") or settings.NETWORK_PASSPHRASE)
        configured = os.environ.get("NETWORK_PASSPHRASE")
        if configured and configured != passphrase:
            raise LaunchError(f"NETWORK_PASSPHRASE is “{configured}” but {url} is “{passphrase}”")
        settings.HORIZON_URL = url
        settings.NETWORK_PASSPHRASE = passphrase
        network.reset_caches()

    def _admin(self) -> str | None:
        """The admin user's name, made from SOZU_ADMIN_USER/SOZU_ADMIN_PASSWORD if missing."""
        password = os.environ.get("SOZU_ADMIN_PASSWORD")
        if not password:
            return None
        username = os.environ.get("SOZU_ADMIN_USER", "admin")
        # The admin signs in on the staff sign-in page, by email.
        email = os.environ.get("SOZU_ADMIN_EMAIL", f"{username}@localhost")
        user_model = get_user_model()
        if not user_model.objects.filter(username=username).exists():
            user_model.objects.create_superuser(username=username, email=email, password=password)
            self.note(f"Admin user “{username}” ({email}) created.")
        return user_model.objects.get(username=username).email or username

    def _demo(self, var_dir: Path) -> Demo | None:
        if not is_local_network(settings.NETWORK_PASSPHRASE):
            self.note("Not the local network: no demo organization (sozu createorg makes yours).")
            return None
        demo = demo_ensure(var_dir=var_dir, actor=operator())
        wallet = demo.organization.wallet_public_key
        if not demo.created and network.client().account(wallet) is None:
            self.note(
                f"Warning: the demo wallet {wallet} is not on this network (was "
                f"{var_dir / 'localnet'} deleted?). Delete the database to start over."
            )
        return demo

    def _banner(
        self, base: str, plan: NetworkPlan, var_dir: Path, admin: str | None, demo: Demo | None
    ) -> None:
        horizon = plan.horizon_url
        if plan.run_localnet:
            horizon += f"  (the local network; its ledger is in {var_dir / 'localnet'})"
        admin_note = f"(user “{admin}”)" if admin else "(set SOZU_ADMIN_PASSWORD to create a user)"
        self.say("")
        self.say("Sozu is running.")
        # A host name, not 127.0.0.1: browsers only allow passkeys on a domain (localhost is one).
        self.say(f"  Dashboard {base.replace('//127.0.0.1:', '//localhost:')}/")
        self.say(f"  API       {base}/api/v1/")
        self.say(f"  OpenAPI   {base}/api/v1/openapi.json")
        if settings.SOZU_ADMIN_PATH:
            self.say(f"  Admin     {base}/{settings.SOZU_ADMIN_PATH}  {admin_note}")
        self.say(f"  Horizon   {horizon}")
        self.say(f"  Data      {var_dir}")
        if demo is not None:
            org = demo.organization
            self.say("")
            self.say(
                f"Demo organization “{org.slug}”: wallet {org.wallet_public_key}, "
                f"{money(wallet_usdc_balance(org))} USDC."
            )
            if demo.api_key:
                self.say(f"Demo API key, shown this once (also in {demo.key_path}):")
                self.show_once(f"  {demo.api_key}")
            else:
                self.say(f"Demo API key: in {demo.key_path}")
            if demo.beneficiaries:
                b = demo.beneficiaries[0]
                key = shlex.quote(str(demo.key_path))
                self.say(
                    f"Pay {b.full_name} (a demo beneficiary) 25 USDC "
                    "(sent again with the same Idempotency-Key, it pays once):"
                )
                self.say(f"  curl -X POST {base}/api/v1/payouts \\")
                self.say(f'    -H "Authorization: Bearer $(cat {key})" \\')
                self.say(f'    -H "Idempotency-Key: demo-{secrets.token_hex(4)}" \\')
                self.say('    -H "Content-Type: application/json" \\')
                body = json.dumps({"destination": b.stellar_address, "amount": "25.00"})
                self.say(f"    -d '{body}'")
                self.say(f"  or: sozu payout {b.stellar_address} 25.00 --org {org.slug}")
        self.say("")
        self._staff_banner(base, var_dir, getattr(self, "_staff", []))
        self.say("")
        self.say("Ctrl-C stops everything.")
        self.stdout.flush()

    def _staff_banner(self, base: str, var_dir: Path, staff: list[DemoStaff]) -> None:
        """The demo staff accounts and what each needs to sign in (this machine only)."""
        if not staff:
            return
        self.say(
            "Demo staff of the dashboard (this machine only; also in "
            f"{var_dir / 'demo-staff.json'}):"
        )
        for person in staff:
            self.say(f"  {person.role:<9} {person.email}  password: {person.password}")
            if person.totp_secret:
                self.say(
                    f"            authenticator app secret: {person.totp_secret}  "
                    f"(or: sozu totp {person.email})"
                )
        self.stdout.flush()
