#!/usr/bin/env python3
"""gen_utf8.py — makes utf8_vectors.h, the Lab 3 tests' UTF-8 known answers.

The UTF-8 tests must not trust the validator they test, nor the reference
that passes them. Every answer in the generated header comes from Python's
own strict UTF-8 decoder (bytes.decode("utf-8")), which implements RFC 3629
and reports where the first ill-formed sequence starts and ends. Before
writing, the script checks that decoder against a second, independent
implementation written here from the table of RFC 3629 §4, on every vector
and on every pair of bytes, so that neither can be wrong unnoticed.

For each byte string the header says one of three things:
  UTF8_VEC_VALID   valid, and ends between characters
  UTF8_VEC_CUT     valid so far, but ends inside a character
  k >= 0           byte k is the first byte that no valid text can have
                   there: a fail-fast validator fails when it is fed, and
                   not before

The inputs are pseudo-random with a fixed seed, so running the script
again gives the same file byte for byte:

    python3 tests/03-framing/vectors/gen_utf8.py
"""

import os
import random

SEED = 20241123
VALID = -1
CUT = -2


def python_answer(data):
    """The answer according to Python's decoder."""
    try:
        data.decode("utf-8")
        return VALID
    except UnicodeDecodeError as e:
        if e.reason == "unexpected end of data":
            assert e.end == len(data)
            return CUT
        if e.reason == "invalid start byte":
            return e.start
        assert e.reason == "invalid continuation byte", e.reason
        return e.end


# RFC 3629 §4: the well-formed sequences, as (first byte range, then the
# range each following byte must be in).
TABLE = [
    ((0x00, 0x7F), []),
    ((0xC2, 0xDF), [(0x80, 0xBF)]),
    ((0xE0, 0xE0), [(0xA0, 0xBF), (0x80, 0xBF)]),
    ((0xE1, 0xEC), [(0x80, 0xBF), (0x80, 0xBF)]),
    ((0xED, 0xED), [(0x80, 0x9F), (0x80, 0xBF)]),
    ((0xEE, 0xEF), [(0x80, 0xBF), (0x80, 0xBF)]),
    ((0xF0, 0xF0), [(0x90, 0xBF), (0x80, 0xBF), (0x80, 0xBF)]),
    ((0xF1, 0xF3), [(0x80, 0xBF), (0x80, 0xBF), (0x80, 0xBF)]),
    ((0xF4, 0xF4), [(0x80, 0x8F), (0x80, 0xBF), (0x80, 0xBF)]),
]


def table_answer(data):
    """The same answer, from the RFC 3629 table alone."""
    i = 0
    while i < len(data):
        rest = None
        for (lo, hi), follow in TABLE:
            if lo <= data[i] <= hi:
                rest = follow
        if rest is None:
            return i
        for k, (lo, hi) in enumerate(rest):
            j = i + 1 + k
            if j == len(data):
                return CUT
            if not lo <= data[j] <= hi:
                return j
        i += 1 + len(rest)
    return VALID


def answer(data):
    a = python_answer(data)
    b = table_answer(data)
    assert a == b, (data.hex(), a, b)
    return a


# Code points at the edges of each encoding length and of the excluded ranges.
EDGES = [0x0, 0x1, 0x7F, 0x80, 0x81, 0x7FF, 0x800, 0x801, 0xFFF, 0x1000, 0xD7FF, 0xE000,
         0xFFFD, 0xFFFE, 0xFFFF, 0x10000, 0x10001, 0x3FFFF, 0x40000, 0xFFFFF, 0x100000,
         0x10FFFE, 0x10FFFF]


def random_code_point(rng):
    band = rng.randrange(5)
    if band == 0:
        return rng.randrange(0x80)
    if band == 1:
        return rng.randrange(0x80, 0x800)
    if band == 2:
        cp = rng.randrange(0x800, 0x10000 - 0x800)
        return cp if cp < 0xD800 else cp + 0x800  # no surrogates
    if band == 3:
        return rng.randrange(0x10000, 0x110000)
    return rng.choice(EDGES)


def random_text(rng, chars):
    return "".join(chr(random_code_point(rng)) for _ in range(chars)).encode("utf-8")


def corrupt(rng, data):
    """One random change to a valid text: a byte replaced, inserted or cut."""
    what = rng.randrange(4)
    at = rng.randrange(len(data) + 1)
    byte = rng.choice([0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4,
                       0xF5, 0xF8, 0xFE, 0xFF, 0x41, rng.randrange(256)])
    if what == 0 and at < len(data):
        return data[:at] + bytes([byte]) + data[at + 1:]
    if what == 1:
        return data[:at] + bytes([byte]) + data[at:]
    if what == 2 and at > 0:
        return data[:at - 1] + data[at:]  # a byte removed
    return data[:at]  # cut short


def c_bytes(data):
    return '"' + "".join("\\x%02x" % b for b in data) + '"'


