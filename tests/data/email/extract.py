#!/usr/bin/env python3
"""Rebuilds the vector files in this folder from the upstream test files.

Not run by the build or by CI: the .tsv files it writes are committed. Usage, with the three
upstream files checked out at the commits named in README.md:

    python3 extract.py ISEMAIL_TESTS_XML EMAIL_VALIDATOR_TEST_SYNTAX_PY EMAIL_ADDRESS_LIB_RS

The file format and the verdict rules are described in README.md.
"""

import ast
import re
import sys
import unicodedata
import xml.etree.ElementTree as ET

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."

# Categories that the escaping below spells out: control, format, surrogate, private use,
# unassigned, line and paragraph separators, and every space but U+0020.
ESCAPED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}


def needs_escape(ch, previous):
    """Whether a character is spelt out as \\u{HEX}: see ESCAPED_CATEGORIES; a combining mark
    with no letter before it to sit on; a character that NFC changes (U+037E, which looks like
    `;`, or U+FB2C), so that look-alikes and editors' normalisation cannot hide what is tested."""
    category = unicodedata.category(ch)
    if ch != " " and category in ESCAPED_CATEGORIES:
        return True
    if category.startswith("M") and not (previous and unicodedata.category(previous)[0] in "LM"):
        return True
    return unicodedata.normalize("NFC", ch) != ch


def escape(text):
    out = []
    previous = None
    for ch in text:
        escaped = ch in "\\\t\n\r" or needs_escape(ch, previous)
        previous = ch
        if not escaped:
            out.append(ch)
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        else:
            out.append("\\u{%X}" % ord(ch))
    return "".join(out)


def write(name, header, rows):
    seen = set()
    with open(f"{HERE}/{name}", "w", encoding="utf-8", newline="\n") as f:
        for line in header:
            f.write(f"# {line}\n")
        for verdict, address, note in rows:
            if (verdict, address) in seen:
                continue
            seen.add((verdict, address))
            assert verdict in ("valid", "invalid")
            assert "\t" not in note and "\n" not in note
            f.write(f"{verdict}\t{escape(address)}\t{note}\n")
    print(f"{name}: {len(seen)} lines")


# --- isemail: is_email() with its default threshold (ISEMAIL_THRESHOLD = 16) returns true for
# the categories VALID, DNSWARN and RFC5321 and false for CFWS, DEPREC, RFC5322 and ERR.
ISEMAIL_VALID_CATEGORIES = {"ISEMAIL_VALID_CATEGORY", "ISEMAIL_DNSWARN", "ISEMAIL_RFC5321"}


def isemail(path):
    rows = []
    for test in ET.parse(path).getroot().iter("test"):
        address = test.findtext("address") or ""
        # tests.xml writes control character N as U+2400 + N (its note 1).
        address = "".join(
            chr(ord(c) - 0x2400) if 0x2400 <= ord(c) <= 0x241F else c for c in address
        )
        category = test.findtext("category")
        diagnosis = test.findtext("diagnosis")
        verdict = "valid" if category in ISEMAIL_VALID_CATEGORIES else "invalid"
        rows.append((verdict, address, f"#{test.get('id')} {category} {diagnosis}"))
    return rows


# --- email-validator: the verdict each test asserts, with the options that test passes.
def call_name(node):
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def options_of(call):
    return [f"{k.arg}={ast.unparse(k.value)}" for k in call.keywords
            if k.arg not in ("check_deliverability",)]


def pyisemail_verdict(status):
    if status == "ISEMAIL_VALID":
        return "valid", ""
    if status == "ISEMAIL_RFC5322_LOCAL_TOOLONG":
        return "invalid", "strict=True"
    if status == "ISEMAIL_RFC5321_QUOTEDSTRING":
        return "valid", "allow_quoted_local=True"
    if "_ADDRESSLITERAL" in status or status == "ISEMAIL_RFC5321_IPV6DEPRECATED":
        return "valid", "allow_domain_literal=True"
    return "invalid", ""


# The parametrized tests whose first parameter is the address: the verdict each asserts, and the
# options it passes.
ADDRESS_FIRST = {
    "test_email_valid": ("valid", "allow_quoted_local=True allow_display_name=True"),
    "test_email_valid_intl_local_part": ("valid", "allow_display_name=True"),
    "test_email_valid_only_if_quoted_local_part":
        ("valid", "allow_quoted_local=True (invalid without it)"),
    "test_email_invalid_syntax": ("invalid", ""),
    "test_email_invalid_reserved_domain": ("invalid", ""),
    "test_email_invalid_syntax_strict": ("invalid", "strict=True (valid without it)"),
    "test_email_invalid_character_smtputf8_off": ("invalid", "allow_smtputf8=False"),
}


