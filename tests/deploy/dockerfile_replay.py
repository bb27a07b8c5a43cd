"""Read the project's Dockerfile and replay its build on this machine, without a Docker engine.

`Dockerfile.parse` reads the real file with `dockerfile-parse` and splits it into stages, so the
tests follow whatever the file says rather than a copy of its steps. `Replay` then plays each
stage into a directory that stands for the container's filesystem:

- every absolute container path the file writes to (`/app`, from WORKDIR and COPY) is mapped into
  `<workspace>/root`, in ENV values, RUN commands, CMD and HEALTHCHECK alike, so a venv created at
  `/app/.venv` lives at `<workspace>/root/app/.venv` and keeps working once a later stage copies it
  to the same place, as in the image;
- each stage starts from an empty root (or from the stage it is built `FROM`); when a stage ends its
  root is set aside, and `COPY --from=<stage>` copies out of it. Set-aside roots are deleted once the
  last stage is done, so the final root holds only what the final stage copied;
- the "base image" is this machine's Python: a `bin/` holding only `python`, `python3` and
  `python3.X` links to the interpreter running the tests, then `/usr/bin:/bin` for the shell tools;
- COPY from the build context honours `.dockerignore` (Docker's pattern rules);
- RUN runs in the stage's shell with the stage's ENV and WORKDIR. Creating the image's user (groupadd,
  useradd...) is not replayed (it would change this machine); installing system packages is refused
  with a `ReplayError` rather than run here.

What the replay does not do: switch to USER (the tests run as whoever runs them), apply --chown or
--chmod, pull any image. Everything that it cannot replay faithfully raises `ReplayError`.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockerfile_parse import DockerfileParser
from dockerfile_parse.util import WordSplitter, extract_key_values

DEFAULT_SHELL = ["/bin/sh", "-c"]
# Where the replay must never write: a Dockerfile copying into these cannot be replayed here.
SYSTEM_DIRS = frozenset(
    {"bin", "boot", "dev", "etc", "home", "lib", "lib32", "lib64", "proc", "root", "run", "sbin", "sys", "tmp", "usr", "var"}
)
# Environment variables taken from this machine into every step: how to reach the package index.
PASSTHROUGH_ENV = re.compile(
    r"^(HOME|TMPDIR|TZ|PIP_\w+|(?i:https?_proxy|no_proxy|all_proxy)|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE"
    r"|XDG_CACHE_HOME|XDG_CONFIG_HOME)$"
)
USER_SETUP_COMMANDS = frozenset({"groupadd", "useradd", "addgroup", "adduser", "usermod", "groupmod"})
SYSTEM_PACKAGE_COMMANDS = frozenset({"apt-get", "apt", "dpkg", "apk", "yum", "dnf", "microdnf", "rpm"})


class ReplayError(Exception):
    """The Dockerfile asks for something the replay cannot do faithfully, or a step failed."""


@dataclass(frozen=True)
class Instruction:
    name: str  # upper case: FROM, RUN, COPY...
    value: str  # continuation lines joined
    line: int  # 1-based, where the instruction starts

    def __str__(self) -> str:
        return f"Dockerfile:{self.line}: {self.name} {self.value}"


@dataclass
class Stage:
    index: int
    base: str  # image reference or earlier stage name, as written
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, name: str) -> list[Instruction]:
        return [instruction for instruction in self.instructions if instruction.name == name]

    def last(self, name: str) -> Instruction | None:
        found = self.all(name)
        return found[-1] if found else None


@dataclass(frozen=True)
class Healthcheck:
    options: dict[str, str]  # interval, timeout, start-period, retries...
    argv: list[str] | None  # None for HEALTHCHECK NONE

    def seconds(self, option: str, default: float) -> float:
        return parse_duration(self.options[option]) if option in self.options else default


@dataclass
class Dockerfile:
    path: Path
    stages: list[Stage]
    global_args: dict[str, str]

    @classmethod
    def parse(cls, path: Path) -> Dockerfile:
        parser = DockerfileParser(path=str(path), env_replace=False)
        stages: list[Stage] = []
        global_args: dict[str, str] = {}
        for item in parser.structure:
            instruction = Instruction(item["instruction"].upper(), item["value"], item["startline"] + 1)
            if instruction.name == "COMMENT":
                continue
            if instruction.name == "FROM":
                words = instruction.value.split()
                words = [word for word in words if not word.startswith("--")]  # --platform=...
                name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
                base = WordSplitter(words[0], args=global_args, envs={}).dequote()
                stages.append(Stage(len(stages), base, name))
            elif not stages:
                if instruction.name != "ARG":
                    raise ReplayError(f"{instruction}: only ARG may come before the first FROM")
                global_args.update(_key_values(instruction.value, {}, {}, default_missing=True))
            else:
                stages[-1].instructions.append(instruction)
        if not stages:
            raise ReplayError(f"{path}: no FROM")
        return cls(path, stages, global_args)

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def find_stage(self, reference: str, before: int) -> Stage | None:
        """The earlier stage named (or numbered) `reference`, or None for an external image."""
        for stage in self.stages[:before]:
            if reference == stage.name or reference == str(stage.index):
                return stage
        return None

    def external_bases(self) -> list[str]:
        return [stage.base for stage in self.stages if self.find_stage(stage.base, stage.index) is None]

    def healthcheck(self) -> Healthcheck | None:
        instruction = self.final.last("HEALTHCHECK")
        if instruction is None:
            return None
        match = re.fullmatch(r"((?:--[\w-]+=\S+\s+)*)(CMD|NONE)\b\s*(.*)", instruction.value.strip(), re.S | re.I)
        if not match:
            raise ReplayError(f"{instruction}: cannot read")
        options = dict(option[2:].split("=", 1) for option in match.group(1).split())
        if match.group(2).upper() == "NONE":
            return Healthcheck(options, None)
        return Healthcheck(options, command_argv(match.group(3), self.shell(self.final)))

    def shell(self, stage: Stage, upto: int | None = None) -> list[str]:
        shell = DEFAULT_SHELL
        for instruction in stage.instructions[:upto]:
            if instruction.name == "SHELL":
                shell = json.loads(instruction.value)
        return shell

    def start_command(self) -> list[str]:
        """ENTRYPOINT + CMD of the final stage, as Docker combines them (paths not mapped)."""
        stage = self.final
        shell = self.shell(stage)
        entrypoint = stage.last("ENTRYPOINT")
        cmd = stage.last("CMD")
        argv = command_argv(entrypoint.value, shell) if entrypoint else []
        if cmd and (entrypoint is None or exec_form(entrypoint.value) is not None):
            argv += command_argv(cmd.value, shell)
        if not argv:
            raise ReplayError("the final stage has neither CMD nor ENTRYPOINT")
        return argv


def exec_form(value: str) -> list[str] | None:
    """The JSON (exec) form of CMD/ENTRYPOINT/RUN/SHELL, or None for the shell form."""
    if not value.lstrip().startswith("["):
        return None
    try:
        argv = json.loads(value)
    except json.JSONDecodeError:
        return None  # Docker runs malformed JSON through the shell too
    return argv if isinstance(argv, list) and all(isinstance(arg, str) for arg in argv) else None


def command_argv(value: str, shell: list[str]) -> list[str]:
    argv = exec_form(value)
    return argv if argv is not None else [*shell, value]


def parse_duration(text: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        raise ReplayError(f"not a duration: {text!r}")
    return sum(float(number) * units[unit] for number, unit in parts)


def _key_values(value: str, args: Mapping[str, str], envs: Mapping[str, str], default_missing: bool = False) -> list[tuple[str, str]]:
    if default_missing and "=" not in value:  # ARG NAME without a default
        return [(value.strip(), "")]
    return extract_key_values(True, dict(args), dict(envs), value)


class DockerIgnore:
    """`.dockerignore` with Docker's rules (moby/patternmatcher): last matching pattern wins, `!`
    re-includes, `*` and `?` stop at `/`, `**` spans directories, and a pattern that matches a
    directory excludes everything under it."""

    def __init__(self, lines: list[str]) -> None:
        self.patterns: list[tuple[bool, re.Pattern[str]]] = []
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            pattern = os.path.normpath(line[1:].strip() if negated else line).lstrip("/")
            self.patterns.append((negated, re.compile(_glob_regex(pattern))))

    @classmethod
    def read(cls, context: Path) -> DockerIgnore:
        path = context / ".dockerignore"
        return cls(path.read_text(encoding="utf-8").splitlines() if path.exists() else [])

    @property
    def has_exceptions(self) -> bool:
        return any(negated for negated, _ in self.patterns)

    def excluded(self, relative: str) -> bool:
        parts = Path(relative).parts
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        excluded = False
        for negated, regex in self.patterns:
            if any(regex.fullmatch(candidate) for candidate in candidates):
                excluded = not negated
        return excluded


def _glob_regex(pattern: str) -> str:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end == -1:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end]
                out.append("[" + ("^" + body[1:] if body.startswith("^") else body) + "]")
                i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)


@dataclass
class Runtime:
    """What the final stage leaves: its filesystem and how the image starts."""

    root: Path
    env: dict[str, str]
    workdir: Path
    user: str | None
    argv: list[str]
    healthcheck: Healthcheck | None
    notes: list[str]  # what was not replayed, and why


class Replay:
    """Play a Dockerfile's stages into `workspace`; `run()` returns the final stage's `Runtime`."""

    def __init__(
        self,
        dockerfile: Dockerfile,
        context: Path,
        workspace: Path,
        *,
        env_overrides: Mapping[str, str | None] | None = None,
        python: str | None = None,
        timeout: float = 300,
        log: Path | None = None,
    ) -> None:
        self.dockerfile = dockerfile
        self.context = context
        self.workspace = workspace
        self.root = workspace / "root"
        self.env_overrides = dict(env_overrides or {})
        self.python = python or os.path.realpath(getattr(sys, "_base_executable", sys.executable))
        self.deadline = time.monotonic() + timeout
        self.log = log or workspace / "replay.log"
        self.ignore = DockerIgnore.read(context)
        self.roots = self._container_roots()
        self.notes: list[str] = []
        self._states: dict[int, tuple[dict[str, str], str]] = {}  # each stage's ENV and WORKDIR at its end

    # -- paths ---------------------------------------------------------------------------------

    def _container_roots(self) -> frozenset[str]:
        """The top-level container directories the file writes to: they are mapped into the root."""
        roots: set[str] = set()
        for stage in self.dockerfile.stages:
            workdir = "/"
            for instruction in stage.instructions:
                paths: list[str] = []
                if instruction.name == "WORKDIR":
                    workdir = os.path.join(workdir, instruction.value.strip())
                    paths.append(workdir)
                elif instruction.name in {"COPY", "ADD"}:
                    flags, words = _copy_words(instruction, {}, {})
                    paths.append(os.path.join(workdir, words[-1]))
                    if "from" in flags:
                        paths += [os.path.join("/", word) for word in words[:-1]]
                for path in paths:
                    top = Path(os.path.normpath(path)).parts[1:2]
                    if top and "$" not in top[0]:
                        roots.add(top[0])
        if bad := roots & SYSTEM_DIRS:
            raise ReplayError(f"the Dockerfile writes into system directories {sorted(bad)}: the replay cannot map them")
        return frozenset(roots)

    def map_path(self, container_path: str) -> Path:
        return self.root / os.path.normpath(container_path).lstrip("/")

    def map_text(self, text: str) -> str:
        """`/app/.venv/bin` -> `<root>/app/.venv/bin` wherever a mapped directory starts a path, as in
        `sqlite:////app/var/x` or `PATH="/app/.venv/bin:$PATH"`; `/usr/app` and `./app` are left alone."""
        if not self.roots:
            return text
        alternatives = "|".join(re.escape(name) for name in sorted(self.roots, key=len, reverse=True))
        return re.sub(rf"(?<![\w.$-])/(?:{alternatives})(?![\w.-])", lambda match: f"{self.root}{match.group(0)}", text)

    # -- the base image --------------------------------------------------------------------------

    def _base_env(self) -> dict[str, str]:
        bin_dir = self.workspace / "base" / "bin"
        if not bin_dir.exists():
            bin_dir.mkdir(parents=True)
            major, minor = sys.version_info[:2]
            for name in ("python", "python3", f"python{major}.{minor}"):
                (bin_dir / name).symlink_to(self.python)
        env = {key: value for key, value in os.environ.items() if PASSTHROUGH_ENV.match(key)}
        env.update(
            PATH=os.pathsep.join([str(bin_dir), "/usr/local/sbin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]),
            LANG="C.UTF-8",
            PYTHON_VERSION=platform.python_version(),
        )
        return env

    def _apply_overrides(self, env: dict[str, str]) -> dict[str, str]:
        env = dict(env)
        for key, value in self.env_overrides.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    # -- the replay ------------------------------------------------------------------------------

    def run(self) -> Runtime:
        stages_dir = self.workspace / "stages"
        stages_dir.mkdir(parents=True, exist_ok=True)
        self.log.write_text("", encoding="utf-8")
        env: dict[str, str] = {}
        workdir = "/"
        for stage in self.dockerfile.stages:
            if self.root.exists():
                self.root.rename(stages_dir / str(stage.index - 1))
            parent = self.dockerfile.find_stage(stage.base, stage.index)
            if parent is not None:
                shutil.copytree(stages_dir / str(parent.index), self.root, symlinks=True)
                env, workdir = self._states[parent.index]
            else:
                self.root.mkdir(parents=True)
                env, workdir = self._base_env(), "/"
            args: dict[str, str] = {}  # global ARGs reach a stage only when it declares them again
            for position, instruction in enumerate(stage.instructions):
                env, workdir = self._step(stage, position, instruction, env, workdir, args)
            self._states[stage.index] = (env, workdir)
        shutil.rmtree(stages_dir)

        final = self.dockerfile.final
        user = final.last("USER")
        healthcheck = self.dockerfile.healthcheck()
        if healthcheck and healthcheck.argv:
            healthcheck = Healthcheck(healthcheck.options, [self.map_text(arg) for arg in healthcheck.argv])
        return Runtime(
            root=self.root,
            env=env,
            workdir=self.map_path(workdir),
            user=user.value.strip() if user else None,
            argv=[self.map_text(arg) for arg in self.dockerfile.start_command()],
            healthcheck=healthcheck,
            notes=self.notes,
        )

    def _step(
        self, stage: Stage, position: int, instruction: Instruction, env: dict[str, str], workdir: str, args: dict[str, str]
    ) -> tuple[dict[str, str], str]:
        name = instruction.name
        if name == "ENV":
            env = dict(env)
            env.update(_key_values(self.map_text(instruction.value), args, env))
        elif name == "ARG":
            for key, value in _key_values(instruction.value, args, env, default_missing=True):
                args[key] = value or self.dockerfile.global_args.get(key, "")
        elif name == "WORKDIR":
            value = WordSplitter(instruction.value.strip(), args=args, envs=env).dequote()
            workdir = os.path.normpath(os.path.join(workdir, value))
            self.map_path(workdir).mkdir(parents=True, exist_ok=True)
        elif name in {"COPY", "ADD"}:
            self._copy(stage, instruction, env, workdir, args)
        elif name == "RUN":
            self._run(stage, position, instruction, env, workdir, args)
        elif name in {"USER", "EXPOSE", "LABEL", "HEALTHCHECK", "CMD", "ENTRYPOINT", "SHELL", "STOPSIGNAL", "VOLUME"}:
            pass  # read from the parsed file when needed; nothing to do at build time
        else:
            raise ReplayError(f"{instruction}: the replay does not know this instruction")
        return env, workdir

    def _run(self, stage: Stage, position: int, instruction: Instruction, env: dict[str, str], workdir: str, args: dict[str, str]) -> None:
        commands = [part.split()[0] for part in re.split(r"&&|\|\||;|\||\n", instruction.value) if part.split()]
        words = {os.path.basename(command) for command in commands}
        if words & SYSTEM_PACKAGE_COMMANDS:
            raise ReplayError(f"{instruction}: the replay does not install system packages on this machine")
        if words & USER_SETUP_COMMANDS:
            if words - USER_SETUP_COMMANDS:
                raise ReplayError(f"{instruction}: keep creating the user in a RUN of its own, so the replay can leave it out")
            self.notes.append(f"not replayed (creates the image's user): {instruction}")
            return
        argv = exec_form(instruction.value)
        if argv is None:
            argv = [*self.dockerfile.shell(stage, position), self.map_text(instruction.value)]
        else:
            argv = [self.map_text(arg) for arg in argv]
        step_env = self._apply_overrides({**args, **env})
        self._execute(instruction, argv, self.map_path(workdir), step_env)

    def _execute(self, instruction: Instruction, argv: list[str], cwd: Path, env: dict[str, str]) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise ReplayError(f"{instruction}: out of time before this step")
        with self.log.open("a", encoding="utf-8") as log:
            log.write(f"\n$ {shlex.join(argv)}   # {instruction}\n")
            log.flush()
            try:
                result = subprocess.run(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=remaining, check=False)
            except subprocess.TimeoutExpired as error:
                raise ReplayError(f"{instruction}: timed out\n{tail(self.log)}") from error
        if result.returncode != 0:
            raise ReplayError(f"{instruction}: exit {result.returncode}\n{tail(self.log)}")

    def _copy(self, stage: Stage, instruction: Instruction, env: dict[str, str], workdir: str, args: dict[str, str]) -> None:
        flags, words = _copy_words(instruction, args, env)
        if len(words) < 2:
            raise ReplayError(f"{instruction}: expected sources and a destination")
        if instruction.name == "ADD" and any(re.match(r"^\w+://|^git@", word) for word in words[:-1]):
            raise ReplayError(f"{instruction}: the replay does not download")
        if unknown := set(flags) - {"from", "chown", "chmod", "link"}:
            raise ReplayError(f"{instruction}: the replay does not know --{', --'.join(sorted(unknown))}")
        *sources, destination = words
        target = self.map_path(os.path.join(workdir, destination))
        into_directory = destination.endswith("/") or len(sources) > 1

        if "from" in flags:
            source_stage = self.dockerfile.find_stage(flags["from"], stage.index)
            if source_stage is None:
                raise ReplayError(f"{instruction}: --from={flags['from']} is an image, not a stage of this file")
            base = self.workspace / "stages" / str(source_stage.index)
            ignore = None
            patterns = [os.path.normpath(os.path.join("/", source)).lstrip("/") for source in sources]
        else:
            base = self.context
            ignore = self.ignore
            patterns = [os.path.normpath(source).lstrip("/") for source in sources]

        for pattern in patterns:
            matches = sorted(base.glob(pattern)) if pattern not in {"", "."} else [base]
            if ignore is not None:
                matches = [match for match in matches if match == base or not ignore.excluded(match.relative_to(base).as_posix())]
            if not matches:
                raise ReplayError(f"{instruction}: {pattern!r} not found (or excluded by .dockerignore)")
            for match in matches:
                relative = "" if match == base else match.relative_to(base).as_posix()
                if match.is_dir() and not match.is_symlink():
                    _copy_tree(match, target, relative, ignore)
                else:
                    destination_file = target / match.name if into_directory or target.is_dir() else target
                    destination_file.parent.mkdir(parents=True, exist_ok=True)
                    _copy_entry(match, destination_file)


def _copy_words(instruction: Instruction, args: Mapping[str, str], env: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    flags: dict[str, str] = {}
    rest = instruction.value.strip()
    while match := re.match(r"--([\w-]+)(?:=(\S*))?\s+", rest):
        flags[match.group(1)] = match.group(2) or ""
        rest = rest[match.end() :]
    words = exec_form(rest)
    if words is None:
        words = list(WordSplitter(rest, args=dict(args), envs=dict(env)).split())
    return flags, words


def _copy_tree(source: Path, target: Path, relative: str, ignore: DockerIgnore | None) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir()):
        entry_relative = f"{relative}/{entry.name}" if relative else entry.name
        if ignore is not None and ignore.excluded(entry_relative):
            if entry.is_dir() and not ignore.has_exceptions:
                continue
            if not entry.is_dir():
                continue
        if entry.is_dir() and not entry.is_symlink():
            _copy_tree(entry, target / entry.name, entry_relative, ignore)
        else:
            _copy_entry(entry, target / entry.name)


def _copy_entry(source: Path, target: Path) -> None:
    if target.is_symlink() or target.is_file():
        target.unlink()
    if source.is_symlink():
        target.symlink_to(os.readlink(source))
    else:
        shutil.copy2(source, target)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every file, directory and link under `root`: (mode, size, mtime_ns), to see what a run wrote."""
    state: dict[str, tuple[int, int, int]] = {}
    for directory, directories, files in os.walk(root):
        for name in [*directories, *files]:
            path = os.path.join(directory, name)
            stat = os.lstat(path)
            state[os.path.relpath(path, root)] = (stat.st_mode, stat.st_size if not os.path.isdir(path) else 0, stat.st_mtime_ns)
    return state


def diff_snapshots(before: Mapping[str, tuple[int, int, int]], after: Mapping[str, tuple[int, int, int]]) -> Iterator[str]:
    for path in sorted(set(before) | set(after)):
        if path not in before:
            yield f"created {path}"
        elif path not in after:
            yield f"deleted {path}"
        elif before[path] != after[path]:
            yield f"changed {path}"
