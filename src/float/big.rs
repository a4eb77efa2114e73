//! A small unsigned big integer (little-endian `u32` limbs, no leading zero limbs): just the
//! operations exact decimal <-> binary conversion needs. Values stay small in practice (a JSON
//! number's digits times a power of 5 or 2), so each operation is a plain loop.

use core::cmp::Ordering;

/// An unsigned integer of any size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Big(Vec<u32>);

impl Big {
    /// `value`.
    pub fn from_u64(value: u64) -> Big {
        let mut big = Big(vec![value as u32, (value >> 32) as u32]);
        big.trim();
        big
    }

    /// Whether this is 0.
    pub fn is_zero(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of significant bits (0 for 0).
    pub fn bit_len(&self) -> u32 {
        match self.0.last() {
            None => 0,
            Some(top) => 32 * (self.0.len() as u32 - 1) + (32 - top.leading_zeros()),
        }
    }

    /// The value, when it is below 2^64.
    #[cfg(test)]
    pub fn to_u64(&self) -> Option<u64> {
        match self.0.as_slice() {
            [] => Some(0),
            [low] => Some(u64::from(*low)),
            [low, high] => Some(u64::from(*low) | (u64::from(*high) << 32)),
            _ => None,
        }
    }

    fn trim(&mut self) {
        while self.0.last() == Some(&0) {
            self.0.pop();
        }
    }

    /// `self = self * factor + addend`.
    pub fn mul_add_small(&mut self, factor: u32, addend: u32) {
        let mut carry = u64::from(addend);
        for limb in &mut self.0 {
            let product = u64::from(*limb) * u64::from(factor) + carry;
            *limb = product as u32;
            carry = product >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
        self.trim();
    }

    /// `self *= 5^n`.
    pub fn mul_pow5(&mut self, mut n: u32) {
        const FIVE_13: u32 = 1_220_703_125; // the largest power of 5 in a u32
        while n >= 13 {
            self.mul_add_small(FIVE_13, 0);
            n -= 13;
        }
        self.mul_add_small(5u32.pow(n), 0);
    }

    /// `self *= 10^n`.
    pub fn mul_pow10(&mut self, n: u32) {
        self.mul_pow5(n);
        self.shl(n);
    }

    /// `self <<= bits`.
    pub fn shl(&mut self, bits: u32) {
        if self.is_zero() {
            return;
        }
        let (limbs, bits) = ((bits / 32) as usize, bits % 32);
        if bits != 0 {
            let mut carry = 0;
            for limb in &mut self.0 {
                let next = *limb >> (32 - bits);
                *limb = (*limb << bits) | carry;
                carry = next;
            }
            if carry != 0 {
                self.0.push(carry);
            }
        }
        self.0.splice(0..0, core::iter::repeat_n(0, limbs));
    }

    /// `self >>= 1`.
    pub fn shr1(&mut self) {
        let mut carry = 0;
        for limb in self.0.iter_mut().rev() {
            let next = *limb << 31;
            *limb = (*limb >> 1) | carry;
            carry = next;
        }
        self.trim();
    }

    /// `self += other`.
    pub fn add(&mut self, other: &Big) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        let mut carry = 0u64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let sum = u64::from(*limb) + u64::from(other.0.get(i).copied().unwrap_or(0)) + carry;
            *limb = sum as u32;
            carry = sum >> 32;
        }
        if carry != 0 {
            self.0.push(carry as u32);
        }
    }

    /// `self -= other`; `other` must not be larger.
    pub fn sub(&mut self, other: &Big) {
        debug_assert!(*self >= *other);
        let mut borrow = 0i64;
        for (i, limb) in self.0.iter_mut().enumerate() {
            let difference =
                i64::from(*limb) - i64::from(other.0.get(i).copied().unwrap_or(0)) - borrow;
            *limb = difference as u32;
            borrow = i64::from(difference < 0);
        }
        self.trim();
    }

    /// `self % divisor`, returning `self / divisor`, which must be below 2^32 (digit
    /// generation: the quotient is one decimal digit).
    pub fn div_rem_small_quotient(&mut self, divisor: &Big) -> u32 {
        let mut quotient = 0;
        while *self >= *divisor {
            self.sub(divisor);
            quotient += 1;
        }
        quotient
    }
}

impl PartialOrd for Big {
    fn partial_cmp(&self, other: &Big) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Big {
    fn cmp(&self, other: &Big) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.iter().rev().cmp(other.0.iter().rev()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_u128(big: &Big) -> u128 {
        big.0
            .iter()
            .rev()
            .fold(0u128, |acc, limb| (acc << 32) | u128::from(*limb))
    }

    #[test]
    fn operations_agree_with_u128() {
        let values = [
            0u64,
            1,
            5,
            0xffff_ffff,
            0x1_0000_0000,
            0xdead_beef_cafe,
            u64::MAX >> 12,
        ];
        for &a in &values {
            for &b in &values {
                let (a128, b128) = (u128::from(a), u128::from(b));
                let mut sum = Big::from_u64(a);
                sum.add(&Big::from_u64(b));
                assert_eq!(to_u128(&sum), a128 + b128);
                assert_eq!(
                    Big::from_u64(a).cmp(&Big::from_u64(b)),
                    a.cmp(&b),
                    "{a} vs {b}"
                );
                if a >= b {
                    let mut difference = Big::from_u64(a);
                    difference.sub(&Big::from_u64(b));
                    assert_eq!(to_u128(&difference), a128 - b128);
                    assert_eq!(difference.to_u64(), Some(a - b));
                }
            }
            let mut shifted = Big::from_u64(a);
            shifted.shl(37);
            assert_eq!(to_u128(&shifted), u128::from(a) << 37);
            assert_eq!(
                shifted.bit_len(),
                128 - (u128::from(a) << 37).leading_zeros()
            );
            shifted.shr1();
            assert_eq!(to_u128(&shifted), u128::from(a) << 36);
            let mut scaled = Big::from_u64(a);
            scaled.mul_pow10(5);
            assert_eq!(to_u128(&scaled), u128::from(a) * 100_000);
            let mut scaled = Big::from_u64(a);
            scaled.mul_pow5(14);
            assert_eq!(to_u128(&scaled), u128::from(a) * 5u128.pow(14));
        }
    }

    #[test]
    fn a_digit_is_a_quotient_and_the_rest_a_remainder() {
        let mut r = Big::from_u64(987);
        assert_eq!(r.div_rem_small_quotient(&Big::from_u64(100)), 9);
        assert_eq!(r.to_u64(), Some(87));
        assert!(Big::from_u64(0).is_zero() && Big::from_u64(0).bit_len() == 0);
    }
}
