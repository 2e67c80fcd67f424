"""What the command-line tests share: usage SCRIPT BUILD_DIR SOURCE_DIR; the binary, the
bundled 2022 rulebook and records, a scratch folder, the check/finish protocol, and the
language a command runs in: English (LC_MESSAGES=en), or Chinese, the default, with no
language set in the environment at all."""
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


def environment(lang="en"):
    """The environment without LANG, LANGUAGE or LC_*; with LC_MESSAGES=en for English."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANG", "LANGUAGE", "RULEBOOK_LANG") and not k.startswith("LC_")}
    if WINDOWS:
        env["LANG"] = "C.UTF-8"  # Wine turns the command line into UTF-16 by the locale's code page
    if lang == "en":
        env["LC_MESSAGES"] = "en"
        env["RULEBOOK_LANG"] = "en"  # what reaches rulebook.exe under Wine
    return env


def run(*args, lang="en", **kwargs):
    return subprocess.run([CLI, *args], capture_output=True, env=environment(lang), **kwargs)


def run_zh(*args, **kwargs):
    """The command as a Chinese office runs it: no language set anywhere."""
    return run(*args, lang="zh", **kwargs)


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + ("" if condition else f": {detail}"))
    if not condition:
        failures.append(name)


def tmp(name):
    return os.path.join(TMP, name)


def finish():
    print(f"{len(failures) == 0 and 'all' or len(failures)} {'passed' if not failures else 'failed'}")
    sys.exit(1 if failures else 0)
