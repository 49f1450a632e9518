"""Parse many gcloud commands in one gcloud process (run by gcloud's own Python, not pytest).

``python gcloud_driver.py SDK_ROOT`` reads ``[argv, ...]`` as JSON on stdin and writes
``[[exit status, stderr], ...]``: the CLI is built once, then each command is executed as
``gcloud`` would (exit 2: its arguments do not parse).
"""

import io
import json
import os
import sys

sdk = sys.argv[1]
sys.path[:0] = [os.path.join(sdk, "lib"), os.path.join(sdk, "lib", "third_party")]

from googlecloudsdk import gcloud_main  # noqa: E402
from googlecloudsdk.core import log  # noqa: E402

commands = json.load(sys.stdin)
real_stdout = sys.stdout
cli = gcloud_main.CreateCLI([])
results = []
for argv in commands:
    captured = io.StringIO()
    sys.stderr, sys.stdout = captured, io.StringIO()
    log.Reset(stdout=sys.stdout, stderr=captured)
    try:
        cli.Execute(argv[1:])
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException as exc:  # an error gcloud did not handle: report it, go on
        status = 1
        captured.write(f"{type(exc).__name__}: {exc}")
    results.append([status, captured.getvalue()[:800]])
real_stdout.write(json.dumps(results))
