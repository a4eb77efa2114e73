//! A map over a sorted `Vec`: the JSON objects of `json` and the sections of the shared AWS
//! files. A leaf.
//!
//! These maps hold a handful to a few dozen keys, are built once and read a few times; a sorted
//! vector with binary search serves that as well as `BTreeMap`, iterates in the same key order,
//! and its code is a fraction of `BTreeMap`'s node machinery (~12 KB of the component).

use std::borrow::Borrow;

/// Keys in ascending order, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        SortedMap {
            entries: Vec::new(),
        }
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    fn position<Q: Ord + ?Sized>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
    {
        self.entries.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    /// The value of `key`.
    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.position(key).ok().map(|i| &self.entries[i].1)
    }

    /// Whether `key` has a value.
    pub fn contains_key<Q: Ord + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.position(key).is_ok()
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.position(&key) {
            Ok(i) => Some(std::mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
                None
            }
        }
    }

    /// The value of `key`, inserted by `make` if absent.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        let i = match self.position(&key) {
            Ok(i) => i,
            Err(i) => {
                self.entries.insert(i, (key, make()));
                i
            }
        };
        &mut self.entries[i].1
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// How many keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Ord, V> Extend<(K, V)> for SortedMap<K, V> {
    /// Inserts each pair; a later pair replaces an earlier value.
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, pairs: I) {
        for (k, v) in pairs {
            self.insert(k, v);
        }
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for SortedMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut map = SortedMap::new();
        map.extend(pairs);
        map
    }
}

impl<K, V> IntoIterator for SortedMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a, K, V> IntoIterator for &'a SortedMap<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::iter::Map<std::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Ord + Borrow<str>, V> std::ops::Index<&str> for SortedMap<K, V> {
    type Output = V;

    /// The value of `key`; panics if there is none (as `BTreeMap`'s index does).
    fn index(&self, key: &str) -> &V {
        self.get(key).expect("no entry for the key")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn behaves_as_a_btree_map_over_any_sequence_of_inserts() {
        // A fixed pseudo-random sequence with repeats.
        let mut seed = 7u32;
        let mut ours = SortedMap::new();
        let mut reference = BTreeMap::new();
        for i in 0..500u32 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let key = format!("k{}", (seed >> 16) % 60);
            assert_eq!(ours.insert(key.clone(), i), reference.insert(key, i));
        }
        assert_eq!(ours.len(), reference.len());
        assert!(
            ours.iter().eq(reference.iter()),
            "same pairs in the same order"
        );
        for n in 0..70 {
            let key = format!("k{n}");
            assert_eq!(ours.get(key.as_str()), reference.get(key.as_str()));
            assert_eq!(
                ours.contains_key(key.as_str()),
                reference.contains_key(&key)
            );
        }
    }

    #[test]
    fn get_or_insert_with_keeps_what_is_there() {
        let mut map: SortedMap<String, Vec<u8>> = SortedMap::new();
        map.get_or_insert_with("b".into(), Vec::new).push(1);
        map.get_or_insert_with("a".into(), Vec::new).push(2);
        map.get_or_insert_with("b".into(), || vec![9]).push(3);
        let pairs: Vec<_> = map.into_iter().collect();
        assert_eq!(pairs, [("a".into(), vec![2]), ("b".into(), vec![1, 3])]);
    }

    #[test]
    fn collecting_and_extending_keep_the_last_value_of_a_key() {
        let mut map: SortedMap<&str, i32> = [("x", 1), ("y", 2), ("x", 3)].into_iter().collect();
        map.extend([("y", 4), ("a", 0)]);
        let pairs: Vec<_> = (&map).into_iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(pairs, [("a", 0), ("x", 3), ("y", 4)]);
        assert!(!map.is_empty());
    }
}
