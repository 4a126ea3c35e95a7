"""The soak: the scaled-out stack under Locust for a while, with faults, then the checks.

Run by ``make loadtest`` (``LOADTEST_MINUTES``, default 15) inside scripts/with-postgres
(a private server) and scripts/with-services (Redis, S3). It provisions the accounts
(``manage.py tier`` and ``create_user``, as an operator would), starts the stack
(loadtest/stack.py), runs Locust headless (loadtest/locustfile.py) and, at set fractions
of the run, injects each fault once and changes one account's tier:

    0.15  memory sample "after warm-up"
    0.20  SIGKILL the Celery worker (and its pool); a new one is started
    0.30  the Shifter's account moves Premium -> Basic
    0.40  SIGKILL one gunicorn worker; gunicorn's arbiter starts another
    0.55  restart Redis (SHUTDOWN NOSAVE, then a new server on the same port)
    0.62  the Shifter's account moves Basic -> Enterprise
    0.75  SIGSTOP PostgreSQL for 5 s, then SIGCONT

Afterwards it checks and reports (loadtest/checks.py) and exits 1 when a correctness
check failed, never because of a timing. Everything it wrote is in ``--out``
(artifacts/loadtest/): the journals, Locust's CSV, the servers' logs, report.txt.
"""

import argparse
import json
import os
import secrets
import shutil
import sys
import time
from pathlib import Path

from loadtest import checks
from loadtest.faults import Fault
from loadtest.stack import Stack, app_env
from tests.live_server import BIN, ROOT, Process

SLOT_LIMIT = 12
ACCOUNTS = {  # pool: (how many, tier)
    "Basic": (4, "Basic"),
    "Premium": (3, "Premium"),
    "Enterprise": (2, "Enterprise"),
    "slot": (1, "LoadSlot"),
    "racer": (1, "Enterprise"),
    "shifter": (1, "Premium"),
    "edge": (1, "Enterprise"),
}
USERS = 17  # 10 weighted (Basic 5 : Premium 3 : Enterprise 2) + 7 fixed (see the locustfile)


