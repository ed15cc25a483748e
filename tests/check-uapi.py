#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the uapi header against the netlink spec.

Usage: check-uapi.py [--header H] [--spec S]

kernel/include/uapi/linux/smchan.h is written by hand;
Documentation/netlink/specs/smchan.yaml describes the same family. This
derives from the spec, with the naming rules of the kernel's YNL C code
generator (genetlink-c/legacy: name-prefix, enum-name, attr-cnt-name,
c-family-name...), every #define and enumerator the header must have, and
compares names and values both ways: an enum of the header that the spec
does not describe, or the reverse, fails too. It also checks that the
type word that starts an attribute's comment in the header ("u8:",
"string:", "binary,"...) is the spec's type, and that the multicast group
and family name match.

Prints one line per check and "N passed, N failed"; exits 1 on a failure.
Needs PyYAML (Debian: python3-yaml): installs it with apt-get when run as
root and it is missing.
"""

import argparse
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def import_yaml():
    try:
        import yaml  # noqa: F401
        return yaml
    except ImportError:
        pass
    if os.geteuid() != 0:
        sys.exit("check-uapi: PyYAML missing: apt-get install python3-yaml")
    print("check-uapi: installing python3-yaml", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=300", "update", "-qq"],
                   check=False, env=env, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y",
                    "-qq", "--no-install-recommends", "python3-yaml"],
                   check=True, env=env, stdin=subprocess.DEVNULL,
                   stdout=subprocess.DEVNULL)
    # A pyenv or venv python may not see Debian's package: use the system one.
    import importlib
    importlib.invalidate_caches()
    try:
        import yaml  # noqa: F401
        return yaml
    except ImportError:
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)


def c_upper(name):
    return name.upper().replace("-", "_")


def c_lower(name):
    return name.lower().replace("-", "_")


# --- the header -------------------------------------------------------------

ENUM_RE = re.compile(r"enum\s+(\w+)\s*\{(.*?)\};", re.S)
DEFINE_RE = re.compile(r"^#define\s+(\w+)\s+(.+?)\s*(?:/\*.*\*/)?\s*$", re.M)
ITEM_RE = re.compile(r"^\s*(\w+)\s*(?:=\s*([^,/]+?))?\s*,?\s*(?:/\*\s*(.*?)\s*\*/)?\s*$")


def parse_header(path):
    text = open(path).read()
    defines = {}
    for name, value in DEFINE_RE.findall(text):
        value = value.strip()
        if value.startswith('"'):
            defines[name] = value.strip('"')
        elif re.fullmatch(r"-?(0x[0-9a-fA-F]+|\d+)", value):
            defines[name] = int(value, 0)
        else:
            defines[name] = value
    enums = {}
    known = {}
    for ename, body in ENUM_RE.findall(text):
        items = []
        nxt = 0
        # Join comments that run over several lines.
        body = re.sub(r"/\*(.*?)\*/", lambda m: "/*" + " ".join(m.group(1).split()) + "*/",
                      body, flags=re.S)
        for line in body.splitlines():
            if not line.strip() or line.strip().startswith("/*"):
                continue
            m = ITEM_RE.match(line)
            if not m:
                raise SystemExit(f"check-uapi: cannot parse '{line.strip()}' in enum {ename}")
            name, expr, comment = m.groups()
            if expr is not None:
                value = eval(expr, {"__builtins__": {}}, dict(known))
            else:
                value = nxt
            known[name] = value
            nxt = value + 1
            items.append((name, value, comment or ""))
        enums[ename] = items
    return defines, enums


# --- the spec ---------------------------------------------------------------

def spec_expect(spec):
    """The defines and enums the header must have: ({name: value},
    {enum name: [(name, value)]}, {enum name: {item: spec type}})."""
    fam = spec["name"]
    defines = {}
    enums = {}
    types = {}

    defines[c_upper(spec.get("c-family-name", f"{fam}-family-name"))] = fam
    if "version" in spec:
        defines[c_upper(spec.get("c-version-name", f"{fam}-family-version"))] = spec["version"]

    for d in spec.get("definitions", []):
        if d["type"] == "const":
            defines[c_upper(d.get("name-prefix", f"{fam}-") + d["name"])] = d["value"]
        elif d["type"] in ("enum", "flags"):
            ename = c_lower(d.get("enum-name") or f"{fam}-{d['name']}")
            prefix = d.get("name-prefix", f"{fam}-{d['name']}-")
            value = d.get("value-start", 0)
            items = []
            for e in d["entries"]:
                if isinstance(e, str):
                    e = {"name": e}
                if "value" in e:
                    value = e["value"]
                v = (1 << value) if d["type"] == "flags" else value
                items.append((c_upper(prefix + e["name"]), v))
                value += 1
            enums[ename] = items

    for s in spec["attribute-sets"]:
        ename = c_lower(s.get("enum-name") or f"{fam}-{s['name']}-attrs")
        prefix = s.get("name-prefix", f"{fam}-a-{s['name']}-")
        items = []
        value = 1
        tmap = {}
        for a in s["attributes"]:
            if "value" in a:
                value = a["value"]
            n = c_upper(prefix + a["name"])
            items.append((n, value))
            tmap[n] = a["type"]
            value += 1
        cnt = c_upper(s.get("attr-cnt-name", f"--{prefix}max"))
        mx = c_upper(s.get("attr-max-name", f"{prefix}max"))
        items.append((cnt, value))
        items.append((mx, value - 1))
        enums[ename] = items
        types[ename] = tmap

    ops = spec["operations"]
    ename = c_lower(ops.get("enum-name") or f"{fam}-cmd")
    prefix = ops.get("name-prefix", f"{fam}-cmd-")
    items = []
    value = 1
    for o in ops["list"]:
        if "value" in o:
            value = o["value"]
        items.append((c_upper(prefix + o["name"]), value))
        value += 1
    enums[ename] = items

    for g in spec.get("mcast-groups", {}).get("list", []):
        defines[c_upper(f"{fam}-mcgrp-{g['name']}")] = g["name"]
    return defines, enums, types


# Type words the header's attribute comments start with.
TYPE_WORDS = {"string", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
              "binary", "flag", "nest"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--header", default=os.path.join(
        TOP, "kernel/include/uapi/linux/smchan.h"))
    ap.add_argument("--spec", default=os.path.join(
        TOP, "Documentation/netlink/specs/smchan.yaml"))
    args = ap.parse_args()
    yaml = import_yaml()

    spec = yaml.safe_load(open(args.spec))
    h_defs, h_enums = parse_header(args.header)
    s_defs, s_enums, s_types = spec_expect(spec)
    passed = failed = 0

    def check(ok, what, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"  ok    {what}")
        else:
            failed += 1
            print(f"  FAIL  {what}{': ' + detail if detail else ''}")

    check(spec.get("protocol") == "genetlink-legacy", "spec protocol genetlink-legacy",
          str(spec.get("protocol")))
    for name, value in sorted(s_defs.items()):
        check(h_defs.get(name) == value, f"#define {name} {value!r}",
              f"header has {h_defs.get(name)!r}")

    for ename, items in sorted(s_enums.items()):
        h = h_enums.get(ename)
        if h is None:
            check(False, f"enum {ename}", "not in the header")
            continue
        hv = [(n, v) for n, v, _ in h]
        check(hv == items, f"enum {ename} ({len(items)} names)",
              "differs:\n" + "\n".join(
                  f"        header {a!s:40} spec {b!s}"
                  for a, b in zip(hv + [None] * (len(items) - len(hv)),
                                  items + [None] * (len(hv) - len(items)))
                  if a != b))
        for n, _, comment in h:
            want = s_types.get(ename, {}).get(n)
            word = re.match(r"(\w+)\s*[:,]", comment)
            if want and word and word.group(1) in TYPE_WORDS:
                check(word.group(1) == want, f"{n} is {want}",
                      f"the header's comment says {word.group(1)}")
    for ename in sorted(set(h_enums) - set(s_enums)):
        check(False, f"enum {ename}", "in the header, not in the spec")

    # The operations name their attributes: each must exist in the set.
    sets = {s["name"]: {a["name"] for a in s["attributes"]} for s in spec["attribute-sets"]}
    bad = []
    for o in spec["operations"]["list"]:
        aset = sets.get(o.get("attribute-set"), set())
        for kind in ("do", "dump"):
            for part in ("request", "reply"):
                for a in ((o.get(kind) or {}).get(part) or {}).get("attributes", []):
                    if a not in aset:
                        bad.append(f"{o['name']} {kind} {part}: {a}")
        for a in (o.get("event") or {}).get("attributes", []):
            if a not in aset:
                bad.append(f"{o['name']} event: {a}")
        if "mcgrp" in o and o["mcgrp"] not in [
                g["name"] for g in spec.get("mcast-groups", {}).get("list", [])]:
            bad.append(f"{o['name']}: unknown mcgrp {o['mcgrp']}")
    check(not bad, "operations name known attributes and groups", "; ".join(bad))
    for s in spec["attribute-sets"]:
        for a in s["attributes"]:
            if a["type"] == "nest" and a.get("nested-attributes") not in sets:
                check(False, f"{a['name']}: nested set {a.get('nested-attributes')}")
    # The reply never carries the key.
    leaks = [o["name"] for o in spec["operations"]["list"]
             for kind in ("do", "dump", "event")
             for part in (("reply",) if kind != "event" else (None,))
             if "mkey" in (((o.get(kind) or {}).get(part) if part else o.get(kind)) or {})
             .get("attributes", [])]
    check(not leaks, "no reply or event carries mkey", ", ".join(leaks))

    print(f"check-uapi: {passed} passed, {failed} failed")
    if os.environ.get("SMCHAN_RESULTS"):
        with open(os.environ["SMCHAN_RESULTS"], "a") as f:
            f.write(f"uapi {passed} {failed}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
