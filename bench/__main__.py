"""Run every benchmark under bench/ and print its figures: `make bench`.

Each benchmark runs in its own process, since each sets up Django with its own database.
`python -m bench bench_provisioning` runs just one.
"""

import pkgutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    only = sys.argv[1:]
    failed = 0
    for name in names:
        if only and name not in only:
            continue
        print(f"== {name}", flush=True)
        code = f"import bench.{name} as b; b.main()"
        failed += subprocess.run([sys.executable, "-c", code], cwd=here.parent, check=False).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
