"""The fault suite: the command line run as a subprocess against hostile outputs, inputs and signals.

Every case asserts the exit code, the diagnostic, and that every file that existed before the
run is byte-identical afterwards (or, for the output, wholly the new output).  Cases run on the
small spec bundle (``tests/fixtures``).  Device nodes need root (skipped otherwise); a full or
read-only filesystem is a small tmpfs when ``mount`` works, else an injected ``OSError``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import random
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "engine"
FIX = ROOT / "tests" / "fixtures"
POLICY = str(FIX / "spec_example.cred")
DATA = FIX / "hand_bundle"
BASE = ["evaluate", "--policy", POLICY, "--as-of", "2016-04-01"]
IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="device nodes and mounts need root")

MAIN = "import sys; from credential.cli import main; sys.argv[0] = 'credential'; main()"

# The command line with a slowed writer (blocks of 20 records, 20 ms each) that says when it
# starts writing: for killing at a point of a long write.
SLOW = """
import sys, time
import credential.output.batch as batch
import credential.output.render as output
batch.BLOCK_ROWS = 20
real = output.render_chunks
def slow(*args, **kwargs):
    for i, chunk in enumerate(real(*args, **kwargs)):
        if i == 0:
            print("WRITING", file=sys.stderr, flush=True)
        time.sleep(0.02)
        yield chunk
output.render_chunks = slow
from credential.cli import main
sys.argv[0] = "credential"
main()
"""

# The command line with a failing filesystem call (an injected OSError).
INJECT = """
import errno, os, sys
code = getattr(errno, sys.argv.pop(1))
name = sys.argv.pop(1)
real = getattr(os, name)
def failing(*args, **kwargs):
    raise OSError(code, os.strerror(code))