def c_answer(a):
    return {VALID: "UTF8_VEC_VALID", CUT: "UTF8_VEC_CUT"}.get(a, str(a))


def main():
    rng = random.Random(SEED)
    vectors = []
    seen = set()

    def add(data):
        if data not in seen:
            seen.add(data)
            vectors.append(data)

    # Each edge code point alone, and between ASCII letters.
    for cp in EDGES:
        add(chr(cp).encode("utf-8"))
        add(b"a" + chr(cp).encode("utf-8") + b"z")
    # Valid texts of growing size, then each corrupted in several ways.
    texts = [random_text(rng, rng.randrange(1, 12)) for _ in range(200)]
    for t in texts:
        add(t)
    for t in texts:
        for _ in range(3):
            add(corrupt(rng, t))
    # Long texts, mostly ASCII and 2-byte characters (what fast paths skip
    # a word at a time), each also corrupted at one random place.
    for _ in range(60):
        chars = []
        for _ in range(rng.randrange(16, 64)):
            kind = rng.randrange(10)
            if kind < 5:
                chars.append(chr(rng.randrange(0x20, 0x7F)))
            elif kind < 9:
                chars.append(chr(rng.randrange(0x80, 0x800)))
            else:
                chars.append(chr(random_code_point(rng)))
        t = "".join(chars).encode("utf-8")
        add(t)
        add(corrupt(rng, t))
        add(corrupt(rng, t))
    # Plain random bytes (mostly invalid, some valid by chance).
    for _ in range(200):
        add(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 10))))
    # Random bytes drawn from the interesting values only.
    interesting = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2,
                   0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF]
    for _ in range(400):
        add(bytes(rng.choice(interesting) for _ in range(rng.randrange(1, 8))))

    counts = {"valid": 0, "cut": 0, "invalid": 0}
    answers = []
    for v in vectors:
        a = answer(v)
        answers.append(a)
        counts["valid" if a == VALID else "cut" if a == CUT else "invalid"] += 1

    # Every pair of bytes: 0 = byte 0 fails, 1 = byte 1 fails, 2 = valid,
    # 3 = valid so far but cut. Two bits per pair, four pairs per hex digit
    # pair: row a is 64 hex digits, the digit pair for b0..b3 first.
    rows = []
    for a in range(256):
        codes = []
        for b in range(256):
            r = answer(bytes([a, b]))
            codes.append({VALID: 2, CUT: 3}.get(r, r))
            assert codes[-1] in (0, 1, 2, 3)
        packed = ""
        for i in range(0, 256, 4):
            byte = codes[i] | codes[i + 1] << 2 | codes[i + 2] << 4 | codes[i + 3] << 6
            packed += "%02x" % byte
        rows.append(packed)

    out = []
    w = out.append
    w("/*")
    w(" * utf8_vectors.h — UTF-8 known answers for the Lab 3 tests, from Python's")
    w(" * strict decoder, checked against the table of RFC 3629 §4 (never from the")
    w(" * code under test).")
    w(" *")
    w(" * GENERATED by gen_utf8.py (seed %d): do not edit by hand; run" % SEED)
    w(" *     python3 tests/03-framing/vectors/gen_utf8.py")
    w(" * to make it again (the output is the same byte for byte).")
    w(" * %d vectors: %d valid, %d cut inside a character, %d invalid." %
      (len(vectors), counts["valid"], counts["cut"], counts["invalid"]))
    w(" */")
    w("#ifndef LAB3_UTF8_VECTORS_H")
    w("#define LAB3_UTF8_VECTORS_H")
    w("")
    w("#include <stddef.h>")
    w("")
    w("/* clang-format off */")
    w("")
    w("#define UTF8_VEC_VALID (-1) /* valid, ends between characters */")
    w("#define UTF8_VEC_CUT   (-2) /* valid so far, ends inside a character */")
    w("")
    w("struct utf8_vec {")
    w("    const char *bytes;")
    w("    size_t len;")
    w("    int answer; /* UTF8_VEC_VALID, UTF8_VEC_CUT, or the index of the first")
    w("                   byte that can never be valid there */")
    w("};")
    w("")
    w("static const struct utf8_vec utf8_vecs[] __attribute__((unused)) = {")
    for v, a in zip(vectors, answers):
        w("    {%s, %d, %s}," % (c_bytes(v), len(v), c_answer(a)))
    w("};")
    w("")
    w("/* The two-byte strings [a, b]: code 0 = byte a can never start valid text,")
    w(" * 1 = b can never follow a, 2 = valid, 3 = valid so far but cut. Row a holds")
    w(" * the codes of b = 0..255, two bits each, four to a hex byte, lowest first. */")
    w("static const char *const utf8_pairs[256] __attribute__((unused)) = {")
    for a, row in enumerate(rows):
        w('    "%s", /* %02x */' % (row, a))
    w("};")
    w("")
    w("/* clang-format on */")
    w("")
    w("#endif")

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "utf8_vectors.h")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
