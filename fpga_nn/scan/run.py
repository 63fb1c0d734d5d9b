"""``fpga-nn scan``: train and score every point of a design space, on Dask, and find the Pareto front.

Per point (a Dask task, :mod:`.scan_point`): quantization-aware training with fixed seeds, the firmware's
AUC and signal efficiency at the configured trigger rate on the whole test set, and alkaid's cost and
pipeline estimate. A QKeras point's firmware scores come from the bit-exact emulator (checked against
QKeras and against alkaid's interpreter); an HGQ2 point's from alkaid's interpreter of its traced logic
(checked against ``model.predict``), on the same test set, so both families share one front.
Points on or near the front of (efficiency, cost, latency) then get Verilator latency/II and Yosys
LUT/FF/DSP (second round of tasks). Every finished point is stored under ``OUT/points/ID/`` (ID: a
hash of all it depends on), so a rerun or a killed scan does only what is missing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from .. import outdir, signals
from ..atomic import write_text
from ..jsonio import write_json
from ..yamlconfig import plain
from . import config as scan_config
from . import point as scan_point

log = logging.getLogger(__name__)


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int | None) -> Iterator:
    """A client of ``scheduler`` (an existing cluster), else of a LocalCluster of ``workers`` processes."""
    from dask.distributed import Client, LocalCluster

    if scheduler:
        from ..errors import UserInputError

        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise UserInputError(
                f"no Dask scheduler answers at {scheduler} ({exc}): start one or drop --scheduler"
            ) from None
        with client:
            yield client
        return
    import dask

    from ..scratch import scratch

    n = workers or os.cpu_count() or 1
    with (
        _quiet_logs(),  # this process runs the scheduler: its teardown under SIGTERM logs tracebacks too
        scratch("dask") as local,  # the workers' spill folder goes with the scan, however it ends
        dask.config.set({"temporary-directory": str(local)}),
        LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=logging.CRITICAL,  # and _quiet_worker_logs in the workers
            local_directory=str(local),
            env={"TMPDIR": str(local)},  # TensorFlow's autograph files too
        ) as cluster,
    ):
        with Client(cluster) as client:
            client.run(_quiet_worker_logs)
            log.info("Dask LocalCluster: %d worker processes", n)
            yield client


_DISTRIBUTED_LOGGERS = (
    "distributed", "distributed.worker", "distributed.core", "distributed.comm", "distributed.nanny",
    "distributed.batched", "distributed.scheduler", "distributed.client",
)  # fmt: skip


def _quiet_worker_logs() -> None:
    """In a LocalCluster worker: only CRITICAL from distributed. LocalCluster's ``silence_logs`` reaches the
    nanny's logger, not the worker's, whose failed heartbeat while a SIGTERM tears the cluster down is an
    ERROR with a traceback (seen on a fresh clone); task errors reach the scan as exceptions, not as logs."""
    for name in _DISTRIBUTED_LOGGERS:
        logging.getLogger(name).setLevel(logging.CRITICAL)


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    """The same in this process while our LocalCluster lives (``silence_logs`` sets the level of distributed's
    own handler, not of its loggers, so their records still reached the CLI's handler: a scheduler-side
    ``batched.py`` traceback during a SIGTERM teardown on a loaded fresh-clone run); levels restored after."""
    saved = {name: logging.getLogger(name).level for name in _DISTRIBUTED_LOGGERS}
    _quiet_worker_logs()
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _run(client, fn: Callable, jobs: list[tuple[str, tuple]], what: str, progress: bool) -> Iterator[tuple[str, dict]]:
    """(job id, fn(*args)) as jobs finish: Dask tasks on ``client``, or one after another here."""
    from tqdm import tqdm

    with tqdm(total=len(jobs), desc=what, unit="point", disable=not progress or not jobs) as bar:
        if client is None:
            for job_id, args in jobs:
                signals.check()
                yield job_id, fn(*args)
                bar.update(1)
            return
        from dask.distributed import as_completed

        futures = {client.submit(fn, *args, key=f"{what}-{job_id}", pure=False): job_id for job_id, args in jobs}
        for future in as_completed(futures):
            signals.check()
            yield futures[future], future.result()
            bar.update(1)


def _store_point(points_dir: Path, point_id: str, payload: dict) -> None:
    """The point's files and result.json appear together (a folder renamed into place)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{point_id}.", dir=points_dir))
    try:
        for name, data in payload["files"].items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
        write_json(staging / "result.json", {"id": point_id, **payload["result"]}, indent=1)
        final = points_dir / point_id
        if final.exists():
            shutil.rmtree(final)
        os.rename(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _load(points_dir: Path, point_id: str) -> dict | None:
    path = points_dir / point_id / "result.json"
    return json.loads(path.read_text()) if path.is_file() else None


@outdir.writes_results("scan")
def run_scan(
    cfg,
    out: Path,
    scheduler: str | None = None,
    workers: int | None = None,
    serial: bool = False,
    progress: bool = True,
) -> dict:
    """Run (or resume) the scan of ``cfg`` into ``out``; returns the results record also written there."""
    from . import report as scan_report

    out = Path(out)
    points_dir = out / "points"
    points_dir.mkdir(parents=True, exist_ok=True)
    for stale in points_dir.glob(".*"):  # staging folders of a killed scan
        shutil.rmtree(stale, ignore_errors=True)
    ctx = scan_config.context(cfg, scan_point.data_fingerprint(cfg.data))
    write_json(out / "config.json", {"config": plain(cfg), "context": ctx}, indent=2)
    todo = {}
    all_ids = []
    for settings in scan_config.points(cfg):
        pid = scan_config.point_id(settings, ctx)
        all_ids.append(pid)
        if _load(points_dir, pid) is None:
            todo[pid] = settings
    log.info("scan: %d points, %d done earlier, %d to run", len(all_ids), len(all_ids) - len(todo), len(todo))
    with contextlib.ExitStack() as stack:
        client = None
        if not serial and todo:
            client = stack.enter_context(dask_client(scheduler, workers))
        jobs = [(pid, (s, cfg)) for pid, s in todo.items()]
        for pid, payload in _run(client, scan_point.evaluate, jobs, "train+score", progress):
            _store_point(points_dir, pid, payload)
        results = {pid: _load(points_dir, pid) for pid in all_ids}
        chosen = scan_report.rtl_candidates(list(results.values()), cfg.hardware)
        rtl_jobs, tools = [], scan_point.rtl_tools()
        for pid in chosen:
            rtl_file = points_dir / pid / "rtl.json"
            if rtl_file.is_file() and json.loads(rtl_file.read_text()).get("tools") == tools:
                continue
            model_file = scan_point.MODEL_FILES[scan_config.family(results[pid]["settings"])]
            model_bytes = (points_dir / pid / model_file).read_bytes()
            rtl_jobs.append((pid, (pid, model_bytes, results[pid]["settings"], cfg)))
        if rtl_jobs and client is None and not serial:
            client = stack.enter_context(dask_client(scheduler, workers))
        for pid, figures in _run(client, scan_point.synthesize, rtl_jobs, "rtl", progress):
            write_json(points_dir / pid / "rtl.json", figures, indent=1)
    for pid in all_ids:
        rtl_file = points_dir / pid / "rtl.json"
        if rtl_file.is_file():
            results[pid]["rtl"] = json.loads(rtl_file.read_text())
    baseline = scan_point.cut_baseline(cfg)
    record = scan_report.assemble(cfg, ctx, [results[pid] for pid in all_ids], chosen, baseline)
    write_json(out / "results.json", record, indent=1)
    write_json(out / "pareto.json", scan_report.pareto_record(record), indent=1)
    write_text(out / "index.html", scan_report.page(record, out))
    return record
