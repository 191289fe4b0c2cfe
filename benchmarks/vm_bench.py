"""Benchmark building real VMs: from the create job's start to `built`, for 1 and for N VMs at once (default 4).

Run as root with `python benchmarks/vm_bench.py [--vms 4] [--database-url URL]` (default
postgres://postgres@127.0.0.1:5432/contractor_vmbench, dropped and re-created). It needs what
tests/e2e/test_build_vm.py needs (libvirtd, QEMU, dnsmasq; tests/vmlab.py says what is missing) and builds the
installer with scripts/build-installer. It starts Contractor (gunicorn), a foreman worker and a subcontractor
daemon (libvirt, iputils, PXE sync) in a VM lab, builds a VM host, then VMs with the shipped `libvirt-vm` and
`linux-vm` blueprints, once with one VM and once with N at the same time, destroying them after each round.

Each VM's time is split, in the same run:
- the VM's own: from the `libvirt.start` task's answer to the installer's signal on its serial console
  (firmware, DHCP, iPXE, kernel and initrd download, kernel boot, the installer's own DHCP and config), and
  with `--finish poweroff` (the default, the installer's own) on to the kernel's power-down line;
- Contractor's share: the rest of the time from the foundation's create job starting to the structure being
  built (job queueing and steps, the task round trips through the subcontractor, placement, the PXE sync
  picking up the new MAC, and linux-vm's wait for the end of the install: its power-state polls every 5 s
  with `poweroff`, its wait_for_port with `--finish listen`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from benchmarks.foreman_bench import Processes, recreate_database, setup_django  # noqa: E402


def _round(rig, count: int, first_index: int, finish: str) -> list[dict]:
    locators = [rig.plan_vm(first_index + i, finish=finish)["locator"] for i in range(count)]
    jobs = [job for locator in locators for job in rig.create_jobs(locator)]
    states = rig.wait_jobs(jobs)
    failed = {pk: s["message"] for pk, s in states.items() if s["state"] != "done"}
    if failed:
        raise SystemExit(f"jobs failed: {failed}\n{rig.logs()}\n{rig.lab.report()}")
    rows = []
    for locator in locators:
        line = rig.timeline(locator)
        total = line["built"] - line["job_started"]
        vm_own = (line["off"] if finish == "poweroff" else line["signal"]) - line["start_done"]
        accelerator = rig.get(f"foundations/{locator}/")["id_map"].get("accelerator", "?")
        rows.append({"locator": locator, "total": total, "vm_own": vm_own, "contractor": total - vm_own,
                     "queued": line["job_started"] - line["job_created"], "tasks": line["tasks"],
                     "accelerator": accelerator})  # fmt: skip
    for locator in locators:
        rig.destroy(locator)
    return rows


def _print(count: int, rows: list[dict]) -> None:
    def median(key):
        return statistics.median(row[key] for row in rows)

    share = median("contractor") / median("total") * 100
    print(f"\n{count} VM(s) at once: job start -> built, median of {len(rows)}")
    print(f"  total           {median('total'):7.1f} s   (max {max(r['total'] for r in rows):.1f} s)")
    print(f"  VM's own        {median('vm_own'):7.1f} s   firmware, DHCP, iPXE, kernel boot, installer to signal"
          " (and power-off)")  # fmt: skip
    print(f"  Contractor      {median('contractor'):7.1f} s   ({share:.0f} % of the total)")
    print(f"  queued          {median('queued'):7.2f} s   job created -> started")
    for name in sorted({name for row in rows for name in row["tasks"]}):
        values = [row["tasks"][name] for row in rows if name in row["tasks"]]
        print(f"  task {name:<12}{statistics.median(values):7.2f} s   created -> answered")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=4)
    parser.add_argument("--finish", choices=("poweroff", "listen"), default="poweroff",
                        help="the installer's installer_finish (linux-vm waits for power-off, or for SSH)")  # fmt: skip
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/contractor_vmbench")
    args = parser.parse_args()

    from vmlab import Lab, Libvirtd, build_installer, probe_accelerator, vm_support_problem

    problem = vm_support_problem()
    if problem:
        raise SystemExit(f"cannot run VMs here: {problem}")
    recreate_database(args.database_url)
    setup_django(args.database_url)
    from tests.e2e.vm_rig import VmRig, boot_files_with

    work = Path(tempfile.mkdtemp(prefix="vq-bench-"))
    started = time.monotonic()
    image = build_installer(work / "installer")
    print(f"installer built in {time.monotonic() - started:.1f} s; logs in {work}")
    accelerator, why = probe_accelerator(image, work / "kvm-probe")
    print(f"VM accelerator: {accelerator} ({why})")
    libvirtd = Libvirtd(work / "libvirtd").ensure()
    lab = Lab(work / "lab").start()
    processes = Processes(work, args.database_url)
    try:
        rig = VmRig(lab, processes, work, boot_files_with(image, work / "boot-files"), accelerator=accelerator)
        rig.plan_lab()
        rig.start_contractor()
        rig.start_foreman()
        rig.start_subcontractor()
        rig.plan_host()
        rig.build_host()
        load = os.getloadavg()
        single = _round(rig, 1, 1, args.finish)
        many = _round(rig, args.vms, 10, args.finish)
        accelerators = ", ".join(sorted({row["accelerator"] for row in single + many}))
        print(f"\naccelerator: {accelerators}; installer_finish: {args.finish}")
        _print(1, single)
        _print(args.vms, many)
        print(f"\nload average before the rounds {load[0]:.2f}, after {os.getloadavg()[0]:.2f} (2 cores shared)")
    finally:
        processes.stop_all()
        problems = lab.close()
        libvirtd.stop()
        if problems:
            print(f"lab clean-up problems: {problems}")


if __name__ == "__main__":
    main()
