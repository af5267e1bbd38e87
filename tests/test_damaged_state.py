"""Damaged state is repaired or refused with what to do; "internal error" is only for our bugs.

Each case is a thing an unlucky user meets: a ledger damaged on disk, outputs cut short or
overwritten, a folder they cannot write, a framework file with a hostile YAML trick, a pipe
closed early.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import make_return, need

from sheetreview.cli import cli
from sheetreview.read.ingest import ingest

ALIAS_BOMB = "\n".join(
    [
        'id: x\na: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        *(
            f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ingested")
    for i in range(1, 4):
        make_return(root / "returns" / f"r{i}.xlsx", urn=f"10000{i}", name=f"School {i}")
    ingest(root / "returns", root / "out", jobs=1)
    return root


def fresh_out(ingested: Path, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(ingested / "out", out)
    return out


def test_a_ledger_damaged_inside_its_pages_is_set_aside_and_rebuilt(
    ingested: Path, tmp_path: Path
) -> None:
    out = fresh_out(ingested, tmp_path)
    before = (out / "responses.csv").read_bytes()
    ledger = out / "ledger.sqlite"
    data = bytearray(ledger.read_bytes())
    assert len(data) > 3 * 4096  # pages beyond the header, where only a query looks
    data[4096:] = bytes((i * 7919) % 251 for i in range(len(data) - 4096))
    ledger.write_bytes(bytes(data))

    for run in range(2):  # and the rebuilt ledger serves the next run
        summary = ingest(ingested / "returns", out, jobs=1)
        assert summary.files == 3
        assert summary.ledger_rebuilt == (run == 0)
        assert (out / "responses.csv").read_bytes() == before
    assert (out / "ledger.sqlite.damaged").exists()
    assert summary.reused == 3 and not summary.ledger_rebuilt


@pytest.mark.parametrize("command", ["report", "feedback", "packs"])
def test_outputs_cut_short_are_refused_with_what_to_do(
    ingested: Path, tmp_path: Path, command: str
) -> None:
    out = fresh_out(ingested, tmp_path)
    data = (out / "responses.csv").read_bytes()
    (out / "responses.csv").write_bytes(data[: len(data) // 2])
    code, output = invoke(command, str(out), "-q")
    assert code == 1
    assert "responses.csv is not the file ingest wrote" in output
    assert f"run 'sheetreview ingest DIR -o {out}' again" in output


def test_a_damaged_run_record_is_refused(ingested: Path, tmp_path: Path) -> None:
    out = fresh_out(ingested, tmp_path)
    (out / "run.json").write_bytes(b'{"input_dir": "/x", "outp')
    code, output = invoke("report", str(out), "-q")
    assert code == 1 and "run.json is damaged" in output and "internal error" not in output


def test_a_table_overwritten_with_garbage_is_refused(ingested: Path, tmp_path: Path) -> None:
    out = fresh_out(ingested, tmp_path)
    for name in ("files.csv", "responses.csv"):
        size = (out / name).stat().st_size
        (out / name).write_bytes(b"\xff\xfe\x00" * (size // 3) + b"\xff" * (size % 3))
    for command in ("report", "feedback", "packs"):
        code, output = invoke(command, str(out), "-q")
        assert code == 1, output
        assert "internal error" not in output and "sheetreview ingest" in output


def _read_only(folder: Path) -> None:
    """Make `folder` unwritable even for root (who ignores permission bits): immutable."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        made = (
            shutil.which("chattr")
            and not subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode
        )
        need(bool(made), "chattr (e2fsprogs), which makes a folder read-only for root,")
    else:
        os.chmod(folder, 0o555)


def _writable(folder: Path) -> None:
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True)
    os.chmod(folder, 0o755)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_read_only_folder_is_said_for_every_command(ingested: Path, tmp_path: Path) -> None:
    out = fresh_out(ingested, tmp_path)
    _read_only(out)
    try:
        commands = [
            ["report", str(out)],
            ["feedback", str(out)],
            ["packs", str(out)],
            ["generate", "edtech-srf", "-o", str(out)],
        ]
        for args in commands:
            run = subprocess.run(
                [sys.executable, "-m", "sheetreview", *args, "-q"], capture_output=True, text=True
            )
            assert run.returncode == 1, (args, run.stderr)
            lines = run.stderr.strip().splitlines()
            assert len(lines) == 1, (args, run.stderr)
            assert "internal error" not in lines[0]
            assert "writable" in lines[0] or "permissions" in lines[0], lines[0]
    finally:
        _writable(out)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("id: &x\n  k: *x\n", "has an alias ('*name') inside the value it names"),
        ("id: x\n!!python/name:os.system : 1\n", "uses the tag '!!python/name:os.system'"),
        ("id: x\n? [a, b]\n: c\n", "has a key that is a list or a mapping"),
    ],
)
def test_hostile_yaml_in_a_framework_file_is_refused_in_one_line(
    tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "fw.yaml"
    path.write_text(text, encoding="utf-8")
    code, output = invoke("frameworks", "show", "--framework-file", str(path))
    assert code == 1
    assert said in output and "internal error" not in output


@pytest.mark.skipif(sys.platform == "win32", reason="resource limits are POSIX")
def test_a_yaml_alias_bomb_is_refused_within_a_small_memory_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    assert len(ALIAS_BOMB) < 500  # a few hundred bytes that would expand to 387 million values
    limit = (
        "import resource, runpy, sys;"
        "resource.setrlimit(resource.RLIMIT_AS, (768 * 2**20, 768 * 2**20));"
        "sys.argv = ['sheetreview', 'frameworks', 'show', '--framework-file', sys.argv[1]];"
        "runpy.run_module('sheetreview', run_name='__main__')"
    )
    run = subprocess.run(
        [sys.executable, "-c", limit, str(path)], capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 1, run.stderr
    assert "expands to more than 200,000 values" in run.stderr
    assert "MemoryError" not in run.stderr and "internal error" not in run.stderr


def test_a_pipe_closed_early_gets_a_line_saying_what_to_do() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone, as `| head -1` has after its line
    try:
        run = subprocess.run(
            [sys.executable, "-m", "sheetreview", "frameworks", "show", "lp-steps"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
        )
    finally:
        os.close(write_end)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 1
    assert len(lines) == 1 and "closed it before the end" in lines[0] and "'> out.txt'" in lines[0]
