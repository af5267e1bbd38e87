"""The `sheetreview` command: parse options, call the library, print.

Nothing here decides anything about frameworks, workbooks or returns; it only turns library values
into lines on a terminal and library errors into one-line messages with exit 1.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from sheetreview import __version__
from sheetreview.errors import SheetreviewError


class _Group(click.Group):
    """Turns library errors into one line and exit 1; a traceback only with --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SheetreviewError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            click.echo(
                "Interrupted: what was already recorded is kept; run the same command again to finish.",
                err=True,
            )
            sys.exit(130)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except OSError as exc:
            if not _output_closed(exc):
                raise click.ClickException(_os_message(exc)) from None
            _say_output_closed()
            sys.exit(1)
        except Exception as exc:  # a bug of ours: say so plainly, the traceback on demand
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise click.ClickException(
                f"internal error ({type(exc).__name__}: {exc}); run again with --debug and report it"
            ) from None


def _output_closed(exc: OSError) -> bool:
    """Whether the error is our own output going nowhere (`| head -1`, a closed terminal)."""
    return isinstance(exc, BrokenPipeError) or exc.errno in (errno.EPIPE, errno.EBADF)


def _say_output_closed() -> None:
    # Python would complain again when it flushes stdout at exit: send what is left nowhere.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    with contextlib.suppress(OSError, ValueError):
        click.echo(
            "sheetreview: the program reading its output closed it before the end (e.g. "
            "'| head'); send the output to a file instead ('> out.txt') to keep all of it",
            err=True,
        )


def _os_message(exc: OSError) -> str:
    """An operating-system error a command did not expect, said as what to check."""
    where = f"{exc.filename}: " if exc.filename else ""
    reason = exc.strerror or type(exc).__name__
    return (
        f"{where}{reason}; check the folder exists, is writable and has free space, then run "
        "the same command again"
    )


def _quiet_option(f: Callable) -> Callable:
    return click.option("--quiet", "-q", is_flag=True, help="No progress bar.")(f)


def _framework_files_option(f: Callable) -> Callable:
    return click.option(
        "--framework-file",
        "framework_files",
        multiple=True,
        type=click.Path(dir_okay=False),
        help="A framework definition of your own (YAML); may be repeated.",
    )(f)


def _out_option(f: Callable) -> Callable:
    return click.option(
        "-o",
        "--output",
        "out_dir",
        required=True,
        type=click.Path(file_okay=False),
        help="Output folder (created).",
    )(f)


def _school_charts_option(f: Callable) -> Callable:
    return click.option(
        "--no-school-charts", is_flag=True, help="Skip the per-school profile charts (faster)."
    )(f)


def _check_strict(strict: bool, summary: Any, out_dir: str) -> None:
    """--strict: a completed run with rejected files still fails, for scripts that must notice."""
    if strict and summary.rejected:
        raise click.ClickException(
            f"{summary.rejected} file(s) rejected (--strict); see {Path(out_dir) / 'files.csv'}"
        )


def _ingest_options(f: Callable) -> Callable:
    f = click.option("--round", "round_label", help="Round for returns whose workbook names none.")(
        f
    )
    f = click.option(
        "--jobs", "-j", type=click.IntRange(1, 256), help="Processes (default: CPU count)."
    )(f)
    f = click.option("--strict", is_flag=True, help="Exit 1 if any file was rejected.")(f)
    f = click.option(
        "--forget",
        multiple=True,
        type=click.Path(file_okay=False),
        help="Drop a returns folder that OUT holds from an earlier run; may be repeated.",
    )(f)
    f = click.option(
        "--schools",
        "schools_file",
        type=click.Path(dir_okay=False),
        help="The schools expected to return (as for generate): OUT gets outstanding.csv.",
    )(f)
    f = click.option(
        "--framework",
        "framework_id",
        help="The framework the --schools list is expected to return (default: every one read).",
    )(f)
    f = _framework_files_option(f)
    f = _quiet_option(f)
    return f


def _dirs_argument(f: Callable) -> Callable:
    return click.argument(
        "in_dirs", metavar="DIR...", nargs=-1, type=click.Path(exists=True, file_okay=False)
    )(f)


