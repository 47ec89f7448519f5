//! FNV-1a, 64 bit: a stable hash (the same on every machine and every run,
//! unlike std's randomly seeded hasher). The batch keys documents and shards
//! by it; the word list (`govtab_match::lexicon`) keys its words by it.

use std::hash::{BuildHasherDefault, Hasher};

#[derive(Debug, Clone, Copy)]
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub fn write(&mut self, bytes: &[u8]) -> &mut Self {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        self
    }
    /// Write a field and a separator, so that ("ab","c") ≠ ("a","bc").
    pub fn field(&mut self, bytes: &[u8]) -> &mut Self {
        self.write(bytes).write(&[0xff])
    }
    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// As a [`Hasher`], for hash maps that need no random seed.
impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        Fnv::write(self, bytes);
    }
}

/// A [`std::collections::HashMap`] hasher builder over [`Fnv`].
pub type FnvBuild = BuildHasherDefault<Fnv>;

pub fn fnv1a64(bytes: &[u8]) -> u64 {
    Fnv::default().write(bytes).finish()
}