def provision(stack_env: dict[str, str], out: Path) -> dict:
    """Migrate, create the LoadSlot tier and every account.

    No collectstatic: the users ask for no static file (nginx's /static/ serves an empty
    folder), and with brotli installed (a Locust dependency) WhiteNoise would spend a
    minute compressing Swagger UI and ReDoc.
    """
    accounts: dict = {"all": [], "tiers": {}, "slot_limit": SLOT_LIMIT, "shifter_tier": "Premium"}
    commands = [
        ["migrate", "--no-input", "--verbosity", "0"],
        ["bootstrap"],
        ["tier", "LoadSlot", "--heights", "200", "--max-images", str(SLOT_LIMIT)],
        ["tier", "LoadSlot", "--uploads-per-hour", "none"],
    ]
    for pool, (count, tier) in ACCOUNTS.items():
        accounts[pool] = []
        for n in range(count):
            username = f"{pool.lower()}-{n}"
            password = secrets.token_urlsafe(18)
            commands.append(["create_user", username, f"--password={password}", f"--tier={tier}"])
            accounts[pool].append([username, password])
            accounts["all"].append([username, password])
            accounts["tiers"][username] = tier
    Stack(out, stack_env).manage(*commands)
    (out / "accounts.json").write_text(json.dumps(accounts, indent=1))
    return accounts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__.split("\n")[0])
    minutes = float(os.environ.get("LOADTEST_MINUTES", 15))
    parser.add_argument("--minutes", type=float, default=minutes)
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "loadtest")
    args = parser.parse_args(argv)
    out: Path = args.out.resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    seconds = args.minutes * 60
    report = checks.Report()

    env = app_env(out)
    report.say(f"== Preparing the database and {sum(c for c, _ in ACCOUNTS.values())} accounts")
    accounts = provision(env, out)
    stack = Stack(out, env)
    faults: list[Fault] = []
    samples: list[dict] = []
    unplanned: list[dict] = []  # the Celery worker exiting without being killed
    try:
        stack.start()
        report.say(
            f"== Stack up: nginx {stack.base} -> gunicorn ({stack.processes['web'].pid}, "
            f"2 workers); Celery worker; Redis :{stack.redis_port}; PostgreSQL (private); S3"
        )

        def change_tier(tier: str) -> None:
            username = accounts["shifter"][0][0]
            change = {"user": username, "tier": tier, "began": time.time()}
            with open(out / "tiers.jsonl", "a") as journal:
                journal.write(json.dumps(change) + "\n")
            stack.manage(["create_user", username, "--tier", tier])
            accounts["tiers"][username] = tier
            with open(out / "tiers.jsonl", "a") as journal:
                journal.write(json.dumps({**change, "done": time.time()}) + "\n")
            report.say(f"   {username} moved to {tier}")

        plan = [
            (0.20, "SIGKILL the Celery worker", lambda: faults.append(stack.kill_worker())),
            (0.30, "tier change Premium -> Basic", lambda: change_tier("Basic")),
            (0.40, "SIGKILL a gunicorn worker", lambda: faults.append(stack.kill_web_worker())),
            (0.55, "restart Redis", lambda: faults.append(stack.restart_redis())),
            (0.62, "tier change Basic -> Enterprise", lambda: change_tier("Enterprise")),
            (0.75, "SIGSTOP PostgreSQL 5 s", lambda: faults.append(stack.pause_postgres(5))),
        ]
        locust = Process(
            "locust",
            [
                str(BIN / "locust"),
                *("-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless"),
                *("--users", str(args.users), "--spawn-rate", "4"),
                *("--run-time", f"{round(seconds)}s", "--stop-timeout", "30"),
                *("--host", stack.base, "--csv", str(out / "locust"), "--only-summary"),
                *("--loglevel", "WARNING"),
            ],
            out / "locust.log",
            {**os.environ, "LOADTEST_OUT": str(out), "PYTHONPATH": str(ROOT)},
        )
        report.say(f"== Locust: {args.users} users for {args.minutes:g} min")
        start = time.time()
        warm_up = start + 0.15 * seconds
        next_sample = start
        with locust:
            while locust.alive():
                now = time.time()
                if now >= next_sample:
                    samples.append(stack.rss())
                    next_sample = now + 10
                exited = stack.restart_exited_worker()
                if exited:
                    unplanned.append(exited)
                    report.say(f"!! {now - start:6.1f} s: the Celery worker exited by itself: ")
                    report.say(f"   {exited['why']}; restarted after {exited['restarted_after']} s")
                if plan and now >= start + plan[0][0] * seconds:
                    fraction, what, action = plan.pop(0)
                    report.say(f"-- {now - start:6.1f} s ({fraction:.2f}): {what}")
                    action()
                    if faults and what.startswith(("SIGKILL", "restart", "SIGSTOP")):
                        f = faults[-1]
                        report.say(f"   recovered after {f.end - f.start:.1f} s ({f.note})")
                time.sleep(0.5)
            samples.append(stack.rss())
        report.say(f"== Locust finished after {time.time() - start:.0f} s")
        with open(out / "rss.jsonl", "w") as journal:
            journal.writelines(json.dumps(s) + "\n" for s in samples)
        with open(out / "faults.jsonl", "w") as journal:
            journal.writelines(json.dumps(f.__dict__) + "\n" for f in faults)

        # Let the worker finish what is queued, so the listings and the bucket are final.
        broker = stack.redis(1)
        for _ in range(120):
            if broker.llen("celery") == 0:
                break
            time.sleep(1)
        time.sleep(16)  # past API_CACHE_SECONDS

        checks.report_unplanned(unplanned, report)
        checks.report_redis(stack, report)
        checks.check_requests(out, faults, report)
        checks.check_violations(out, report)
        checks.check_listings(stack, accounts, report)
        checks.check_orphans(stack, faults, report)
        checks.check_originals(stack, accounts, report)
        checks.report_latency(out, report)
        checks.report_memory(samples, warm_up, report)
    finally:
        stack.close()
    report.section("Result")
    if report.failures:
        report.say(f"{len(report.failures)} correctness check(s) failed")
    else:
        report.say("every correctness check passed")
    (out / "report.txt").write_text("\n".join(report.lines) + "\n")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
