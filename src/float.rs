//! Decimal text <-> `f64`, exactly, for the few floats the core meets: JSON numbers read as
//! floats (connection extras through Python's `json.loads`, timeouts in `backend_kwargs`) and
//! Python's float `repr` written back (`json.dumps` of extras, STS query values). A leaf.
//!
//! Why not `str::parse::<f64>` and `{:e}`: they bring Rust's general machinery (Eisel-Lemire
//! with a 10 KB table of powers of five, Grisu and Dragon in shortest *and* fixed-precision
//! modes, ~34 KB of the component together) for a handful of numbers a lookup rarely holds.
//! Here both directions are the textbook exact algorithms over a small big integer: reading
//! divides the digits by a power of five (or multiplies by one) and rounds half to even once;
//! writing is Steele and White's shortest digits as Burger and Dybvig state them. A fast path
//! (Clinger's) covers short numbers without big integers. The tests hold both to the standard
//! library over edge cases and a few hundred thousand random values.

mod big;

use big::Big;

/// The nearest `f64` to a JSON number (RFC 8259 grammar: `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?
/// [0-9]+)?`), ties to even, as Rust's `parse` and Python's `float` read it: too large is
/// infinity, too small zero. `None` when `text` is not such a number.
pub fn parse_json_number(text: &str) -> Option<f64> {
    let bytes = text.as_bytes();
    let (negative, rest) = match bytes.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, bytes),
    };
    let digits_at = |from: usize| {
        let tail = rest.get(from..).unwrap_or_default();
        tail.iter().take_while(|b| b.is_ascii_digit()).count()
    };
    let int_len = digits_at(0);
    if int_len == 0 || (int_len > 1 && rest[0] == b'0') {
        return None;
    }
    let mut at = int_len;
    let mut frac_digits: &[u8] = &[];
    if rest.get(at) == Some(&b'.') {
        let len = digits_at(at + 1);
        if len == 0 {
            return None;
        }
        frac_digits = &rest[at + 1..at + 1 + len];
        at += 1 + len;
    }
    let mut exponent: i64 = 0;
    if matches!(rest.get(at), Some(b'e' | b'E')) {
        at += 1;
        let exponent_negative = match rest.get(at) {
            Some(b'-') => {
                at += 1;
                true
            }
            Some(b'+') => {
                at += 1;
                false
            }
            _ => false,
        };
        let len = digits_at(at);
        if len == 0 {
            return None;
        }
        for &digit in &rest[at..at + len] {
            // Saturates far beyond any exponent that still changes the result.
            exponent = (exponent * 10 + i64::from(digit - b'0')).min(1 << 40);
        }
        if exponent_negative {
            exponent = -exponent;
        }
        at += len;
    }
    if at != rest.len() {
        return None;
    }
    let magnitude = exact_to_f64(&rest[..int_len], frac_digits, exponent);
    Some(if negative { -magnitude } else { magnitude })
}

/// The nearest `f64` to `INT.FRAC * 10^exponent` (ASCII digits).
fn exact_to_f64(int_digits: &[u8], frac_digits: &[u8], exponent: i64) -> f64 {
    let all = || int_digits.iter().chain(frac_digits).copied();
    let leading_zeros = all().take_while(|&d| d == b'0').count();
    let significant: Vec<u8> = all().skip(leading_zeros).collect();
    let trailing_zeros = significant.iter().rev().take_while(|&&d| d == b'0').count();
    let significant = &significant[..significant.len() - trailing_zeros];
    if significant.is_empty() {
        return 0.0;
    }
    // value = SIGNIFICANT * 10^exp10
    let exp10 = exponent - frac_digits.len() as i64 + trailing_zeros as i64;
    let count = significant.len() as i64;
    // value >= 10^(count + exp10 - 1) and < 10^(count + exp10).
    if count + exp10 > 309 {
        return f64::INFINITY;
    }
    if count + exp10 < -324 {
        return 0.0; // below 10^-325, under half the smallest subnormal (2.47e-324)
    }
    if count <= 15 && exp10.abs() <= 22 {
        // Clinger's fast path: both operands are exact f64s, so one rounding.
        let mantissa = significant
            .iter()
            .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0')) as f64;
        let scale = (0..exp10.abs()).fold(1.0f64, |acc, _| acc * 10.0);
        return if exp10 >= 0 {
            mantissa * scale
        } else {
            mantissa / scale
        };
    }
    let mut num = Big::from_u64(0);
    for chunk in significant.chunks(9) {
        let value = chunk
            .iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
        num.mul_add_small(10u32.pow(chunk.len() as u32), value);
    }
    // value = num / den * 2^exp10, with the power of five on one side.
    let exp10 = exp10 as i32; // bounded by the checks above and the text's length
    let mut den = Big::from_u64(1);
    if exp10 >= 0 {
        num.mul_pow5(exp10 as u32);
    } else {
        den.mul_pow5(exp10.unsigned_abs());
    }
    // 2^t <= num / den < 2^(t + 1)
    let mut t = num.bit_len() as i32 - den.bit_len() as i32;
    let below = if t >= 0 {
        let mut scaled = den.clone();
        scaled.shl(t as u32);
        num < scaled
    } else {
        let mut scaled = num.clone();
        scaled.shl(t.unsigned_abs());
        scaled < den
    };
    if below {
        t -= 1;
    }
    let binary_exponent = t + exp10; // 2^e <= value < 2^(e + 1)
    if binary_exponent > 1023 {
        return f64::INFINITY;
    }
    // The unit in the last place of the result: 53 significant bits, or the subnormals' fixed
    // 2^-1074.
    let ulp = (binary_exponent - 52).max(-1074);
    let shift = exp10 - ulp; // value / 2^ulp = num * 2^shift / den
    if shift >= 0 {
        num.shl(shift as u32);
    } else {
        den.shl(shift.unsigned_abs());
    }
    // The quotient is below 2^53 (value < 2^(e+1) and ulp >= e - 52): long division by bits.
    let mut quotient: u64 = 0;
    let mut step = den.clone();
    step.shl(52);
    for bit in (0..53).rev() {
        if num >= step {
            num.sub(&step);
            quotient |= 1 << bit;
        }
        step.shr1();
    }
    num.shl(1); // twice the remainder, against the divisor: round half to even
    match num.cmp(&den) {
        core::cmp::Ordering::Greater => quotient += 1,
        core::cmp::Ordering::Equal => quotient += quotient & 1,
        core::cmp::Ordering::Less => {}
    }
    compose(quotient, ulp)
}

