"""``make fuzz``: seed each target's corpus from the golden vectors, fuzz it for a
bounded time, and report executions per target. Exit status 1 if any target found a
discrepancy or crash (its input is saved under the artifacts directory).

    python fuzz/run.py [--seconds N] [--workdir DIR] [target ...]
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from fuzz import common  # noqa: E402

_DONE = re.compile(rb"Done (\d+) runs in (\d+) second")


def run_target(target: str, seconds: int, workdir: str, extra: list) -> dict:
    corpus = os.path.join(workdir, "corpus", target)
    artifacts = os.path.join(workdir, "artifacts", target) + os.sep
    os.makedirs(artifacts, exist_ok=True)
    seeds = common.write_seeds(target, corpus)
    command = [sys.executable, os.path.join(ROOT, "fuzz", "fuzz_codec.py"), target,
               f"-max_total_time={seconds}", f"-artifact_prefix={artifacts}",
               "-print_final_stats=1", *extra, corpus]
    started = time.monotonic()
    # A generous bound past max_total_time: a hang in the codec must not hang make.
    proc = subprocess.run(command, capture_output=True, timeout=seconds * 3 + 120,
                          env=dict(os.environ, PYTHONPATH=ROOT))
    elapsed = time.monotonic() - started
    done = _DONE.search(proc.stderr)
    result = {
        "target": target, "seeds": seeds, "status": proc.returncode,
        "runs": int(done.group(1)) if done else None, "seconds": round(elapsed, 1),
        "corpus": len(os.listdir(corpus)),
    }
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode("utf-8", "replace")[-6000:])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("targets", nargs="*", default=list(common.TARGETS))
    parser.add_argument("--seconds", type=int,
                        default=int(os.environ.get("FUZZ_SECONDS", "60")))
    parser.add_argument("--workdir", default=os.path.join(ROOT, "build", "fuzz"))
    parser.add_argument("--libfuzzer-arg", action="append", default=[],
                        help="passed through to libFuzzer (repeatable)")
    args = parser.parse_args()
    failed = False
    for target in args.targets:
        result = run_target(target, args.seconds, args.workdir, args.libfuzzer_arg)
        verdict = "clean" if result["status"] == 0 else f"FAILED (exit {result['status']})"
        print(f"fuzz {target:<10} {verdict}: {result['runs']} executions in "
              f"{result['seconds']} s, {result['seeds']} seeds, corpus now "
              f"{result['corpus']} inputs", flush=True)
        failed = failed or result["status"] != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