@contextmanager
def _progress(label: str, quiet: bool):
    """A progress callback (done, total) drawing a bar only on a terminal."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    state: dict[str, Any] = {"bar": None, "done": 0}

    def update(done: int, total: int) -> None:
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=total, label=label, file=sys.stderr)
            state["bar"].__enter__()
        state["bar"].update(done - state["done"])
        state["done"] = done

    try:
        yield update
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="sheetreview")
@click.option(
    "--debug", is_flag=True, help="Show tracebacks, also of faults while reading a return."
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Self-review workbooks for schools: generate them, collect the returns, benchmark the cohort.

    \b
    Example:
        sheetreview generate edtech-srf --schools schools.csv -o workbooks/
        sheetreview run returns/ -o out/
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


# --- frameworks -------------------------------------------------------------------------------


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def frameworks(ctx: click.Context, as_json: bool) -> None:
    """List the built-in frameworks.

    \b
    Example:
        sheetreview frameworks
        sheetreview frameworks show edtech-srf --json
    """
    if ctx.invoked_subcommand:
        return
    from sheetreview.framework import all_builtin

    items = all_builtin()
    if as_json:
        click.echo(json.dumps([_framework_brief(fw) for fw in items], indent=2, ensure_ascii=False))
        return
    for fw in items:
        levels = ", ".join(lv.label for lv in fw.levels)
        click.echo(f"{fw.id:<16} {fw.title}")
        click.echo(
            f"{'':<16} {len(fw.aspects)} aspects; levels (least to most developed): {levels}"
        )


def _framework_brief(fw: Any) -> dict[str, Any]:
    return {
        "id": fw.id,
        "title": fw.title,
        "version": fw.version,
        "publisher": fw.publisher,
        "licence": fw.licence,
        "aspects": len(fw.aspects),
        "levels": [{"rank": lv.rank, "label": lv.label} for lv in fw.levels],
    }


@frameworks.command("show")
@click.argument("framework_id", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the whole definition as JSON.")
@click.option(
    "--framework-file", type=click.Path(dir_okay=False), help="Show a definition file instead."
)
def frameworks_show(framework_id: str | None, as_json: bool, framework_file: str | None) -> None:
    """Show one framework whole: levels, aspects and every descriptor.

    \b
    Example:
        sheetreview frameworks show becta-srf
        sheetreview frameworks show --framework-file my-framework.yaml --json
    """
    from sheetreview.framework import resolve

    fw = resolve(framework_id, framework_file)
    if as_json:
        click.echo(json.dumps(fw.to_dict(), indent=2, ensure_ascii=False))
        return
    click.echo(f"{fw.title} ({fw.id} {fw.version})")
    click.echo(f"Publisher: {fw.publisher}. Licence: {fw.licence}. Attribution: {fw.attribution}")
    click.echo("Levels, least to most developed: " + ", ".join(lv.label for lv in fw.levels))
    for aspect in fw.aspects:
        click.echo("")
        click.echo(
            f"{aspect.code}  {aspect.title}" + ("  [summary]" if aspect.kind == "summary" else "")
        )
        for d in aspect.descriptors:
            click.echo(f"  {fw.level(d.rank).label}:")
            for line in d.text.splitlines():
                click.echo(f"    {line}")
            for heading, text in d.sections.items():
                click.echo(f"    [{heading}]")
                for line in text.splitlines():
                    click.echo(f"      {line}")


# --- generate ---------------------------------------------------------------------------------


@cli.command()
@click.argument("framework_id", required=False)
@click.option(
    "--schools",
    "schools_file",
    type=click.Path(dir_okay=False),
    help="CSV, XLSX or ODS with columns urn, name (optional la, trust, phase); "
    "a GIAS establishment export works as downloaded.",
)
@click.option(
    "--round", "round_label", help="Round label written into each workbook, e.g. 2026-autumn."
)
@click.option(
    "--previous",
    "previous_out",
    type=click.Path(file_okay=False),
    help="An earlier ingest OUT: show each school's previous levels.",
)
@click.option(
    "-o",
    "--output",
    "out_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Folder to write workbooks into.",
)
@click.option(
    "--framework-file",
    type=click.Path(dir_okay=False),
    help="Use a framework definition file instead of a built-in id.",
)
@_quiet_option
def generate(
    framework_id: str | None,
    schools_file: str | None,
    round_label: str | None,
    previous_out: str | None,
    out_dir: str,
    framework_file: str | None,
    quiet: bool,
) -> None:
    """Write a blank workbook, or one personalised workbook per school.

    \b
    Example:
        sheetreview generate edtech-srf -o blank/
        sheetreview generate edtech-srf --schools schools.csv --round 2026-autumn -o workbooks/
    """
    from sheetreview.framework import resolve
    from sheetreview.generate import generate_workbooks

    fw = resolve(framework_id, framework_file)
    schools = _read_schools(schools_file) if schools_file else None
    with _progress("Generating", quiet) as progress:
        paths = generate_workbooks(
            fw,
            Path(out_dir),
            schools_file=schools,
            round_label=round_label,
            previous_out=previous_out,
            progress=progress,
        )
    if len(paths) == 1:
        click.echo(f"Wrote {paths[0]}")
    else:
        click.echo(f"Wrote {len(paths)} workbooks to {out_dir}")


def _read_schools(path: str) -> Any:
    """Read a school list and say how it was read (encoding, closed establishments left out)."""
    from sheetreview.schools import read_schools

    schools = read_schools(path)
    for note in schools.notes():
        click.echo(note)
    return schools


# --- ingest, report, run ----------------------------------------------------------------------


def _do_ingest(in_dirs: tuple[str, ...], out_dir: str, options: dict[str, Any]) -> Any:
    from sheetreview.read.ingest import ingest as run_ingest

    with _progress("Reading returns", options["quiet"]) as progress:
        summary = run_ingest(
            [Path(d) for d in in_dirs],
            Path(out_dir),
            round_label=options["round_label"],
            jobs=options["jobs"],
            framework_files=options["framework_files"],
            forget=[Path(f) for f in options["forget"]],
            schools=options["schools_file"],
            framework_id=options["framework_id"],
            progress=progress,
        )
    for line in summary.lines():
        click.echo(line)
    ctx = click.get_current_context()
    if (ctx.find_root().obj or {}).get("debug"):
        for file, trace in summary.faults:
            click.echo(f"Fault of sheetreview while reading {file}:\n{trace}", err=True)
    return summary


@cli.command()
@_dirs_argument
@_out_option
@_ingest_options
def ingest(in_dirs: tuple[str, ...], out_dir: str, **options: Any) -> None:
    """Read every return in each DIR into responses.csv, files.csv and problems.csv in OUT.

    OUT keeps every folder it was given: ingesting round 2's folder into round 1's OUT adds it,
    and each run reads them all again (with no DIR, it re-reads those). With --schools, OUT also
    gets outstanding.csv: the schools that have not returned yet.

    \b
    Example:
        sheetreview ingest returns-autumn/ -o out/ --round 2026-autumn --schools gias.csv
        sheetreview ingest returns-spring/ -o out/ --round 2027-spring
    """
    summary = _do_ingest(in_dirs, out_dir, options)
    _check_strict(options["strict"], summary, out_dir)


def _do_report(
    out_dir: str,
    school_charts: bool,
    quiet: bool,
    jobs: int | None = None,
    svg: bool = False,
    schools_file: str | None = None,
) -> None:
    from sheetreview.report.build import build_report

    with _progress("Drawing charts", quiet) as progress:
        summary = build_report(
            Path(out_dir),
            school_charts=school_charts,
            progress=progress,
            jobs=jobs,
            svg=svg,
            schools_file=Path(schools_file) if schools_file else None,
        )
    for line in summary.lines():
        click.echo(line)
    if summary.locked:  # every other output was written; these need the user
        for line in summary.locked:
            click.echo(f"Error: {line}", err=True)
        raise click.exceptions.Exit(1)


@cli.command()
@click.argument("out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False))
@_school_charts_option
@click.option(
    "--jobs", "-j", type=click.IntRange(1, 256), help="Processes for charts (default: CPU count)."
)
@click.option("--svg", is_flag=True, help="Also write every chart as SVG (slower).")
@click.option(
    "--schools",
    "schools_file",
    type=click.Path(dir_okay=False),
    help="School list (urn, name; la, trust, phase): statistics also within each group. "
    "Kept in OUT for later reports.",
)
@_quiet_option
def report(
    out_dir: str,
    no_school_charts: bool,
    jobs: int | None,
    svg: bool,
    schools_file: str | None,
    quiet: bool,
) -> None:
    """Write the statistics, summary.xlsx, report.html and charts from an ingested OUT.

    \b
    Example:
        sheetreview report out/ --schools schools.csv
    """
    _do_report(out_dir, not no_school_charts, quiet, jobs, svg, schools_file)


@cli.command()
@_dirs_argument
@_out_option
@_school_charts_option
@_ingest_options
def run(in_dirs: tuple[str, ...], out_dir: str, no_school_charts: bool, **options: Any) -> None:
    """Ingest each DIR (and those OUT already holds), then report: the whole collection at once.

    \b
    Example:
        sheetreview run returns/ -o out/ --schools schools.csv
    """
    summary = _do_ingest(in_dirs, out_dir, options)
    _do_report(out_dir, not no_school_charts, options["quiet"], options["jobs"])
    _check_strict(options["strict"], summary, out_dir)


@cli.command()
@click.argument("out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False))
@click.option(
    "-o",
    "--output",
    "dest_dir",
    type=click.Path(file_okay=False),
    help="Folder for the feedback files (default: OUT/feedback).",
)
@click.option(
    "--annotate",
    is_flag=True,
    help="Also copy each return with its problem cells highlighted and commented.",
)
@click.option(
    "--returns",
    "in_dir",
    type=click.Path(exists=True, file_okay=False),
    help="The returns folder ingest read (default: the one recorded in OUT).",
)
@_quiet_option
def feedback(
    out_dir: str, dest_dir: str | None, annotate: bool, in_dir: str | None, quiet: bool
) -> None:
    """Write, for each school whose return has problems, what to fix and where.

    \b
    Example:
        sheetreview feedback out/ -o feedback/ --annotate
    """
    from sheetreview.feedback.letters import write_feedback

    dest = Path(dest_dir) if dest_dir else Path(out_dir) / "feedback"
    with _progress("Writing feedback", quiet) as progress:
        summary = write_feedback(
            Path(out_dir),
            dest,
            annotate=annotate,
            in_dir=Path(in_dir) if in_dir else None,
            progress=progress,
        )
    for line in summary.lines():
        click.echo(line)


@cli.command()
@click.argument("out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False))
@click.option(
    "-o",
    "--output",
    "dest_dir",
    type=click.Path(file_okay=False),
    help="Folder for the packs (default: OUT/packs).",
)
@click.option("--jobs", "-j", type=click.IntRange(1, 256), help="Processes (default: CPU count).")
@_quiet_option
def packs(out_dir: str, dest_dir: str | None, jobs: int | None, quiet: bool) -> None:
    """Write each school's own benchmark pack (PDF): its levels against the cohort, and what next.

    \b
    Example:
        sheetreview packs out/ -o packs/
    """
    from sheetreview.packs.build import write_packs

    dest = Path(dest_dir) if dest_dir else Path(out_dir) / "packs"
    with _progress("Drawing packs", quiet) as progress:
        summary = write_packs(Path(out_dir), dest, jobs=jobs, progress=progress)
    for line in summary.lines():
        click.echo(line)


@cli.command()
@click.argument("out_dir", metavar="OUT", type=click.Path(exists=True, file_okay=False))
@click.option(
    "--sample",
    required=True,
    help="How many schools of each framework's latest round: a number (10) or a share (20%).",
)
@click.option("--seed", type=int, help="Draw the same sample again (printed after each draw).")
@click.option("--schools", default="", help="URNs to include whatever the draw, comma separated.")
@click.option(
    "-o",
    "--output",
    "dest_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the moderation workbooks.",
)
def moderate(out_dir: str, sample: str, seed: int | None, schools: str, dest_dir: str) -> None:
    """Moderation workbooks for a sample of schools, stratified by overall level.

    Each shows the school's levels, evidence and next steps beside an empty moderated level. Put
    the filled workbooks with the returns: ingest reads them as moderations, and report compares.

    \b
    Example:
        sheetreview moderate out/ --sample 20% --seed 7 -o moderation/
    """
    from sheetreview.moderate import moderate as run_moderate

    summary = run_moderate(Path(out_dir), Path(dest_dir), sample=sample, seed=seed, schools=schools)
    for line in summary.lines():
        click.echo(line)


@cli.command()
@click.option(
    "-o",
    "--output",
    "out_dir",
    default=os.path.join("outputs", "demo"),
    show_default=True,
    type=click.Path(file_okay=False),
)
@_quiet_option
def demo(out_dir: str, quiet: bool) -> None:
    """Run the whole pipeline on the bundled sample cohort.

    \b
    Example:
        sheetreview demo -o outputs/demo
    """
    from sheetreview.demo import run_demo

    with _progress("Demo", quiet) as progress:
        summary = run_demo(Path(out_dir), progress=progress)
    for line in summary.lines():
        click.echo(line)


def main() -> None:
    try:
        cli(prog_name="sheetreview")
    finally:
        # Output still buffered meets a closed pipe only here, as Python exits.
        try:
            if sys.stdout is not None:
                sys.stdout.flush()
        except OSError as exc:
            if not _output_closed(exc):
                raise
            _say_output_closed()
            sys.exit(1)
