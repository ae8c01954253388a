//! A fast hasher for the engine's lookup tables.
//!
//! The tables are built from the knowledge base and the lexicon and only read
//! at question time, so patron text can look keys up but never insert them:
//! the denial-of-service resistance of std's SipHash buys nothing here, and
//! FNV-1a is several times faster on the short words the engine looks up.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// FNV-1a, 64 bit.
pub struct FnvHasher(u64);

impl Default for FnvHasher {
    fn default() -> Self {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FnvHasher>>;
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FnvHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_find_what_they_hold() {
        let mut map: FastMap<String, u32> = FastMap::default();
        map.insert("renew".to_string(), 1);
        map.insert("renewal".to_string(), 2);
        assert_eq!(map.get("renew"), Some(&1));
        assert_eq!(map.get("renewal"), Some(&2));
        assert_eq!(map.get("renews"), None);
    }
}
