//! Both directions held to the standard library (which the component no longer links): edge
//! cases by name, then random bit patterns, random precisions and random digit strings.

use super::*;

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

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
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

fn assert_reads_as_std(text: &str) {
    let ours = parse_json_number(text).unwrap_or_else(|| panic!("{text} was refused"));
    let std: f64 = text.parse().unwrap();
    assert_eq!(ours.to_bits(), std.to_bits(), "{text}: {ours:e} vs {std:e}");
}

/// The standard library's shortest digits, in the same shape.
fn std_shortest(value: f64) -> (String, i32) {
    let sci = format!("{value:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap();
    let digits = mantissa.replace('.', "");
    (digits, exponent.parse::<i32>().unwrap() + 1)
}

#[test]
fn edge_numbers_read_as_the_standard_library_reads_them() {
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
        "2.47032822920623272088284396434110686182529901307162382212792841250337753635104375932649918180817996189898282347722858865463328355177969898199387398005390939063150356595155702263922908583924491051844359318028499365361525003193704576782492193656236698636584807570015857692699037063119282795585513329278343384093519780155312465972635795746227664652728272200563740064854999770965994704540208281662262378573934507363390079677619305775067401763246736009689513405355374585166611342237666786041621596804619144672918403005300575308490487653917113865916462395249126236538818796362393732804238910186723484976682350898633885879256283027559956575244555072551893136908362547791869486679949683240497058210285131854513962138377228261454376934125320985913276672363281255e-324",
        "1e-400",
        "0.0000000000000000000000000000000000000000000000000000000001e+400",
        "5e-310",
        "1.5e-320",
        "72057594037927945", // 2^56 + 9: rounding in the 53rd bit
        "3.14159265358979323846264338327950288419716939937510582097494459",
    ] {
        assert_reads_as_std(text);
    }
}

#[test]
fn text_that_is_not_a_json_number_is_refused() {
    for text in [
        "", "-", "+1", "01", "-01", "1.", ".5", "1e", "1e+", "1e-", "1.5x", "NaN", "Infinity",
        " 1", "1 ", "1_000", "0x10", "1.e5", "1e5.5", "--1",
    ] {
        assert_eq!(parse_json_number(text), None, "{text:?}");
    }
}

#[test]
fn random_doubles_written_any_way_read_back_as_the_standard_library_reads_them() {
    let mut random = Random(7);
    for _ in 0..100_000 {
        let value = random.positive_double();
        assert_reads_as_std(&format!("{value:e}"));
        assert_reads_as_std(&format!("{value:?}").replace("inf", "1e999"));
        let precision = random.below(30) as usize;
        assert_reads_as_std(&format!("{value:.precision$e}"));
        assert_reads_as_std(&format!("-{value:.precision$e}"));
    }
}

#[test]
fn random_digit_strings_read_as_the_standard_library_reads_them() {
    let mut random = Random(11);
    for _ in 0..100_000 {
        let digits: String = (0..1 + random.below(40))
            .map(|_| char::from(b'0' + random.below(10) as u8))
            .collect();
        let digits = digits.trim_start_matches('0');
        let digits = if digits.is_empty() { "0" } else { digits };
        let exponent = random.below(720) as i64 - 360;
        let text = match random.below(3) {
            0 => format!("{digits}e{exponent}"),
            1 if digits.len() > 1 => format!("{}.{}e{exponent}", &digits[..1], &digits[1..]),
            _ => format!("0.{digits}E{exponent:+}"),
        };
        assert_reads_as_std(&text);
    }
}

#[test]
fn shortest_digits_are_the_standard_library_s() {
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
    let mut random = Random(3);
    cases.extend((0..100_000).map(|_| random.positive_double()));
    // Short decimals: where ties between candidates would show.
    cases.extend((1..20_000).map(|n| n as f64 / 1000.0));
    for value in cases {
        assert_eq!(shortest_digits(value), std_shortest(value), "{value:e}");
    }
}