def email_validator(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    rows = []
    skipped = []

    def add(verdict, address, note):
        try:
            address.encode("utf-8")
        except UnicodeEncodeError:
            skipped.append(address)
            return
        rows.append((verdict, address, note))

    for func in tree.body:
        if not isinstance(func, ast.FunctionDef) or not func.name.startswith("test_"):
            continue
        cases = []
        for deco in func.decorator_list:
            if isinstance(deco, ast.Call) and call_name(deco) == "parametrize":
                for element in deco.args[1].elts:
                    items = element.elts if isinstance(element, (ast.Tuple, ast.List)) else [element]
                    cases.append([ast.literal_eval(i) if isinstance(i, ast.Constant) else None
                                  for i in items])
        name = func.name
        if name in ADDRESS_FIRST:
            verdict, options = ADDRESS_FIRST[name]
            for case in cases:
                add(verdict, case[0], f"{name} {options}".strip())
        elif name == "test_email_unsafe_character":
            for case in cases:
                add("invalid", case[0] + "@test", f"{name} test_environment=True")
                add("invalid", "test@" + case[0], f"{name} test_environment=True")
        elif name == "test_pyisemail_tests":
            for address, status in cases:
                verdict, option = pyisemail_verdict(status)
                add(verdict, address, f"{name} {status} test_environment=True {option}".strip())
        elif not cases:
            # Tests that call validate_email directly, each call expected to succeed.
            for node in ast.walk(func):
                if isinstance(node, ast.Call) and call_name(node) == "validate_email" \
                        and node.args and isinstance(node.args[0], ast.Constant):
                    add("valid", node.args[0].value, " ".join([name] + options_of(node)))
        else:
            raise SystemExit(f"unknown parametrized test {name}")
    return rows, skipped


# --- email_address: the verdict each unit test asserts, with the options it passes.
def email_address(path):
    src = open(path, encoding="utf-8").read()
    tests = src[src.index("mod tests {"):]
    rows = []
    # Rust string literals: "..." with \\ \" \n \t escapes only (all that the file uses).
    lit = r'"((?:[^"\\]|\\.)*)"'

    def unrust(s):
        return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "0": "\0"}.get(m.group(1), m.group(1)), s)

    for fn in re.finditer(r"fn (test_\w+)\(\) \{(.*?)\n    \}\n", tests, re.S):
        name, body = fn.group(1), fn.group(2)
        for m in re.finditer(r"\b(is_valid|valid_with_options|expect|expect_with_options|"
                             r"EmailAddress::parse_with_options)\(\s*" + lit,
                             body, re.S):
            kind, address = m.group(1), unrust(m.group(2))
            rest = body[m.end():body.find(");", m.end())]
            option = ""
            o = re.search(r"Options::default\(\)((?:\s*\.\w+\([^)]*\))*)|Options \{\s*(\w+: [\w\d]+)", rest)
            if o:
                option = re.sub(r"\s+", "", o.group(1) or o.group(2) or "")
            if kind in ("is_valid", "valid_with_options"):
                verdict = "valid"
            elif kind in ("expect", "expect_with_options"):
                verdict = "invalid"
            else:  # parse_with_options(..).unwrap() in a regression test
                verdict = "valid"
            rows.append((verdict, address, f"{name} {option}".strip()))
    return rows


def main():
    isemail_xml, validator_py, email_address_rs = sys.argv[1:4]
    write("isemail.tsv", [
        "isemail (Dominic Sayers, is_email for PHP), test/tests.xml version 3.05; BSD-3-Clause,",
        "see isemail.LICENSE. Verdict: is_email() with its default threshold. Format: README.md.",
    ], isemail(isemail_xml))
    rows, skipped = email_validator(validator_py)
    write("email-validator.tsv", [
        "python-email-validator (Joshua Tauberer), tests/test_syntax.py; Unlicense, see",
        "email-validator.LICENSE. Verdict: what each test asserts, with the options it passes",
        f"(third column). Left out, not UTF-8 (a lone surrogate): {len(skipped)}. Format: README.md.",
    ], rows)
    write("email_address.tsv", [
        "email_address crate (Simon Johnston), src/lib.rs `mod tests`; MIT, see",
        "email_address.LICENSE. Verdict: what each unit test asserts, with its options (third",
        "column; default options when empty). Format: README.md.",
    ], email_address(email_address_rs))


if __name__ == "__main__":
    main()
