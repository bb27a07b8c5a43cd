"""/healthz while the served dataset is switched again and again, as a health checker sees it.

    python3 bench/switch.py [--duration S] [--repetitions N] [--database PATH] [--smoke]
                            [--reload-interval S] [--switch-every S] [--load-connections N] [--pause-ms MS]

Issue 23 asks that the work done at a version switch run off the event loop, so that `/healthz`
stays fast while it runs. This measures it from outside. It builds two versions of the data
beforehand, each once into its own file: the real source (or --database's file) and a copy of it
with one measure title's character changed (as tests/api/test_releases.py makes its second
version). It starts `policy-api serve` (one worker pinned to the server core, LOG_LEVEL warning,
RELOAD_INTERVAL 0.2 s) over a copy of the first, and then runs two phases, in an order that
rotates from one repetition to the next, each for --duration seconds:

  idle       the reference: /healthz probed one request after another, each on a new connection
             as a health check makes (hostile.py's probe_healthz), while varied traffic runs:
             bench/varied.lua's requests (a random unit, page size and offset) through
             bench/switch.lua, which paces them (--load-connections connections, each waiting
             --pause-ms between requests: a modest rate, not a saturated core) and tallies their
             statuses;
  switching  the same probes and the same load while a second process copies the other version
             next to the served file and renames it into place (as `policy-api build` does)
             every --switch-every seconds, alternating between the two.

Meanwhile a thread asks `/v1/measures?limit=1` every 20 ms and records meta.dataset_version: the
switches the server actually made (each must go to the other version). After the switching phase
the harness waits until the server serves the file in place, so that no switch spills into the
next phase.

It prints, per phase, /healthz's p50, p99 and max and its non-200 answers, the load's p50 and
p99 (wrk's), the statuses of the list requests (wrk's and the version poller's: a 503 there is a request refused during a switch),
the replacements made and the switches observed; then the medians of switching ÷ idle for p50
and p99, measured within each repetition. Timings are printed, never asserted.

Exit status: 0 when every switching phase observed a switch and /healthz always answered 200; 1
when no switch was observed, /healthz answered anything else, an unknown version was served or
the server failed; 3 when wrk or taskset is missing.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness as h  # noqa: E402
from hostile import Probes, probe_healthz  # noqa: E402

SCRIPT = h.BENCH / "switch.lua"
LOAD = "/v1/measures?unit={unit}&limit={limit}&offset={offset}"
POLL = "/v1/measures?limit=1"
POLL_EVERY = 0.02
DOCUMENTS = h.ROOT / "seed" / "documents"
# The second version: the first measure's title with one character changed.
EDIT = ("1.加大", "1.加強")
SWITCHER = h.BENCH / "switcher.py"  # the second process, which puts the two files in place in turn


class VersionWatch(threading.Thread):
    """Asks POLL every POLL_EVERY seconds, each on a new connection: the statuses, and the
    sequence of dataset versions served (a new entry each time it changes)."""

    def __init__(self, server: h.Server) -> None:
        super().__init__(daemon=True)
        self.server, self.stop = server, threading.Event()
        self.statuses: collections.Counter = collections.Counter()
        self.versions: list[str] = []

    def run(self) -> None:
        while not self.stop.wait(POLL_EVERY):
            try:
                reply = h.fetch(self.server.base + POLL, timeout=10)
            except OSError as error:  # refused, reset or timed out (URLError is one)
                self.statuses[type(error).__name__] += 1
                continue
            self.statuses[reply.status] += 1
            if reply.status == 200:
                version = json.loads(reply.body)["meta"]["dataset_version"]
                if not self.versions or self.versions[-1] != version:
                    self.versions.append(version)


class Load(threading.Thread):
    """The varied traffic of one phase: one wrk run through switch.lua, its statuses read back."""

    def __init__(self, server: h.Server, args: argparse.Namespace, units: Path, seed: int, statuses: Path) -> None:
        super().__init__(daemon=True)
        self.server, self.args, self.statuses_file = server, args, statuses
        self.script_args = [str(units), LOAD, str(seed), str(args.pause_ms), str(statuses)]
        self.result: h.WrkResult | None = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.result = h.wrk(
                self.server.base,
                self.args.duration,
                self.server.pid,
                connections=self.args.load_connections,
                script=SCRIPT,
                script_args=self.script_args,
                timeout=10,  # a slow answer counts in the tally, not as a dropped request
            )
        except (RuntimeError, OSError) as error:
            self.error = error

    def statuses(self) -> dict[str, int]:
        if self.error is not None:
            raise RuntimeError(f"the varied-traffic load failed: {self.error}")
        lines = self.statuses_file.read_text().split() if self.statuses_file.exists() else []
        tally = dict(zip(lines[::2], (int(n) for n in lines[1::2]), strict=True))
        if self.result is not None and self.result.socket_errors:
            tally["socket errors"] = self.result.socket_errors
        return tally


@dataclass
class Phase:
    name: str
    probes: Probes
    load: dict[str, int] = field(default_factory=dict)  # status -> count, of the varied traffic
    load_run: h.WrkResult | None = None  # its latencies
    polls: dict[str, int] = field(default_factory=dict)  # status -> count, of the version poller
    versions: list[str] = field(default_factory=list)
    replacements: int = 0

    @property
    def switches(self) -> int:
        return max(0, len(self.versions) - 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    h.add_run_arguments(
        parser,
        duration=10,
        repetitions=3,
        repetitions_help="repetitions of the two phases, on one server",
        smoke_help="2 s per phase, 1 repetition: checks that it runs and that switches are observed",
    )
    parser.add_argument("--reload-interval", type=float, default=0.2, help="the server's RELOAD_INTERVAL (default 0.2 s)")
    parser.add_argument("--switch-every", type=float, default=0.5, help="seconds between two replacements (default 0.5)")
    parser.add_argument("--load-connections", type=int, default=4, help="varied-traffic connections; 0: no load (default 4)")
    parser.add_argument("--pause-ms", type=int, default=10, help="each load connection's pause between requests (default 10 ms)")
    args = h.parse_run_arguments(parser, duration=2)
    return h.run_in_workdir(lambda workdir: run(args, workdir), "switch benchmark", prefix="policy-switch-")


def dataset_version(database: Path) -> str:
    return h.query(database, "select value from dataset_info where key = 'dataset_version'")[0][0]


def build_versions(given: Path | None, workdir: Path) -> tuple[Path, Path]:
    """The two versions' files: `given` (else the real source, built) and an edited source's build."""
    first = given.resolve() if given else workdir / "first" / "policy.sqlite3"
    if given is None:
        h.build_database(first)
    edited_folder = workdir / "edited-source"
    edited_folder.mkdir()
    sources, edited = [], False
    for document in sorted(DOCUMENTS.glob("*.txt")):
        text = document.read_text(encoding="utf-8")
        if not edited and EDIT[0] in text:  # once, in the first document that has it
            text, edited = text.replace(*EDIT, 1), True
        sources.append(edited_folder / document.name)
        sources[-1].write_text(text, encoding="utf-8")
    second = workdir / "second" / "policy.sqlite3"
    h.build_database(second, sources)
    if dataset_version(first) == dataset_version(second):
        raise RuntimeError(f"the edited source ({EDIT[0]!r} -> {EDIT[1]!r}) built the same dataset version")
    return first, second


def wait_serving(server: h.Server, version: str, timeout: float = 30) -> None:
    """Until POLL answers with `version` (the file in place), so that no switch spills into the next phase."""
    deadline = time.monotonic() + timeout
    while True:
        reply = h.fetch(server.base + POLL, timeout=10)
        if reply.status == 200 and json.loads(reply.body)["meta"]["dataset_version"] == version:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not serve {version} within {timeout:.0f} s:\n{server.log_tail()}")
        time.sleep(POLL_EVERY)


def run_phase(
    name: str, seed: int, server: h.Server, args: argparse.Namespace, workdir: Path, units: Path, switch: list[Path] | None
) -> Phase:
    """One phase: probes, load (varied.lua's sequence for `seed`) and version watch for --duration
    seconds; with `switch` (the two files, the first to be put in place first, and the served
    path), the switcher meanwhile."""
    tag = f"{seed}.{name}"
    watch = VersionWatch(server)
    load = Load(server, args, units, seed, statuses=workdir / f"statuses.{tag}.txt") if args.load_connections else None
    switcher = None
    if switch is not None:
        # A child the harness kills on any exit, like its servers; it listens on no port.
        command = [sys.executable, str(SWITCHER), *(str(path) for path in switch), str(args.switch_every)]
        switcher = h.Server("switcher", 0, command, dict(os.environ), workdir / f"switcher.{tag}.log")
    watch.start()
    if load:
        load.start()
    try:
        probes = probe_healthz(server, args.duration)
    finally:
        if switcher is not None:
            switcher.stop()
        if load:
            load.join()
        watch.stop.set()
        watch.join()
    phase = Phase(name, probes, load.statuses() if load else {}, load.result if load else None)
    phase.polls, phase.versions = {str(k): v for k, v in watch.statuses.items()}, watch.versions
    if switcher is not None:
        phase.replacements = sum(line.startswith("replacement ") for line in switcher.log.read_text().splitlines())
    if server.proc.poll() is not None:
        raise RuntimeError(f"the server exited with {server.proc.returncode}:\n{server.log_tail()}")
    return phase


def run(args: argparse.Namespace, workdir: Path) -> int:
    started = time.monotonic()
    first, second = build_versions(args.database, workdir)
    versions = {dataset_version(first): first, dataset_version(second): second}
    print(f"built both versions in {time.monotonic() - started:.1f} s: {', '.join(versions)}")
    served = workdir / "served" / "policy.sqlite3"
    served.parent.mkdir()
    shutil.copyfile(first, served)
    units = workdir / "units.txt"
    units.write_text("".join(f"{unit}\n" for (unit,) in h.query(first, "select id from units order by id")))

    env = {"DATABASE_URL": f"sqlite:///{served}", "LOG_LEVEL": "warning", "RELOAD_INTERVAL": str(args.reload_interval)}
    server = h.spawn("ours", [sys.executable, "-m", "api.cli", "serve", "--port", "{port}"], workdir, env)
    h.wait_ok(server, "/readyz")
    print(f"machine: {h.machine()}; load average {load_average()}")
    print(
        f"versions: {', '.join(f'{k} {v}' for k, v in h.versions().items() if k in ('python', 'fastapi', 'starlette', 'uvicorn (ours)'))}"
    )
    load = (
        f"wrk -t1 -c{args.load_connections}, each connection pausing {args.pause_ms} ms between requests (bench/switch.lua)"
        if args.load_connections
        else "none"
    )
    print(
        f"RELOAD_INTERVAL {args.reload_interval} s; a replacement every {args.switch_every} s while switching; "
        f"{args.duration:g} s per phase, {args.repetitions} repetition(s); varied-traffic load: {load}"
    )
    print()
    print(
        "| run | phase | /healthz probes | p50 ms | p99 ms | max ms | /healthz non-200 | load p50 ms | load p99 ms | list statuses (load) | list statuses (poller) | replacements | switches observed |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|")
    failures: list[str] = []
    ratios: dict[str, list[float]] = {"p50_ms": [], "p99_ms": []}
    for repetition in range(1, args.repetitions + 1):
        phases: dict[str, Phase] = {}
        order = ("idle", "switching") if repetition % 2 else ("switching", "idle")
        for number, name in enumerate(order):
            in_place = versions[dataset_version(served)]
            switch = [second if in_place == first else first, in_place, served] if name == "switching" else None
            phase = phases[name] = run_phase(name, 2 * repetition + number, server, args, workdir, units, switch)
            wait_serving(server, dataset_version(served))
            print_phase(repetition, phase)
            failures += check(phase, set(versions))
        idle, switching = (phases[name].probes.summary() for name in ("idle", "switching"))
        for key, values in ratios.items():
            if idle[key] and switching[key] is not None:
                values.append(switching[key] / idle[key])
    print()
    for key, values in ratios.items():
        if values:
            print(
                f"/healthz {key.removesuffix('_ms')}, switching ÷ idle: median {h.median(values):.2f} ({min(values):.2f} to {max(values):.2f})"
            )
    print(f"load average at the end: {load_average()}")
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


def check(phase: Phase, known: set[str]) -> list[str]:
    """What makes the run a failure (timings never do)."""
    failures = []
    if phase.probes.summary()["non_200"]:
        failures.append(f"{phase.name}: /healthz answered {dict(phase.probes.statuses)}")
    if unknown := set(phase.versions) - known:
        failures.append(f"{phase.name}: served versions that were never built: {unknown}")
    if phase.name == "switching" and not phase.switches:
        failures.append(f"switching: no switch observed in {phase.replacements} replacement(s)")
    if phase.name == "idle" and phase.switches:
        failures.append(f"idle: {phase.switches} switch(es) observed with nothing replaced")
    return failures


def print_phase(repetition: int, phase: Phase) -> None:
    s = phase.probes.summary()
    cells = [
        str(repetition),
        phase.name,
        f"{s['probes']:,}",
        f"{s['p50_ms']}",
        f"{s['p99_ms']}",
        f"{s['max_ms']}",
        str(s["non_200"]),
        f"{phase.load_run.p50_ms:.2f}" if phase.load_run else "-",
        f"{phase.load_run.p99_ms:.2f}" if phase.load_run else "-",
        tally(phase.load),
        tally(phase.polls),
        str(phase.replacements),
        str(phase.switches),
    ]
    print(f"| {' | '.join(cells)} |", flush=True)


def tally(statuses: dict[str, int]) -> str:
    return ", ".join(f"{status}: {count:,}" for status, count in sorted(statuses.items())) or "-"


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