/// `quotient * 2^ulp` as an `f64`, where `quotient <= 2^53` and the result's unit in the last
/// place is `2^ulp` (`ulp = -1074` for subnormals).
fn compose(mut quotient: u64, mut ulp: i32) -> f64 {
    const HIDDEN: u64 = 1 << 52;
    if quotient == HIDDEN << 1 {
        // Rounding carried into a new bit.
        quotient = HIDDEN;
        ulp += 1;
    }
    if quotient < HIDDEN {
        return f64::from_bits(quotient); // a subnormal (or zero): ulp is -1074
    }
    let biased = ulp + 52 + 1023;
    if biased >= 0x7ff {
        return f64::INFINITY;
    }
    f64::from_bits(((biased as u64) << 52) | (quotient - HIDDEN))
}

/// The shortest decimal digits that read back as `value` (finite and positive), with the
/// decimal point's position: `value` reads as `0.DIGITS * 10^point`. Of several shortest
/// candidates the nearest (a tie rounds up), as Rust's shortest formatting and Python's `repr`
/// choose.
pub fn shortest_digits(value: f64) -> (String, i32) {
    debug_assert!(value.is_finite() && value > 0.0);
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    // An even mantissa reads back from either end of its interval (ties to even).
    let inclusive = mantissa % 2 == 0;
    // At a power of two (other than the smallest normal) the gap below is half the gap above.
    let narrow_below = mantissa == 1 << 52 && biased > 1;
    // value = r / s; the interval that reads back is (r - minus, r + plus) / s.
    let (mut r, mut s, mut plus, mut minus);
    if exponent >= 0 {
        let gap = exponent as u32;
        r = Big::from_u64(mantissa);
        minus = Big::from_u64(1);
        minus.shl(gap);
        plus = minus.clone();
        if narrow_below {
            r.shl(gap + 2);
            s = Big::from_u64(4);
            plus.shl(1);
        } else {
            r.shl(gap + 1);
            s = Big::from_u64(2);
        }
    } else {
        let gap = exponent.unsigned_abs();
        r = Big::from_u64(mantissa);
        s = Big::from_u64(1);
        minus = Big::from_u64(1);
        if narrow_below {
            r.shl(2);
            s.shl(gap + 2);
            plus = Big::from_u64(2);
        } else {
            r.shl(1);
            s.shl(gap + 1);
            plus = Big::from_u64(1);
        }
    }
    // Scale by 10^point so that the top of the interval is just below 1: start from
    // floor(log10(2^e)) for value in [2^e, 2^(e+1)), never too high, and step up.
    let top_bit = exponent + 63 - mantissa.leading_zeros() as i32;
    let mut point = ((i64::from(top_bit) * 78_913) >> 18) as i32; // floor(e * log10(2))
    if point >= 0 {
        s.mul_pow10(point as u32);
    } else {
        let scale = point.unsigned_abs();
        r.mul_pow10(scale);
        plus.mul_pow10(scale);
        minus.mul_pow10(scale);
    }
    let reaches = |r: &Big, plus: &Big, s: &Big| {
        let mut high = r.clone();
        high.add(plus);
        if inclusive { high >= *s } else { high > *s }
    };
    while reaches(&r, &plus, &s) {
        s.mul_add_small(10, 0);
        point += 1;
    }
    let mut digits = String::new();
    loop {
        r.mul_add_small(10, 0);
        plus.mul_add_small(10, 0);
        minus.mul_add_small(10, 0);
        let digit = r.div_rem_small_quotient(&s) as u8;
        let low_enough = if inclusive { r <= minus } else { r < minus };
        let high_enough = reaches(&r, &plus, &s);
        let last = match (low_enough, high_enough) {
            (false, false) => {
                digits.push(char::from(b'0' + digit));
                continue;
            }
            (true, false) => digit,
            (false, true) => digit + 1,
            (true, true) => {
                let mut twice = r.clone();
                twice.shl(1);
                if twice < s { digit } else { digit + 1 }
            }
        };
        digits.push(char::from(b'0' + last));
        return (digits, point);
    }
}

#[cfg(test)]
mod tests;
