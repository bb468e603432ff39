"""Run every benchmark under bench/ and print its figures: `make bench`.

Each benchmark runs in its own process, since each sets up Django with its own database.
`python -m bench bench_provisioning` runs just one; `--quick` (`make bench QUICK=1`) runs the
small sizes only.
"""

import os
import pkgutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    only = [a for a in sys.argv[1:] if a != "--quick"]
    env = {
        **os.environ,
        "BENCH_QUICK": "1" if "--quick" in sys.argv[1:] else os.environ.get("BENCH_QUICK", ""),
    }
    failed = 0
    for name in names:
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        code = f"import bench.{name} as b; b.main()"
        failed += (
            subprocess.run([sys.executable, "-c", code], cwd=here.parent, env=env, check=False).returncode
            != 0
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
