#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check the uapi header and the kernel's policy against the netlink spec.

Usage: check-uapi.py [--header H] [--spec S] [--policy C] [--ynl auto|yes|no]

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

The policy: it parses kernel/netlink.c (--policy): the nla_policy arrays,
the range structs and validate functions they name, the family, its ops
and multicast groups, and the attributes the reply and event builders put,
and compares them with the spec both ways. Each attribute's type and the
set of values or lengths it accepts must be the ones the spec's checks
(plus the checks its doc lists as "Policy checks ynl-gen-c 6.12 cannot
express: ...; ...") give, the way ynl-gen-c turns a spec into a global
policy: an attribute no request carries (and a pad) must be refused,
enum attributes are limited to the enum's range. Validation is strict
(the family has genl_ops without GENL_DONT_VALIDATE_STRICT), so NLA_UNSPEC
or a missing entry refuses the attribute like NLA_REJECT.

The generator (--ynl, default auto): with /usr/src/linux-source-6.12.tar.xz
(installed with apt-get when run as root and missing), tools/net/ynl and
the genetlink schemas are extracted once to build/ynl-6.12/, the spec is
copied into that tree, and ynl-gen-c.py (which validates it against the
genetlink-legacy schema) must accept it in kernel, uapi and user modes;
the policy it generates must match the spec's checks. "auto" skips this
(counted as skipped) when the source cannot be had; "yes" fails then.

Prints one line per check and "N passed, N failed"; exits 1 on a failure.
Needs PyYAML (Debian: python3-yaml), and for the generator
python3-jsonschema: installs them with apt-get when run as root and they
are missing.
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
    if not apt_install("python3-yaml"):
        sys.exit("check-uapi: PyYAML missing: apt-get install python3-yaml")
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

# The ops enum's count and max names, which ynl-gen-c adds and the header
# may lack (a note, not a failure): {enum name: [(name, value)] * 2}.
OPTIONAL_TAIL = {}


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
    # ynl-gen-c ends the ops enum with these two (see OPTIONAL_TAIL).
    items.append((c_upper(spec.get("cmd-cnt-name", f"--{prefix}max")), value))
    items.append((c_upper(spec.get("cmd-max-name", f"{prefix}max")), value - 1))
    enums[ename] = items
    OPTIONAL_TAIL[ename] = items[-2:]

    for g in spec.get("mcast-groups", {}).get("list", []):
        defines[c_upper(f"{fam}-mcgrp-{g['name']}")] = g["name"]
    return defines, enums, types


# --- the policy in C ----------------------------------------------------------

# Values the kernel's headers give (include/linux/err.h, limits.h).
KERNEL_CONSTS = {"MAX_ERRNO": 4095, "U8_MAX": 0xff, "U16_MAX": 0xffff,
                 "U32_MAX": 0xffffffff, "U64_MAX": (1 << 64) - 1,
                 "S8_MAX": 127, "S16_MAX": 32767, "S32_MAX": (1 << 31) - 1}

INT_BOUNDS = {"u8": (0, 0xff), "u16": (0, 0xffff), "u32": (0, 0xffffffff),
              "u64": (0, (1 << 64) - 1), "s8": (-128, 127),
              "s16": (-32768, 32767), "s32": (-(1 << 31), (1 << 31) - 1),
              "s64": (-(1 << 63), (1 << 63) - 1)}


class PolicyError(Exception):
    pass


def strip_comments(text):
    return re.sub(r"/\*.*?\*/|//[^\n]*", " ", text, flags=re.S)


def c_eval(expr, env):
    """The value of a C integer constant expression of known names."""
    def name(m):
        n = m.group(0)
        if n in env:
            return f"({env[n]})"
        raise PolicyError(f"unknown name {n} in '{expr.strip()}'")
    e = re.sub(r"\b(0[xX][0-9a-fA-F]+|\d+)[uUlL]+\b", r"\1", expr)
    e = re.sub(r"\b[A-Za-z_]\w*\b", name, e)
    if not re.fullmatch(r"[\s0-9a-fA-FxX()+\-*/%<>|&~]*", e):
        raise PolicyError(f"cannot evaluate '{expr.strip()}'")
    try:
        return int(eval(e.replace("/", "//"), {"__builtins__": {}}))
    except Exception as ex:
        raise PolicyError(f"cannot evaluate '{expr.strip()}': {ex}")


def split_top(text, sep=","):
    """Split at the separators that are not inside (), {} or []."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "({[":
            depth += 1
        elif ch in ")}]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def braced(text, start):
    """The text between the brace at text[start] and its match."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start + 1:i]
    raise PolicyError("unbalanced braces")


def c_arrays(text, struct):
    """{name: [initialiser text...]} of the arrays of struct @struct."""
    out = {}
    for m in re.finditer(r"struct\s+" + struct + r"\s+(\w+)\s*\[[^\]]*\]\s*(?:__\w+\s*)?=\s*\{",
                         text):
        out[m.group(1)] = split_top(braced(text, m.end() - 1))
    return out


def designated(init):
    """{field: value text} of '{ .a = x, .b = y }' (or without braces)."""
    init = init.strip()
    if init.startswith("{"):
        init = braced(init, 0)
    fields = {}
    for part in split_top(init):
        m = re.fullmatch(r"\.(\w+)\s*=\s*(.+)", part, re.S)
        if not m:
            raise PolicyError(f"cannot read initialiser '{part}'")
        fields[m.group(1)] = " ".join(m.group(2).split())
    return fields


def c_functions(text):
    """{name: body} of the functions defined at file scope."""
    out = {}
    for m in re.finditer(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(([^;{)]*)\)\s*\{", text, re.M):
        out[m.group(1)] = braced(text, m.end() - 1)
    return out


def c_env(paths, header_defs, header_enums):
    """Names to values: the kernel's constants, the header's, then the
    #defines of the module's own headers."""
    env = dict(KERNEL_CONSTS)
    for items in header_enums.values():
        for n, v, _ in items:
            env[n] = v
    for n, v in header_defs.items():
        if isinstance(v, int):
            env[n] = v
    raw = {}
    for p in paths:
        for n, v in DEFINE_RE.findall(strip_comments(open(p).read())):
            raw.setdefault(n, v)
    for _ in range(5):  # defines of defines
        for n, v in raw.items():
            if n not in env:
                try:
                    env[n] = c_eval(v, env)
                except PolicyError:
                    pass
    return env


LEN_RE = r"nla_len\(\s*\w+\s*\)"


def validate_fn_checks(name, funcs, env):
    """The length checks of a validate function, as {min-len, max-len,
    exact-len, lengths}: each 'if' must test nla_len() against constants."""
    if name not in funcs:
        raise PolicyError(f"validate function {name} not found")
    body = funcs[name]
    conds = re.findall(r"\bif\s*\((.*?)\)\s*\{", body, re.S)
    if len(conds) != len(re.findall(r"\bif\b", body)) or not conds:
        raise PolicyError(f"cannot read validate function {name}")
    out = {}
    for cond in conds:
        cond = " ".join(cond.split())
        alts = [c.strip() for c in cond.split("&&")]
        if len(alts) > 1:
            vals = []
            for a in alts:
                m = re.fullmatch(LEN_RE + r"\s*!=\s*(.+)", a)
                if not m:
                    raise PolicyError(f"{name}: cannot read '{cond}'")
                vals.append(c_eval(m.group(1), env))
            out["lengths"] = tuple(sorted(vals))
            continue
        for a in cond.split("||"):
            m = re.fullmatch(LEN_RE + r"\s*(<|>|!=)\s*(.+)", a.strip())
            if not m:
                raise PolicyError(f"{name}: cannot read '{cond}'")
            v = c_eval(m.group(2), env)
            out[{"<": "min-len", ">": "max-len", "!=": "exact-len"}[m.group(1)]] = v
    return out


def nla_model(nla, length=None, lo=None, hi=None, lens=None, nested=None):
    """The canonical model of a policy entry: what it accepts."""
    if nla in ("NLA_REJECT", "NLA_UNSPEC"):
        # Strict validation refuses NLA_UNSPEC too ("Unsupported attribute").
        return ("reject",)
    m = re.fullmatch(r"NLA_([US](?:8|16|32|64))", nla)
    if m:
        t = m.group(1).lower()
        blo, bhi = INT_BOUNDS[t]
        return (t, blo if lo is None else lo, bhi if hi is None else hi)
    if nla in ("NLA_NUL_STRING", "NLA_STRING"):
        return ("string", nla == "NLA_NUL_STRING", length or None)
    if nla == "NLA_BINARY":
        return binary_model((lens or {}).get("min-len"),
                            (lens or {}).get("max-len", length or None),
                            (lens or {}).get("exact-len"), (lens or {}).get("lengths"))
    if nla == "NLA_FLAG":
        return ("flag",)
    if nla == "NLA_NESTED":
        return ("nest", nested)
    raise PolicyError(f"policy type {nla} not modelled")


def binary_model(min_len, max_len, exact, lengths):
    lo = max([v for v in (min_len, exact) if v is not None] +
             ([min(lengths)] if lengths else []), default=0)
    highs = [v for v in (max_len, exact) if v is not None] + \
        ([max(lengths)] if lengths else [])
    hi = min(highs) if highs else None
    if lengths:
        lengths = tuple(v for v in lengths if lo <= v and (hi is None or v <= hi))
    return ("binary", lo, hi, lengths or None)


def policy_entry(init, env, ranges, funcs):
    v = " ".join(init.split())
    m = re.fullmatch(r"NLA_POLICY_(\w+)\((.*)\)", v)
    if m:
        kind, args = m.group(1), split_top(m.group(2))
        if kind == "RANGE":
            return nla_model(args[0], lo=c_eval(args[1], env), hi=c_eval(args[2], env))
        if kind == "MIN":
            return nla_model(args[0], lo=c_eval(args[1], env))
        if kind == "MAX":
            return nla_model(args[0], hi=c_eval(args[1], env))
        if kind == "FULL_RANGE":
            r = ranges.get(args[1].lstrip("&").strip())
            if r is None:
                raise PolicyError(f"range {args[1]} not found")
            return nla_model(args[0], lo=r.get("min"), hi=r.get("max"))
        if kind == "VALIDATE_FN":
            length = c_eval(args[2], env) if len(args) > 2 else None
            return nla_model(args[0], length=length,
                             lens=validate_fn_checks(args[1], funcs, env))
        if kind == "EXACT_LEN":
            return binary_model(None, None, c_eval(args[0], env), None)
        if kind == "MIN_LEN":
            return binary_model(c_eval(args[0], env), None, None, None)
        if kind == "MAX_LEN":
            return binary_model(None, c_eval(args[0], env), None, None)
        if kind == "NESTED":
            return ("nest", args[0])
        raise PolicyError(f"NLA_POLICY_{kind} not modelled")
    f = designated(v)
    unknown = set(f) - {"type", "len"}
    if unknown:
        raise PolicyError(f"policy fields {sorted(unknown)} not modelled")
    length = c_eval(f["len"], env) if "len" in f else None
    return nla_model(f.get("type", "NLA_UNSPEC"), length=length)


def parse_policy_file(path, env):
    """The policy arrays ({name: {attr value: model}}), the family's
    fields, its ops, its multicast group names, and the functions."""
    text = strip_comments(open(path).read())
    funcs = c_functions(text)
    ranges = {}
    for m in re.finditer(r"struct\s+netlink_range_validation(?:_signed)?\s+(\w+)\s*=\s*(\{.*?\})\s*;",
                         text, re.S):
        ranges[m.group(1)] = {k: c_eval(v, env) for k, v in designated(m.group(2)).items()}
    policies = {}
    for name, entries in c_arrays(text, "nla_policy").items():
        pol = {}
        for e in entries:
            m = re.fullmatch(r"\[\s*([^\]]+?)\s*\]\s*=\s*(.+)", e, re.S)
            if not m:
                raise PolicyError(f"{name}: cannot read '{e}'")
            pol[c_eval(m.group(1), env)] = (" ".join(m.group(2).split()),
                                            policy_entry(m.group(2), env, ranges, funcs))
        policies[name] = pol
    fam = {}
    for m in re.finditer(r"struct\s+genl_family\s+(\w+)\s*(?:__\w+\s*)?=\s*\{", text):
        fam = designated(braced(text, m.end() - 1))
    ops = [designated(o) for o in c_arrays(text, "genl_(?:small_|split_)?ops").get(
        fam.get("ops", ""), [])]
    mcgrps = [designated(g) for g in c_arrays(text, "genl_multicast_group").get(
        fam.get("mcgrps", ""), [])]
    return policies, fam, ops, mcgrps, funcs


# --- the policy the spec gives -----------------------------------------------

EXTRA_RE = re.compile(r"Policy checks ynl-gen-c 6\.12 cannot express:\s*(.*?)\.(?:\s|$)")


def doc_extras(doc):
    """The checks an attribute's doc lists as inexpressible."""
    m = EXTRA_RE.search(" ".join((doc or "").split()))
    if not m:
        return {}
    out = {}
    for item in m.group(1).split(";"):
        item = item.strip()
        mm = re.fullmatch(r"(min-len|max-len|exact-len|min|max)\s+([\w-]+)", item)
        if mm:
            out[mm.group(1)] = mm.group(2)
            continue
        mm = re.fullmatch(r"length\s+(\d+(?:\s+or\s+\d+)+)", item)
        if mm:
            out["lengths"] = tuple(sorted(int(x) for x in mm.group(1).split("or")))
            continue
        raise PolicyError(f"cannot read '{item}' in the doc's inexpressible checks")
    return out


def spec_limit(v, consts):
    """A check's value: a number, a const of the spec, or u8-max and the like."""
    if isinstance(v, int):
        return v
    if v in consts:
        return consts[v]
    m = re.fullmatch(r"([us](?:8|16|32|64))-(min|max)", str(v))
    if m:
        return INT_BOUNDS[m.group(1)][m.group(2) == "max"]
    if re.fullmatch(r"\d+", str(v)):
        return int(v)
    raise PolicyError(f"unknown limit {v!r}")


def spec_models(spec, set_name, request, extras=True, nested_policy=None):
    """{attr value: (name, model)} of the set, as a global policy that
    ynl-gen-c generates from the spec: attributes no request carries
    refused. @extras: add the checks the docs list as inexpressible."""
    consts = {d["name"]: d["value"] for d in spec.get("definitions", [])
              if d["type"] == "const"}
    enums = {}
    for d in spec.get("definitions", []):
        if d["type"] in ("enum", "flags"):
            v, vals = d.get("value-start", 0), []
            for e in d["entries"]:
                if isinstance(e, dict) and "value" in e:
                    v = e["value"]
                vals.append(v)
                v += 1
            enums[d["name"]] = (d["type"], vals)
    aset = next(s for s in spec["attribute-sets"] if s["name"] == set_name)
    out = {}
    value = 1
    for a in aset["attributes"]:
        if "value" in a:
            value = a["value"]
        out[value] = (a["name"], spec_attr_model(a, consts, enums, request, extras,
                                                 nested_policy))
        value += 1
    return out


def spec_attr_model(a, consts, enums, request, extras, nested_policy):
    t = a["type"]
    if t == "pad" or a["name"] not in request:
        return ("reject",)
    checks = dict(a.get("checks") or {})
    more = doc_extras(a.get("doc")) if extras else {}
    if t in INT_BOUNDS:
        lo, hi = INT_BOUNDS[t]
        if "enum" in a:
            etype, vals = enums[a["enum"]]
            if etype == "flags":
                raise PolicyError(f"{a['name']}: flags enums not modelled")
            if "min" not in checks and (min(vals) != 0 or t[0] == "s"):
                checks["min"] = min(vals)
            if "max" not in checks:
                checks["max"] = max(vals)
        for k in set(checks) - {"min", "max"}:
            raise PolicyError(f"{a['name']}: check {k} not modelled")
        checks.update(more)
        return (t, spec_limit(checks.get("min", lo), consts),
                spec_limit(checks.get("max", hi), consts))
    if t == "string":
        for k in set(checks) - {"max-len", "unterminated-ok"}:
            raise PolicyError(f"{a['name']}: check {k} not modelled")
        checks.update(more)
        ml = checks.get("max-len")
        return ("string", not checks.get("unterminated-ok", False),
                spec_limit(ml, consts) if ml is not None else None)
    if t == "binary":
        checks.update(more)
        g = {k: (spec_limit(checks[k], consts) if k in checks else None)
             for k in ("min-len", "max-len", "exact-len")}
        return binary_model(g["min-len"], g["max-len"], g["exact-len"],
                            checks.get("lengths"))
    if t == "flag":
        return ("flag",)
    if t == "nest":
        return ("nest", (nested_policy or {}).get(a.get("nested-attributes")))
    raise PolicyError(f"{a['name']}: type {t} not modelled")


def model_str(m):
    if m[0] == "reject":
        return "refused"
    if m[0] in INT_BOUNDS:
        return f"{m[0]} {m[1]}..{m[2]}"
    if m[0] == "string":
        return f"{'nul-' if m[1] else ''}string max-len {m[2]}"
    if m[0] == "binary":
        s = f"binary len {m[1]}..{m[2] if m[2] is not None else ''}"
        return s + (f" in {list(m[3])}" if m[3] else "")
    if m[0] == "nest":
        return f"nest {m[1]}"
    return m[0]


def request_attrs(spec, set_name):
    req = set()
    for o in spec["operations"]["list"]:
        if o.get("attribute-set") != set_name:
            continue
        for kind in ("do", "dump"):
            req.update(((o.get(kind) or {}).get("request") or {}).get("attributes", []))
    return req


# The functions of kernel/netlink.c that build each reply and event of the
# spec: the attributes they put (following the calls they make) must be
# the operation's list.
BUILDERS = {
    "fill_channel": [("channel-new", "do"), ("channel-set", "do"),
                     ("channel-get", "do"), ("channel-get", "dump")],
    "reply_start": [("session-start", "do")],
    "nl_transmit": [("transmit", "event")],
    "send_event": [("event", "event")],
}
PUT_RE = re.compile(r"\bnla_(?:put\w*|nest_start\w*)\(\s*\w+\s*,\s*(\w+)")


def puts(func, funcs, seen=None):
    seen = seen if seen is not None else set()
    if func in seen or func not in funcs:
        return set()
    seen.add(func)
    body = funcs[func]
    out = set(PUT_RE.findall(body))
    for callee in re.findall(r"\b(\w+)\s*\(", body):
        if callee in funcs:
            out |= puts(callee, funcs, seen)
    return out


def spec_enum_names(spec):
    """{set name: {C name: attr name}} of the attribute sets."""
    fam = spec["name"]
    out = {}
    for s in spec["attribute-sets"]:
        prefix = s.get("name-prefix", f"{fam}-a-{s['name']}-")
        out[s["name"]] = {c_upper(prefix + a["name"]): a["name"] for a in s["attributes"]}
    return out


def compare_set(check, what, spec_m, pol, maxattr):
    """One check per attribute: the policy @pol ({value: (text, model)},
    attributes above @maxattr refused) against the spec's models."""
    top = max(list(spec_m) + list(pol))
    for v in range(1, top + 1):
        name = spec_m[v][0] if v in spec_m else f"#{v}"
        want = spec_m[v][1] if v in spec_m else ("reject",)
        text, have = pol.get(v, ("(no entry)", ("reject",)))
        if maxattr is not None and v > maxattr:
            have = ("reject",)
            text += f" (above maxattr {maxattr})"
        if v not in spec_m and v not in pol:
            continue
        check(have == want, f"{what} {name}: {model_str(want)}",
              f"the policy has {text} = {model_str(have)}")


def check_policy(spec, args, h_defs, h_enums, check):
    kdir = os.path.dirname(os.path.abspath(args.policy))
    env = c_env(sorted(os.path.join(kdir, f) for f in os.listdir(kdir) if f.endswith(".h")),
                h_defs, h_enums)
    try:
        policies, fam, ops, mcgrps, funcs = parse_policy_file(args.policy, env)
    except PolicyError as e:
        check(False, f"parse {os.path.relpath(args.policy, TOP)}", str(e))
        return
    if not fam:
        check(False, f"{os.path.relpath(args.policy, TOP)}: a struct genl_family initialiser")
        return
    fname = spec["name"]
    names = spec_enum_names(spec)
    root = spec["operations"]["list"][0]["attribute-set"]

    # The family.
    check(h_defs.get(fam.get("name")) == fname, f"genl_family .name is \"{fname}\"",
          str(fam.get("name")))
    check(env.get(fam.get("version")) == spec.get("version", 1),
          f"genl_family .version is {spec.get('version', 1)}", str(fam.get("version")))
    pol_name = fam.get("policy")
    check(pol_name in policies, f"genl_family .policy is an nla_policy array ({pol_name})")
    if pol_name not in policies:
        return
    try:
        maxattr = c_eval(fam.get("maxattr", "0"), env)
        # A nested attribute of a request names the policy of its set.
        nested = {}
        aset = next(s for s in spec["attribute-sets"] if s["name"] == root)
        for v, (n, _) in spec_models(spec, root, set()).items():
            a = next(x for x in aset["attributes"] if x["name"] == n)
            m = policies[pol_name].get(v, ("", ("reject",)))[1]
            if a["type"] == "nest" and m[0] == "nest" and m[1]:
                nested[a["nested-attributes"]] = m[1]
        req = request_attrs(spec, root)
        compare_set(check, "policy", spec_models(spec, root, req, nested_policy=nested),
                    policies[pol_name], maxattr)
        for set_name, pname in nested.items():
            sub = policies.get(pname)
            check(sub is not None, f"nested policy {pname} for set {set_name}")
            if sub is not None:
                aset = next(s for s in spec["attribute-sets"] if s["name"] == set_name)
                compare_set(check, f"policy {set_name}",
                            spec_models(spec, set_name, {a["name"] for a in aset["attributes"]}),
                            sub, None)
    except PolicyError as e:
        check(False, "compare the policy with the spec", str(e))

    # The ops: do, dump and admin-perm as the spec says; events have none.
    by_cmd = {}
    for o in ops:
        try:
            by_cmd[c_eval(o.get("cmd", "0"), env)] = o
        except PolicyError as e:
            check(False, "genl ops", str(e))
    prefix = spec["operations"].get("name-prefix", f"{fname}-cmd-")
    value = 1
    seen = set()
    for o in spec["operations"]["list"]:
        if "value" in o:
            value = o["value"]
        cname = c_upper(prefix + o["name"])
        have = by_cmd.get(value)
        seen.add(value)
        value += 1
        if "do" not in o and "dump" not in o:
            check(have is None and not o.get("flags"),
                  f"op {cname}: an event only, not in the ops table, no flags",
                  "in the ops table" if have else f"flags {o.get('flags')}")
            continue
        want = ("do" in o, "dump" in o, "admin-perm" in o.get("flags", []))
        got = (bool(have and have.get("doit")), bool(have and have.get("dumpit")),
               bool(have and "GENL_ADMIN_PERM" in have.get("flags", "")))
        check(want == got,
              f"op {cname}: do {want[0]}, dump {want[1]}, admin-perm {want[2]}",
              f"the ops table has do {got[0]}, dump {got[1]}, admin-perm {got[2]}")
    extra = sorted(set(by_cmd) - seen)
    check(not extra, "the ops table has no command the spec lacks", str(extra))

    groups = sorted(h_defs.get(g.get("name"), g.get("name")) for g in mcgrps)
    want = sorted(g["name"] for g in spec.get("mcast-groups", {}).get("list", []))
    check(groups == want, f"multicast groups {want}", f"the family has {groups}")

    # Replies and events: the attributes put are the spec's lists.
    opmap = {o["name"]: o for o in spec["operations"]["list"]}
    covered = set()
    c2name = {}
    for m in names.values():
        c2name.update(m)
    for func, uses in BUILDERS.items():
        got = {c2name.get(c, c) for c in puts(func, funcs)
               if c in names[root]} - {"pad"}
        for op, kind in uses:
            covered.add((op, kind))
            o = opmap.get(op, {})
            part = o.get(kind) or {}
            want = set((part if kind == "event" else part.get("reply") or {})
                       .get("attributes", []))
            check(func in funcs and got == want, f"{op} {kind} {'reply ' if kind != 'event' else ''}"
                  f"attributes are what {func}() puts",
                  f"spec only: {sorted(want - got)}; {func}() only: {sorted(got - want)}"
                  if func in funcs else f"{func}() not found")
    for o in spec["operations"]["list"]:
        for kind in ("do", "dump", "event"):
            part = o.get(kind) or {}
            if (part if kind == "event" else part.get("reply")) and (o["name"], kind) not in covered:
                check(False, f"{o['name']} {kind}: no builder in BUILDERS to compare with")
    # Nested sets put by the builders: every attribute but the pad.
    for s in spec["attribute-sets"]:
        if s["name"] == root:
            continue
        got = set()
        for func in BUILDERS:
            got |= {names[s["name"]][c] for c in puts(func, funcs) if c in names[s["name"]]}
        want = {a["name"] for a in s["attributes"] if a["type"] != "pad"}
        check(got == want, f"set {s['name']}: the builders put all its attributes",
              f"spec only: {sorted(want - got)}; code only: {sorted(got - want)}")


# --- ynl-gen-c of Linux 6.12 -------------------------------------------------

YNL_TARBALL = "/usr/src/linux-source-6.12.tar.xz"
YNL_DIR = os.path.join(TOP, "build", "ynl-6.12")
YNL_MODES = [("kernel", "--header", "smchan-nl.h"), ("kernel", "--source", "smchan-nl.c"),
             ("uapi", "--header", "smchan.h"), ("user", "--header", "smchan-user.h"),
             ("user", "--source", "smchan-user.c")]


def apt_install(*pkgs):
    """apt-get install @pkgs (as root), with an update if the first try
    fails; True when it worked."""
    if os.geteuid() != 0:
        return False
    print(f"check-uapi: installing {' '.join(pkgs)}", file=sys.stderr)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    cmd = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-qq",
           "--no-install-recommends", *pkgs]
    kw = dict(env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    if subprocess.run(cmd, **kw).returncode == 0:
        return True
    subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=300", "update", "-qq"], **kw)
    return subprocess.run(cmd, **kw).returncode == 0


def ynl_python():
    """A python with PyYAML and jsonschema, which ynl-gen-c.py needs."""
    probe = "import yaml, jsonschema"
    for py in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        if os.path.exists(py) and subprocess.run(
                [py, "-c", probe], stderr=subprocess.DEVNULL).returncode == 0:
            return py
    if apt_install("python3-yaml", "python3-jsonschema") and subprocess.run(
            ["/usr/bin/python3", "-c", probe], stderr=subprocess.DEVNULL).returncode == 0:
        return "/usr/bin/python3"
    return None


def ynl_tree():
    """build/ynl-6.12: tools/net/ynl and the genetlink schemas of the
    tarball, extracted once (again when the tarball changes), and an empty
    MAINTAINERS, by which ynl-gen-c.py finds the top of the tree."""
    st = os.stat(YNL_TARBALL)
    stamp = f"{YNL_TARBALL} {st.st_size} {int(st.st_mtime)}\n"
    stamp_file = os.path.join(YNL_DIR, ".source")
    try:
        if open(stamp_file).read() == stamp:
            return None
    except OSError:
        pass
    tmp = f"{YNL_DIR}.tmp.{os.getpid()}"
    subprocess.run(["rm", "-rf", tmp], check=True)
    os.makedirs(tmp)
    r = subprocess.run(["tar", "-xJf", YNL_TARBALL, "-C", tmp, "--strip-components=1",
                        "--wildcards", "*/tools/net/ynl/*",
                        "*/Documentation/netlink/genetlink*.yaml"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        subprocess.run(["rm", "-rf", tmp])
        return f"extracting {YNL_TARBALL} failed: {r.stdout.strip()[-500:]}"
    os.makedirs(os.path.join(tmp, "Documentation/netlink/specs"), exist_ok=True)
    open(os.path.join(tmp, "MAINTAINERS"), "w").close()
    open(os.path.join(tmp, ".source"), "w").write(stamp)
    subprocess.run(["rm", "-rf", YNL_DIR], check=True)
    os.rename(tmp, YNL_DIR)
    return None


def run_ynl(args, spec, h_defs, h_enums, check):
    """Run ynl-gen-c.py of 6.12 on a copy of the spec in its tree; return
    the number of checks skipped."""
    def skip(why):
        if args.ynl == "yes":
            check(False, "ynl-gen-c 6.12", why)
            return 0
        print(f"  SKIP  ynl-gen-c 6.12: {why}")
        return 1

    if not os.path.exists(YNL_TARBALL) and not apt_install("linux-source-6.12"):
        return skip(f"no {YNL_TARBALL} (apt-get install linux-source-6.12, as root)")
    if not os.path.exists(YNL_TARBALL):
        return skip(f"installing linux-source-6.12 did not give {YNL_TARBALL}")
    py = ynl_python()
    if py is None:
        return skip("no python with PyYAML and jsonschema "
                    "(apt-get install python3-yaml python3-jsonschema)")
    err = ynl_tree()
    if err:
        check(False, "ynl-gen-c 6.12: the tree", err)
        return 0
    specs = os.path.join(YNL_DIR, "Documentation/netlink/specs")
    copy = os.path.join(specs, os.path.basename(args.spec))
    with open(args.spec) as src, open(copy, "w") as dst:
        dst.write(src.read())
    out = os.path.join(YNL_DIR, "out")
    os.makedirs(out, exist_ok=True)
    ok_all = True
    for mode, kind, name in YNL_MODES:
        target = os.path.join(out, name)
        if os.path.exists(target):
            os.unlink(target)
        try:
            r = subprocess.run([py, os.path.join(YNL_DIR, "tools/net/ynl/ynl-gen-c.py"),
                                "--mode", mode, kind, "--spec", copy, "-o", target],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, timeout=120, cwd=out)
            lines = r.stdout.strip().splitlines()
            # A schema error's message comes first, then the whole spec.
            why = [ln for ln in lines if re.match(r"\w[\w.]*(Error|Exception): ", ln)]
            msg = "\n        ".join((why[:1] + ["..."] if why else []) + lines[-4:])
            ok = r.returncode == 0 and os.path.exists(target)
        except subprocess.TimeoutExpired:
            ok, msg = False, "timed out"
        ok_all &= ok
        check(ok, f"ynl-gen-c 6.12 --mode {mode} {kind} accepts the spec "
              "(and its schema validation)", msg)
    if not ok_all:
        return 0

    # The policy it generates is the spec's checks (without the ones the
    # docs list as inexpressible). 6.12 renders a binary min-len as
    # { .len = N } (type NLA_UNSPEC): read that as what it means to say.
    gen = os.path.join(out, "smchan-nl.c")
    text = open(gen).read()
    text = re.sub(r"=\s*\{\s*\.len\s*=\s*(\w+)\s*,?\s*\}",
                  r"= NLA_POLICY_MIN_LEN(\1)", text)
    unspec = sorted(set(re.findall(r"\[(\w+)\]\s*=\s*NLA_POLICY_MIN_LEN", text)))
    tmp = gen + ".read"
    open(tmp, "w").write(text)
    env = c_env([], h_defs, h_enums)
    try:
        policies, fam, _, _, _ = parse_policy_file(tmp, env)
        root = spec["operations"]["list"][0]["attribute-set"]
        name = f"{c_lower(spec['name'])}_nl_policy"
        check(name in policies, f"ynl-gen-c 6.12 made a global policy {name}")
        if name in policies:
            compare_set(check, "ynl-gen-c 6.12 policy",
                        spec_models(spec, root, request_attrs(spec, root), extras=False),
                        policies[name], None)
    except PolicyError as e:
        check(False, "read the policy ynl-gen-c 6.12 made", str(e))
    if unspec:
        print(f"  note  6.12 renders {', '.join(unspec)} as {{ .len = N }} (NLA_UNSPEC), "
              "which strict validation refuses: the policy stays hand-written")

    # The uapi header it generates has the hand-written one's names and values.
    g_defs, g_enums = parse_header(os.path.join(out, "smchan.h"))
    bad = [f"#define {n}: {v!r} vs {h_defs.get(n)!r}" for n, v in g_defs.items()
           if n != "_UAPI_LINUX_SMCHAN_H" and h_defs.get(n) != v]
    for e, items in g_enums.items():
        gv = [(n, v) for n, v, _ in items]
        hv = [(n, v) for n, v, _ in h_enums.get(e, [])]
        if gv != hv and not (OPTIONAL_TAIL.get(e) and gv[-2:] == OPTIONAL_TAIL[e]
                             and gv[:-2] == hv):
            bad.append(f"enum {e}")
    bad += [f"enum {e} not generated" for e in set(h_enums) - set(g_enums)]
    check(not bad, "the uapi header ynl-gen-c 6.12 makes has the header's names and values",
          "; ".join(bad))
    return 0


# Header #defines that are not the family's: the include guard, and the
# /dev/smchan ioctl (Documentation/userspace-api.rst).
NOT_FAMILY_RE = re.compile(r"_UAPI_LINUX_SMCHAN_H$|SMCHAN_IOC_|SMCHAN_HOLD_MAX_MS$")

# Type words the header's attribute comments start with.
TYPE_WORDS = {"string", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64",
              "binary", "flag", "nest"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--header", default=os.path.join(
        TOP, "kernel/include/uapi/linux/smchan.h"))
    ap.add_argument("--spec", default=os.path.join(
        TOP, "Documentation/netlink/specs/smchan.yaml"))
    ap.add_argument("--policy", default=os.path.join(TOP, "kernel/netlink.c"),
                    help="the C file with the family and its policy; the .h files "
                    "next to it give the values of its names")
    ap.add_argument("--ynl", choices=("auto", "yes", "no"),
                    default=os.environ.get("SMCHAN_YNL", "auto"),
                    help="run ynl-gen-c.py of linux-source-6.12 on the spec "
                    "(auto: skip when the source cannot be had)")
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
    # The other way: every #define of the header is the spec's, but the
    # include guard and the /dev/smchan ioctl's (not the family's).
    others = sorted(n for n in h_defs if n not in s_defs and not NOT_FAMILY_RE.match(n))
    check(not others, "every #define of the header is in the spec (or the ioctl's)",
          ", ".join(others))

    for ename, items in sorted(s_enums.items()):
        h = h_enums.get(ename)
        if h is None:
            check(False, f"enum {ename}", "not in the header")
            continue
        hv = [(n, v) for n, v, _ in h]
        tail = OPTIONAL_TAIL.get(ename)
        if tail and hv == items[:-2]:
            print(f"  note  enum {ename} lacks {tail[0][0]} and {tail[1][0]}, "
                  "which ynl-gen-c ends it with")
            items = items[:-2]
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

    check_policy(spec, args, h_defs, h_enums, check)
    skipped = 0
    if args.ynl != "no":
        skipped = run_ynl(args, spec, h_defs, h_enums, check)

    print(f"check-uapi: {passed} passed, {failed} failed"
          + (f", {skipped} skipped" if skipped else ""))
    if os.environ.get("SMCHAN_RESULTS"):
        with open(os.environ["SMCHAN_RESULTS"], "a") as f:
            f.write(f"uapi {passed} {failed}" + (f" {skipped}" if skipped else "") + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
