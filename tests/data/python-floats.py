"""Writes python-floats.json: number texts and what Python's json does with them.

Each entry is [text, dumps] where dumps is json.dumps(json.loads(text)), or null when
json.loads refuses the text. The texts: edge cases by name, powers of two (every subnormal
one, every fifth normal one) and their neighbours, random doubles written as repr and with
random precisions, random digit strings, short decimals.
Run: python3 tests/data/python-floats.py > tests/data/python-floats.json
"""
import json
import random
import struct

EDGE = [
    "0", "-0", "0.0", "-0.0e5", "0e999999999999999999999", "1", "-1", "0.1",
    "0.30000000000000004", "123456789012345678901234567890",
    "123456789012345678901234567890e-20", "9007199254740992", "9007199254740993",
    "9007199254740993.0000000000000000001", "9007199254740995", "1e22", "1e23",
    "8.98846567431158e307", "1.7976931348623157e308", "1.7976931348623158e308",
    "1.7976931348623159e308", "1e309", "1e99999999999999999999", "-1e400",
    "2.2250738585072011e-308", "2.2250738585072014e-308", "4.9406564584124654e-324",
    "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400",
    "0.0000000000000000000000000000000000000000000000000000000001e+400", "5e-310", "1.5e-320",
    "72057594037927945", "3.14159265358979323846264338327950288419716939937510582097494459",
    # Not JSON numbers (or not only one): refused, or read as Python reads them.
    "", "-", "+1", "01", "-01", "1.", ".5", "1e", "1e+", "1e-", "1.5x", "NaN", "Infinity",
    " 1", "1 ", "1_000", "0x10", "1.e5", "1e5.5", "--1",
]


def dumps_of(text):
    try:
        return json.dumps(json.loads(text))
    except ValueError:
        return None


def double(bits):
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


texts = list(EDGE)
powers = [1 << bit for bit in range(52)] + [biased << 52 for biased in range(1, 0x7FF, 5)]
for bits in powers:
    for b in (bits - 1, bits, bits + 1):
        if b > 0:
            texts.append(repr(double(b)))
rng = random.Random(7)
for _ in range(1000):
    while True:
        value = double(rng.getrandbits(63))
        if value == value and value not in (float("inf"), 0.0):
            break
    precision = rng.randrange(30)
    texts += [repr(value), f"{value:.{precision}e}", f"-{value:.{precision}e}"]
for _ in range(1000):
    digits = "".join(rng.choice("0123456789") for _ in range(1 + rng.randrange(40)))
    digits = digits.lstrip("0") or "0"
    exponent = rng.randrange(720) - 360
    form = rng.randrange(3)
    if form == 0:
        texts.append(f"{digits}e{exponent}")
    elif form == 1 and len(digits) > 1:
        texts.append(f"{digits[0]}.{digits[1:]}e{exponent}")
    else:
        texts.append(f"0.{digits}E{exponent:+}")
for n in range(1, 20000, 61):
    texts.append(repr(n / 1000))

print("[\n" + ",\n".join(json.dumps([t, dumps_of(t)]) for t in texts) + "\n]")
