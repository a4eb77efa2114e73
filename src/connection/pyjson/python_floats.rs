//! Numbers read and written as Python's `json` reads and writes them, held to Python itself:
//! `tests/data/python-floats.json` holds `json.dumps(json.loads(text))` (or `null`: refused)
//! for edge cases, powers of two and their neighbours, random doubles written in several ways,
//! random digit strings and short decimals (`tests/data/python-floats.py` writes it).

use std::collections::HashMap;

use super::*;

/// `text` -> Python's `json.dumps(json.loads(text))`, `None` when `json.loads` refuses it.
fn python() -> HashMap<String, Option<String>> {
    let data = include_str!("../../../tests/data/python-floats.json");
    let pairs: Vec<(String, Option<String>)> = serde_json::from_str(data).unwrap();
    pairs.into_iter().collect()
}

/// What `dumps(loads(text))` gives here, `None` when `loads` refuses the text.
fn ours(text: &str) -> Option<String> {
    loads(text).ok().map(|value| dumps(&value))
}

/// SplitMix64: a reproducible stream of test values.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A finite, positive double from its bits.
    fn positive_double(&mut self) -> f64 {
        loop {
            let value = f64::from_bits(self.next() >> 1);
            if value.is_finite() && value > 0.0 {
                return value;
            }
        }
    }
}

/// `repr` of a float reads back as the same double.
fn assert_round_trips(value: f64) {
    let written = float_repr(value);
    match loads(&written) {
        Ok(PyValue::Float(read)) => assert_eq!(read.to_bits(), value.to_bits(), "{written}"),
        other => panic!("{written} read back as {other:?}"),
    }
}

#[test]
fn edge_numbers_read_as_python_reads_them() {
    let python = python();
    for text in [
        "0",
        "-0",
        "0.0",
        "-0.0e5",
        "0e999999999999999999999",
        "1",
        "-1",
        "0.1",
        "0.30000000000000004",
        "123456789012345678901234567890",
        "123456789012345678901234567890e-20",
        "9007199254740992",
        "9007199254740993", // a tie: to the even neighbour
        "9007199254740993.0000000000000000001",
        "9007199254740995", // a tie: to the even neighbour, upwards
        "1e22",
        "1e23",
        "8.98846567431158e307",
        "1.7976931348623157e308", // f64::MAX
        "1.7976931348623158e308", // rounds to f64::MAX
        "1.7976931348623159e308", // past the midpoint: infinity
        "1e309",
        "1e99999999999999999999",
        "-1e400",
        "2.2250738585072011e-308", // the largest subnormal's neighbourhood
        "2.2250738585072014e-308", // f64::MIN_POSITIVE
        "4.9406564584124654e-324", // the smallest subnormal
        "2.4703282292062327e-324", // below half of it: zero
        "2.4703282292062328e-324", // above half of it: the smallest subnormal
        "1e-400",
        "0.0000000000000000000000000000000000000000000000000000000001e+400",
        "5e-310",
        "1.5e-320",
        "72057594037927945", // 2^56 + 9: rounding in the 53rd bit
        "3.14159265358979323846264338327950288419716939937510582097494459",
    ] {
        let want = python[text].clone();
        assert!(want.is_some(), "{text}: Python reads it");
        assert_eq!(ours(text), want, "{text}");
    }
}

#[test]
fn text_that_is_not_a_json_number_is_refused_as_python_refuses_it() {
    let python = python();
    for text in [
        "", "-", "+1", "01", "-01", "1.", ".5", "1e", "1e+", "1e-", "1.5x", "NaN", "Infinity",
        " 1", "1 ", "1_000", "0x10", "1.e5", "1e5.5", "--1",
    ] {
        // Python takes `NaN`, `Infinity` and surrounding whitespace; the rest it refuses.
        assert_eq!(ours(text), python[text], "{text:?}");
    }
}

#[test]
fn every_number_of_the_python_data_reads_and_writes_as_in_python() {
    let python = python();
    assert!(python.len() > 5_000, "the data is all there");
    for (text, want) in &python {
        assert_eq!(ours(text).as_ref(), want.as_ref(), "{text}");
    }
}

#[test]
fn random_doubles_written_as_repr_read_back_exactly() {
    let mut random = Random(7);
    for _ in 0..100_000 {
        let value = random.positive_double();
        assert_round_trips(value);
        assert_round_trips(-value);
    }
}

#[test]
fn powers_of_two_and_their_neighbours_round_trip() {
    let mut cases = vec![
        f64::MAX,
        f64::MIN_POSITIVE,
        f64::from_bits(1),
        f64::from_bits(2),
        f64::from_bits((1 << 52) - 1),
        0.1,
        0.3,
        1.0,
        1e23,
        5e-324,
        9007199254740992.0,
        123456.789,
        1.7976931348623157e308,
    ];
    // Every power of two and its neighbours: where the interval below is narrower.
    let subnormal_powers = (0..52).map(|bit| 1u64 << bit);
    let normal_powers = (1..0x7ffu64).map(|biased| biased << 52);
    for bits in subnormal_powers.chain(normal_powers) {
        cases.extend([f64::from_bits(bits), f64::from_bits(bits + 1)]);
        if bits > 1 {
            cases.push(f64::from_bits(bits - 1));
        }
    }
    // Short decimals: where ties between candidates would show.
    cases.extend((1..20_000).map(|n| n as f64 / 1000.0));
    for value in cases {
        assert_round_trips(value);
    }
}
