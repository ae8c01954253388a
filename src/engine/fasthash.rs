//! A fast hasher for the engine's lookup tables.
//!
//! The tables are built from the knowledge base and the lexicon and only read
//! at question time, so patron text can look keys up but never insert them:
//! the denial-of-service resistance of std's SipHash buys nothing here, and
//! FNV-1a is several times faster on the short words the engine looks up.

/// FNV-1a from the `fnv` crate.
pub type FastMap<K, V> = fnv::FnvHashMap<K, V>;
pub type FastSet<K> = fnv::FnvHashSet<K>;

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
