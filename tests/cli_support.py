"""What the command-line tests share: usage SCRIPT BUILD_DIR SOURCE_DIR; the binary, the
bundled 2022 rulebook and records, a scratch folder, and the check/finish protocol."""
import os
import subprocess
import sys
import tempfile

BUILD, SRC = sys.argv[1], sys.argv[2]
CLI = os.path.join(BUILD, "rulebook")
# The binary is rulebook.exe under Wine (packaging/test-windows.sh): Linux's symbolic links
# are then plain files to it.
WINDOWS = os.environ.get("RULEBOOK_TEST_WINDOWS") == "1"
RULES = os.path.join(SRC, "rules", "yunhe-2022.rules")
EVENTS = os.path.join(SRC, "examples", "yunhe-2022", "events.jsonl")
TMP = tempfile.mkdtemp(prefix="rulebook-cli-")
failures = []


def run(*args):
    return subprocess.run([CLI, *args], capture_output=True)


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))
    if not condition:
        failures.append(name)


def tmp(name):
    return os.path.join(TMP, name)


def finish():
    print(f"{len(failures) == 0 and 'all' or len(failures)} {'passed' if not failures else 'failed'}")
    sys.exit(1 if failures else 0)
