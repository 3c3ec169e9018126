"""A deliberately wrong AIGIF reader, for tests/conformance/test_conformance_runner.py: ``wrong_reader.py MODE FILE``.

Each MODE misbehaves in one way the conformance runner must catch (or, for ``reference`` and
``orphan``, behaves like ``aigif info --json``). Not a test module: pytest does not collect it.
"""

import json
import os
import resource
import signal
import subprocess
import sys
import time


def reference(path, quiet=False):
    """The canonical JSON of a valid file; for another, exit 1 naming the code, like ``aigif info --json``."""
    import aigif

    try:
        doc = aigif.to_json(aigif.read(path))
    except aigif.AigifError as err:
        if not quiet:
            sys.stderr.write(f"wrong_reader: {err.message} [{err.code}]\n")
        sys.exit(1)
    return doc


def main():
    mode, path = sys.argv[1], sys.argv[-1]
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core files from the crashing modes
    if mode == "reference":
        print(json.dumps(reference(path)))
    elif mode == "accept-all":  # prints one fixed, valid-looking JSON for every file
        print(json.dumps({"version": 1, "data": {"prompt": "x"}}))
    elif mode == "accept-all-real":  # the right JSON for valid files, and {} for the rest
        try:
            print(json.dumps(reference(path, quiet=True)))
        except SystemExit:
            print("{}")
    elif mode == "reject-all":  # exit 1 without naming any code
        sys.stderr.write("cannot read this file\n")
        sys.exit(1)
    elif mode == "float-seed":  # the seed as a double: wrong above 2^53
        doc = reference(path)
        doc["data"]["seed"] = float(doc["data"]["seed"])
        print(json.dumps(doc))
    elif mode == "int-bools":  # booleans printed as 0/1
        doc = reference(path)
        for key in ("save_pixels", "save_model"):
            doc["compression"][key] = int(doc["compression"][key])
        print(json.dumps(doc))
    elif mode == "shuffled":  # keys in reverse order and extra white space: still equal (R11.4)
        doc = reference(path)
        doc = {key: (dict(reversed(list(value.items()))) if isinstance(value, dict) else value)
               for key, value in reversed(list(doc.items()))}
        print(json.dumps(doc, indent=7))
    elif mode == "extra-key":
        doc = reference(path)
        doc["data"]["comment"] = "made up"
        print(json.dumps(doc))
    elif mode == "wrong-code":  # rejects correctly but always names bad-signature (last), after the right code
        try:
            doc = reference(path, quiet=True)
        except SystemExit:
            sys.stdout.write("refused: truncated? no, a non-canonical-looking file [bad-signature]\n")
            sys.exit(1)
        print(json.dumps(doc))
    elif mode == "hang":  # never answers; leaves a child in its group, whose pid goes to $WRONG_READER_PIDS
        child = subprocess.Popen(["sleep", "60"])
        with open(os.environ["WRONG_READER_PIDS"], "a") as handle:
            handle.write(f"{os.getpid()} {child.pid}\n")
        time.sleep(60)
    elif mode == "orphan":  # answers correctly but leaves a child holding stdout open
        doc = reference(path)
        child = subprocess.Popen(["sleep", "60"])
        with open(os.environ["WRONG_READER_PIDS"], "a") as handle:
            handle.write(f"{os.getpid()} {child.pid}\n")
        print(json.dumps(doc), flush=True)
    elif mode == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    elif mode == "abort":
        os.abort()
    elif mode == "exit2":
        sys.stderr.write("usage: something [truncated]\n")
        sys.exit(2)
    elif mode == "garbage":
        sys.stdout.write("this is not JSON {\n")
    elif mode == "empty":
        pass
    elif mode == "not-utf8":
        sys.stdout.buffer.write(b'{"version": "\xff"}\n')
    elif mode == "array":
        print(json.dumps([{"version": 1}]))
    elif mode == "nan":
        sys.stdout.write('{"version": NaN}\n')
    elif mode == "duplicate":
        sys.stdout.write('{"version": 1, "version": 1}\n')
    elif mode in ("huge", "huge-stderr"):  # endless output
        stream = sys.stdout.buffer if mode == "huge" else sys.stderr.buffer
        block = b"x" * (1 << 20)
        while True:
            stream.write(block)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