setattr(os, name, failing)
from credential.cli import main
sys.argv[0] = "credential"
main()
"""


def run(
    *args: str,
    code: str = MAIN,
    data: Path | None = DATA,
    umask: int | None = None,
    stdout: int | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
    **kw: object,
) -> subprocess.CompletedProcess[bytes]:
    argv = list(args)
    verb = next((i for i, a in enumerate(argv) if a in ("evaluate", "validate", "explain")), None)
    if data is not None and verb is not None:
        argv[verb + 1 : verb + 1] = ["--data", str(data)]
    env = {**os.environ, "PYTHONPATH": str(ENGINE)}
    env.pop("CREDENTIAL_DEBUG", None)

    def pre() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        env=env,
        stdout=stdout if stdout is not None else subprocess.PIPE,
        stderr=subprocess.PIPE,
        timeout=timeout,
        preexec_fn=pre,
        cwd=cwd,
        **kw,  # type: ignore[call-overload]
    )


def snapshot(folder: Path) -> dict[str, tuple[int, bytes | str | int]]:
    """Every entry below ``folder``: (type and mode, content / link target / device number)."""
    out: dict[str, tuple[int, bytes | str | int]] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            st = os.lstat(p)
            rel = str(p.relative_to(folder))
            if stat.S_ISLNK(st.st_mode):
                out[rel] = (st.st_mode, os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                out[rel] = (st.st_mode, p.read_bytes())
            else:
                out[rel] = (st.st_mode, st.st_rdev)
    return out


def no_internal(r: subprocess.CompletedProcess[bytes]) -> str:
    err = r.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "error[internal]" not in err, err
    return err


@pytest.fixture(scope="module")
def expected_csv() -> bytes:
    r = run(*BASE, "--format", "csv")
    assert r.returncode == 0
    return r.stdout


# ============================================================================ item 1: outputs


@needs_root
def test_character_device_is_streamed_to_not_replaced(tmp_path: Path) -> None:
    dev = tmp_path / "null"
    os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    before = snapshot(tmp_path)
    r = run(*BASE, "--format", "csv", "--output", str(dev))
    no_internal(r)
    assert r.returncode == 0
    assert snapshot(tmp_path) == before  # still the device node, nothing beside it


@needs_root
def test_full_character_device_is_exit_6(tmp_path: Path) -> None:
    dev = tmp_path / "full"
    os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    before = snapshot(tmp_path)
    r = run(*BASE, "--format", "csv", "--output", str(dev))
    err = no_internal(r)
    assert r.returncode == 6, err
    assert "error[output.io]" in err and "No space left" in err
    assert snapshot(tmp_path) == before


def test_fifo_is_streamed_to(tmp_path: Path, expected_csv: bytes) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    r = run(*BASE, "--format", "csv", "--output", str(fifo))
    reader.join(30)
    no_internal(r)
    assert r.returncode == 0
    assert got == [expected_csv]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_dash_is_standard_output(expected_csv: bytes) -> None:
    r = run(*BASE, "--format", "csv", "--output", "-")
    assert r.returncode == 0 and r.stdout == expected_csv


def test_symlink_is_written_through(tmp_path: Path, expected_csv: bytes) -> None:
    target = tmp_path / "real" / "decisions.csv"
    target.parent.mkdir()
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    link = tmp_path / "latest.csv"
    link.symlink_to(Path("real") / "decisions.csv")
    r = run(*BASE, "--format", "csv", "--output", str(link))
    no_internal(r)
    assert r.returncode == 0
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "decisions.csv")
    assert target.read_bytes() == expected_csv
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["decisions.csv"]


def test_dangling_symlink_gets_its_target(tmp_path: Path, expected_csv: bytes) -> None:
    link = tmp_path / "latest.csv"
    link.symlink_to("made.csv")
    r = run(*BASE, "--format", "csv", "--output", str(link))
    assert r.returncode == 0, no_internal(r)
    assert link.is_symlink() and (tmp_path / "made.csv").read_bytes() == expected_csv


def _socket(path: Path) -> socket.socket:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    return s


@pytest.mark.parametrize("kind", ["loop", "socket"])
def test_unwritable_kinds_are_usage_errors(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "out"
    holder = None
    if kind == "loop":
        target.symlink_to("out2")
        (tmp_path / "out2").symlink_to("out")
    else:
        holder = _socket(target)
    (tmp_path / "keep.txt").write_bytes(b"precious\n")
    before = snapshot(tmp_path)
    try:
        r = run(*BASE, "--format", "csv", "--output", str(target))
    finally:
        if holder is not None:
            holder.close()
    err = no_internal(r)
    assert r.returncode == 2, err
    assert "error[output.bad-target]" in err
    assert "decisions" not in err  # reported before any work
    assert snapshot(tmp_path) == before


def test_directory_output_is_a_usage_error(tmp_path: Path) -> None:
    before = snapshot(tmp_path)
    r = run(*BASE, "--output", str(tmp_path))
    no_internal(r)
    assert r.returncode == 2
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(("umask", "mode"), [(0o027, 0o640), (0o002, 0o664)])
def test_new_file_mode_comes_from_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    out = tmp_path / "d.csv"
    r = run(*BASE, "--format", "csv", "--output", str(out), umask=umask)
    assert r.returncode == 0, no_internal(r)
    assert stat.S_IMODE(out.stat().st_mode) == mode


def test_existing_mode_is_kept_and_content_replaced(tmp_path: Path, expected_csv: bytes) -> None:
    out = tmp_path / "d.csv"
    out.write_bytes(b"old\n")
    out.chmod(0o604)
    r = run(*BASE, "--format", "csv", "--output", str(out), umask=0o077)
    assert r.returncode == 0, no_internal(r)
    assert stat.S_IMODE(out.stat().st_mode) == 0o604 and out.read_bytes() == expected_csv


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temp_of_a_killed_run_is_removed_and_never_shadows(tmp_path: Path, expected_csv: bytes) -> None:
    out = tmp_path / "d.csv"
    out.write_bytes(b"old\n")
    stale = tmp_path / f".d.csv.{_dead_pid()}-abcd.tmp"
    stale.write_bytes(b"half a file")
    live = tmp_path / f".d.csv.{os.getpid()}-wxyz.tmp"  # another writer, still running
    live.write_bytes(b"being written")
    r = run(*BASE, "--format", "csv", "--output", str(out))
    assert r.returncode == 0, no_internal(r)
    assert out.read_bytes() == expected_csv
    assert not stale.exists() and live.read_bytes() == b"being written"


@contextlib.contextmanager
def tmpfs(folder: Path, size: str = "64k") -> Iterator[bool]:
    """A small tmpfs on ``folder`` (True) or nothing when mounting is not possible (False)."""
    folder.mkdir(exist_ok=True)
    ok = IS_ROOT and shutil.which("mount") is not None
    if ok:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)]).returncode == 0
    try:
        yield ok
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(folder)], check=False)


def test_full_filesystem_leaves_the_old_file(tmp_path: Path) -> None:
    folder = tmp_path / "small"
    with tmpfs(folder) as mounted:
        out = folder / "d.jsonl"
        out.write_bytes(b"the old decisions\n")
        if mounted:
            with contextlib.suppress(OSError):
                (folder / "filler").write_bytes(b"x" * 200_000)  # fills the 64k filesystem
            before = snapshot(folder)
            r = run(*BASE, "--format", "jsonl", "--explain", "--output", str(out))
        else:
            before = snapshot(folder)
            r = run("ENOSPC", "fsync", *BASE, "--format", "jsonl", "--output", str(out), code=INJECT)
        err = no_internal(r)
        assert r.returncode == 6, err
        assert "error[output.io]" in err and "No space left on device" in err
        assert snapshot(folder) == before


def test_read_only_filesystem_is_exit_6(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    with tmpfs(folder) as mounted:
        out = folder / "d.csv"
        out.write_bytes(b"old\n")
        if mounted:
            subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
            r = run(*BASE, "--format", "csv", "--output", str(out))
        else:
            r = run("EROFS", "replace", *BASE, "--format", "csv", "--output", str(out), code=INJECT)
        err = no_internal(r)
        assert r.returncode == 6, err
        assert "error[output.io]" in err and "Read-only file system" in err
        assert out.read_bytes() == b"old\n"
        assert sorted(p.name for p in folder.iterdir()) == ["d.csv"]


def test_permission_denied_is_exit_6(tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    out.write_bytes(b"old\n")
    before = snapshot(tmp_path)
    r = run("EACCES", "fchmod", *BASE, "--format", "csv", "--output", str(out), code=INJECT)
    err = no_internal(r)
    assert r.returncode == 6, err
    assert "error[output.io]" in err and "Permission denied" in err
    assert snapshot(tmp_path) == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize(
    "args",
    [[*BASE, "--format", "jsonl"], ["compile", POLICY]],
    ids=["evaluate", "compile"],
)
def test_standard_output_on_a_full_device_is_exit_6(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        r = run(*args, stdout=full.fileno())
    err = no_internal(r)
    assert r.returncode == 6, err
    assert "error[output.io]" in err and "standard output" in err


# ============================================================================ item 8: signals


def _start_slow(out: Path, *extra: str) -> subprocess.Popen[bytes]:
    dates = [a for y in range(2015, 2045) for a in ("--as-of", f"{y}-04-01")]
    env = {**os.environ, "PYTHONPATH": str(ENGINE)}
    return subprocess.Popen(
        [sys.executable, "-c", SLOW, *BASE[:1], "--data", str(DATA), *BASE[1:3], *dates, *extra, "--output", str(out)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait_for_writing(p: subprocess.Popen[bytes]) -> bytes:
    assert p.stderr is not None
    seen = b""
    while b"WRITING" not in seen:
        line = p.stderr.readline()
        if not line:
            break
        seen += line
    return seen


@pytest.mark.slow
@pytest.mark.parametrize(
    ("sig", "code"),
    [(signal.SIGTERM, 143), (signal.SIGINT, 130), (signal.SIGHUP, 129)],
    ids=["SIGTERM", "SIGINT", "SIGHUP"],
)
def test_signal_during_a_write_leaves_nothing(tmp_path: Path, sig: int, code: int) -> None:
    out = tmp_path / "d.jsonl"
    out.write_bytes(b"the old decisions\n")
    before = snapshot(tmp_path)
    p = _start_slow(out, "--format", "jsonl")
    _wait_for_writing(p)
    time.sleep(0.2)
    p.send_signal(sig)
    assert p.wait(60) == code
    assert p.stderr is not None
    err = p.stderr.read().decode()
    assert "Traceback" not in err and ("interrupted" in err or "terminated" in err)
    assert snapshot(tmp_path) == before


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_kill_at_random_points_of_a_long_write(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "d.jsonl"
    old = b"the old decisions\n"
    rng = random.Random(16 + sig)
    for _ in range(3):
        out.write_bytes(old)
        p = _start_slow(out, "--format", "jsonl")
        _wait_for_writing(p)
        time.sleep(rng.uniform(0.0, 1.5))
        p.send_signal(sig)
        rc = p.wait(60)
        content = out.read_bytes()
        if rc == 0:  # finished before the signal: the whole new output
            assert content.count(b"\n") == 30 * 66
        else:
            assert rc == (143 if sig == signal.SIGTERM else -signal.SIGKILL)
            assert content == old  # never a part
        temps = [q.name for q in tmp_path.iterdir() if q.name != "d.jsonl"]
        if sig == signal.SIGTERM:
            assert temps == []
        else:  # only a hidden .tmp, never named like an output
            assert all(t.startswith(".d.jsonl.") and t.endswith(".tmp") for t in temps)
    r = run(*BASE, "--format", "jsonl", "--output", str(out))  # the next run sweeps what SIGKILL left
    assert r.returncode == 0
    assert [q.name for q in tmp_path.iterdir()] == ["d.jsonl"]


@pytest.mark.slow
def test_sigterm_before_writing_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ENGINE)}
    p = subprocess.Popen(
        [sys.executable, "-c", MAIN, *BASE[:1], "--data", str(DATA), *BASE[1:], "--output", str(out)],
        env=env,
        stderr=subprocess.PIPE,
    )
    time.sleep(0.3)  # importing / evaluating (a whole run can take under a second)
    p.send_signal(signal.SIGTERM)
    # 143 from our handler; -15 when the signal came before the interpreter had imported the CLI and
    # installed it, or after the run had ended and restored the default: killed by SIGTERM's default
    # action, which a shell also reports as 143
    assert p.wait(60) in (143, -signal.SIGTERM, 0)
    if out.exists():  # only a run that had finished writing: the whole file, never a part
        assert out.read_bytes() == run(*BASE).stdout != b""
    assert [q.name for q in tmp_path.iterdir() if q.name != "d.jsonl"] == []


# ============================================================================ item 2: use confinement


HEADER = 'policy p "t"\n  version "1"\n  effective 2015-01-01\n'


@pytest.mark.parametrize(
    "use",
    ["/etc/passwd", "../../../../../../etc/passwd", "../outside.cred", "link.cred", "secret.txt"],
)
def test_use_never_reads_or_quotes_files_outside_the_policy(tmp_path: Path, use: str) -> None:
    tree = tmp_path / "policies"
    tree.mkdir()
    (tmp_path / "outside.cred").write_text("SECRET-OUTSIDE line\n")
    (tree / "link.cred").symlink_to("/etc/passwd")
    (tree / "secret.txt").write_text("SECRET-INSIDE line\n")
    (tree / "p.cred").write_text(HEADER + f'use "{use}"\n')
    evaluate = [*BASE[:1], "--policy", str(tree / "p.cred"), "--as-of", "2016-04-01"]
    # check, and (for two of the cases, to keep the suite fast) evaluate: the same rule
    for args in [["check", str(tree / "p.cred")]] + ([evaluate] if use.startswith(("/", "link")) else []):
        r = run(*args)
        err = no_internal(r)
        assert r.returncode == 1, err
        assert "error[check.use-outside]" in err or "error[check.use-not-policy]" in err
        assert "root:" not in err and "SECRET" not in err


def test_use_inside_the_tree_and_policy_path(tmp_path: Path) -> None:
    tree, shared = tmp_path / "policies", tmp_path / "shared"
    (tree / "sub").mkdir(parents=True)
    shared.mkdir()
    (tree / "sub" / "lib.cred").write_text("measure m: percent\n")
    (shared / "common.cred").write_text("measure n: percent\n")
    (tree / "p.cred").write_text(HEADER + 'use "sub/lib.cred"\nuse "common.cred"\n')
    r = run("check", str(tree / "p.cred"))
    assert r.returncode == 1 and "check.use-not-found" in no_internal(r)
    r = run("check", "--policy-path", str(shared), str(tree / "p.cred"))
    assert r.returncode == 0, no_internal(r)


def test_check_reads_a_pipe() -> None:
    read, write = os.pipe()
    os.write(write, Path(POLICY).read_bytes())
    os.close(write)
    try:
        r = run("check", f"/dev/fd/{read}", pass_fds=(read,))
    finally:
        os.close(read)
    assert r.returncode == 0, no_internal(r)


# ============================================================================ item 3 and 6: bundle files


def _bundle(tmp_path: Path) -> Path:
    b = tmp_path / "bundle"
    shutil.copytree(DATA, b)
    return b


@pytest.mark.parametrize("kind", ["dangling", "loop", "directory", "fifo", "outside"])
def test_unreadable_table_is_data_unreadable(tmp_path: Path, kind: str) -> None:
    b = _bundle(tmp_path)
    obs = b / "observations.csv"
    obs.unlink()
    if kind == "dangling":
        obs.symlink_to("nowhere.csv")
    elif kind == "loop":
        obs.symlink_to("observations.csv")
    elif kind == "directory":
        obs.mkdir()
    elif kind == "fifo":
        os.mkfifo(obs)
    else:
        obs.symlink_to("/etc/passwd")
    out = tmp_path / "d.jsonl"
    before = snapshot(tmp_path)
    r = run("validate", "--policy", POLICY, data=b, timeout=60)
    err = no_internal(r)
    assert r.returncode == 3, err
    assert "observations.csv: error[data.unreadable]" in err
    assert "root:" not in err
    if kind in ("dangling", "fifo"):  # evaluate reads bundles through the same loader
        r = run(*BASE, "--output", str(out), data=b, timeout=60)
        assert r.returncode == 3 and "data.unreadable" in no_internal(r)
    assert snapshot(tmp_path) == before  # nothing written


def test_symlinks_inside_the_bundle_and_follow_symlinks(tmp_path: Path) -> None:
    b = _bundle(tmp_path)
    (b / "tables").mkdir()
    (b / "observations.csv").rename(b / "tables" / "obs.csv")
    (b / "observations.csv").symlink_to(Path("tables") / "obs.csv")
    r = run("validate", "--policy", POLICY, data=b)
    assert r.returncode == 0, no_internal(r)
    outside = tmp_path / "secret.txt"
    outside.write_text("SECRET" + "-very-long-first-line" * 40 + "\nsecond line\n")
    (b / "statuses.csv").unlink()
    (b / "statuses.csv").symlink_to(outside)
    r = run("validate", "--policy", POLICY, data=b)
    assert r.returncode == 3 and "SECRET" not in no_internal(r)
    r = run("validate", "--policy", POLICY, "--follow-symlinks", data=b)
    err = no_internal(r)
    assert r.returncode == 3, err  # read: the header is not a statuses header
    # and the header that is not one is echoed at most 80 printable characters long
    first = outside.read_text().splitlines()[0]
    assert first[:80] in err and first[:81] not in err
    assert "second line" not in err


# ============================================================================ items 4 and 5: CSV, terminals


HOSTILE = {
    "RM3": '=HYPERLINK("http://x.invalid","click")',
    "RW6": "carriage\rreturn",
    "RTH": "+1 and\x1b[2J clear",
    "RXH": "-2\x1b]0;owned\x07 title\x1b]52;c;aGk=\x07",
    "R0A": "@SUM(A1)\x00nul\u202eevil",
}


def _hostile_bundle(tmp_path: Path) -> Path:
    b = _bundle(tmp_path)
    with (b / "providers.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        row[1] = HOSTILE.get(row[0], row[1])
    with (b / "providers.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return b


def test_csv_output_is_rfc_4180_and_neutralised(tmp_path: Path) -> None:
    from credential.escaping import csv_unneutralise

    b = _hostile_bundle(tmp_path)
    r = run(*BASE, "--format", "csv", data=b)
    assert r.returncode == 0, no_internal(r)
    rows = list(csv.DictReader(io.StringIO(r.stdout.decode(), newline="")))
    assert len(rows) == 66  # no broken rows
    names = {row["provider"]: row["provider_name"] for row in rows}
    for code, name in HOSTILE.items():
        assert csv_unneutralise(names[code]) == name
    assert names["RM3"].startswith("'=") and names["RTH"].startswith("'+") and names["R0A"].startswith("'@")
    raw = run(*BASE, "--format", "csv", "--csv-raw", data=b)
    rows = list(csv.DictReader(io.StringIO(raw.stdout.decode(), newline="")))
    assert {row["provider"]: row["provider_name"] for row in rows}["RM3"] == HOSTILE["RM3"]


@pytest.mark.parametrize(
    "args",
    [[*BASE], ["explain", "RXH", "partner", "--policy", POLICY, "--as-of", "2016-04-01"]],
    ids=["table", "explain"],
)
def test_terminal_output_escapes_control_characters(tmp_path: Path, args: list[str]) -> None:
    b = _hostile_bundle(tmp_path)
    r = run(*args, data=b)
    assert r.returncode == 0, no_internal(r)
    text = r.stdout.decode() + r.stderr.decode()
    for bad in ("\x1b", "\x07", "\x00", "\x9b", "\u202e", "\r"):
        assert bad not in text
    assert "\\x1b]0;owned" in text


def test_diagnostics_escape_control_characters(tmp_path: Path) -> None:
    p = tmp_path / "p.cred"
    p.write_text(HEADER + 'source s "title \x1b]0;owned\x07 \u202e"\nmeasure m: nosuchtype\n')
    r = run("check", str(p))
    err = no_internal(r)
    assert "\x1b" not in err and "\u202e" not in err
    assert "check.confusable-character" in err


# ============================================================================ item 7 and 10: coded errors


def _json_bundle(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bundle.json"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("deep", "nests too deeply"),
        ("duplicate", "a key appears twice"),
        ("big_cell", "longer than 131,072 characters"),
        ("lone_quote", "never closed"),
        ("year_zero", "data.bad-date"),
    ],
)
def test_resource_errors_are_coded(tmp_path: Path, kind: str, message: str) -> None:
    if kind == "deep":
        data = _json_bundle(tmp_path, '{"providers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    elif kind == "duplicate":
        data = _json_bundle(tmp_path, '{"providers": [{"code": "RM3", "code": "RW6", "name": "x"}]}')
    else:
        data = _bundle(tmp_path)
        if kind == "big_cell":
            with (data / "providers.csv").open("a") as fh:
                fh.write('RXX,"' + "x" * 10_000_000 + '",acute,North West,yes\n')
        elif kind == "lone_quote":
            with (data / "providers.csv").open("a") as fh:
                fh.write('RXX,"Lone,acute,North West,yes\n' + "RYY,Other,acute,North West,no\n" * 10_000)
        else:
            with (data / "observations.csv").open("a") as fh:
                fh.write("RM3,ae_4h,0000-01-01,0.9\n")
    r = run("validate", "--policy", POLICY, data=data)
    err = no_internal(r)
    assert r.returncode == 3, err
    assert message in err
    assert all(len(line) < 400 for line in err.splitlines())


def test_interrupt_message_and_json_validation_output_is_json(tmp_path: Path) -> None:
    data = _json_bundle(tmp_path, '{"providers": [{"code": "RM3", "code": "RW6"}]}')
    r = run("validate", "--policy", POLICY, "--format", "json", data=data)
    assert r.returncode == 3
    assert json.loads(r.stdout)["diagnostics"][0]["code"] == "data.bad-json"


# ============================================================================ the same rules in the Python API


def test_python_api_confines_use_and_reads_no_unreadable_table(tmp_path: Path) -> None:
    import datetime as dt

    import credential
    from credential.diagnostics import DiagnosticError
    from credential.evaluation.evaluate import PolicyInvalid

    tree, shared = tmp_path / "policies", tmp_path / "shared"
    tree.mkdir()
    shared.mkdir()
    (shared / "lib.cred").write_text("measure unused_here: percent\n")
    p = tree / "p.cred"
    p.write_text(Path(POLICY).read_text() + '\nuse "../shared/lib.cred"\n')
    with pytest.raises(PolicyInvalid) as exc:
        credential.evaluate(p, DATA, as_of=dt.date(2016, 4, 1))
    assert {d.code for d in exc.value.diagnostics} == {"check.use-outside"}
    result = credential.evaluate(p, DATA, as_of=dt.date(2016, 4, 1), policy_path=[shared])
    assert len(result.frame) == 66
    b = _bundle(tmp_path)
    (b / "statuses.csv").unlink()
    (b / "statuses.csv").symlink_to("/etc/passwd")
    with pytest.raises(DiagnosticError) as derr:
        credential.evaluate(POLICY, b, as_of=dt.date(2016, 4, 1))
    assert [d.code for d in derr.value.diagnostics] == ["data.unreadable"]


def test_a_policy_test_file_cannot_name_a_non_policy(tmp_path: Path) -> None:
    t = tmp_path / "t.yaml"
    t.write_text(
        "name: leak\npolicy: /etc/passwd\nas_of: 2016-04-01\ndata: " + str(DATA) + "\ncases:\n"
        "  - name: c\n    provider: RM3\n    expect:\n      credential:partner: granted\n"
    )
    r = run("test", str(t))
    err = no_internal(r)
    assert r.returncode == 2, err
    assert "test.missing-policy" in err and "root:" not in err


def test_replacement_is_flushed_to_disk_file_then_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Durability: the temporary file is fsync'd before the rename, the folder after it."""
    from credential.cli import sink

    events: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        events.append("fsync-folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file")
        real_fsync(fd)

    def replace(a: str | Path, b: str | Path) -> None:
        events.append("rename")
        real_replace(a, b)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    out = tmp_path / "d.jsonl"
    out.write_bytes(b"old\n")
    sink.write_output(out, (f"{i}\n" for i in range(1000)))
    assert events == ["fsync-file", "rename", "fsync-folder"]
    assert out.read_text() == "".join(f"{i}\n" for i in range(1000))
