#!/usr/bin/env python3
"""Benchmark: `flink-mesos validate-conf` on a generated 1,000-key configuration.

Prints the wall time per process run (median and p90 over N runs) next to two
references measured in the same run: the 5 ms goal, and the same binary doing
nothing but `--version` (process start-up floor). Never fails on timing.

    scripts/bench-validate.py [--runs 200] [--keys 1000] [--format flat|yaml]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

GOAL_MS = 5.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generate(path, keys, fmt):
    declared = [
        ("mesos.master", "zk://zk1:2181,zk2:2181,zk3:2181/mesos"),
        ("mesos.initial-tasks", "10"),
        ("mesos.resourcemanager.tasks.mem", "4096"),
        ("mesos.resourcemanager.tasks.cpus", "2.0"),
        ("mesos.constraints.hard.hostattribute", "az:eu-west-1a,series:t2"),
        ("mesos.resourcemanager.tasks.container.volumes", "/a:/b:RO,/c"),
        ("mesos.resourcemanager.tasks.hostname", "_TASK_.flink.mesos"),
        ("taskmanager.memory.process.size", "3500m"),
        ("rest.port", "8081"),
    ]
    lines = [f"{k}: {v}" for k, v in declared]
    i = 0
    while len(lines) < keys:
        # Keys Flink would read and flink-mesos passes through.
        lines.append(f"pipeline.generated.group{i // 50}.option-{i}: value-{i}")
        i += 1
    if fmt == "yaml":
        # config.yaml accepts dotted keys at top level.
        name = "config.yaml"
        content = "\n".join(lines) + "\n"
    else:
        name = "flink-conf.yaml"
        content = "\n".join(lines) + "\n"
    with open(os.path.join(path, name), "w") as f:
        f.write(content)


def time_runs(cmd, runs):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        samples.append((time.perf_counter() - t) * 1000)
        if r.returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} exited {r.returncode}")
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.9) - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--keys", type=int, default=1000)
    ap.add_argument("--format", choices=["flat", "yaml"], default="flat")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    binary = os.path.join(target, "release", "flink-mesos")
    with tempfile.TemporaryDirectory() as d:
        generate(d, args.keys, args.format)
        cmd = [binary, "validate-conf", "--conf-dir", d]
        check = subprocess.run(cmd, capture_output=True, text=True)
        if check.returncode != 0:
            sys.exit(f"bench: the generated configuration does not validate:\n{check.stdout}")
        time_runs(cmd, 10)  # warm the page cache
        base_med, base_p90 = time_runs([binary, "--version"], args.runs)
        med, p90 = time_runs(cmd, args.runs)
    print(f"validate-conf, {args.keys} keys ({args.format}), {args.runs} runs:")
    print(f"  per process run      median {med:6.2f} ms   p90 {p90:6.2f} ms")
    print(f"  start-up floor       median {base_med:6.2f} ms   p90 {base_p90:6.2f} ms   (flink-mesos --version)")
    print(f"  goal                        {GOAL_MS:6.2f} ms")
    print(f"  ratio to goal        {med / GOAL_MS:.2f}  ({'within' if med <= GOAL_MS else 'OVER'} the goal)")
    print(f"  ratio to start-up    {med / base_med:.2f}")


if __name__ == "__main__":
    main()
