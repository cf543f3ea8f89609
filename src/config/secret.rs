//! [`Secret`]: a string that never prints itself. `Debug` and `Display` show
//! a mask; only [`Secret::expose`] gives the value, at the one place that
//! needs it (an Authorization header, a ZooKeeper digest).

use std::fmt;

pub const MASK: &str = "******";

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether `presented` is this secret, in time that does not depend on
    /// where they differ (both are hashed first, so the lengths do not leak
    /// either).
    pub fn matches(&self, presented: &str) -> bool {
        use ring::digest::{digest, SHA256};
        let a = digest(&SHA256, self.0.as_bytes());
        let b = digest(&SHA256, presented.as_bytes());
        a.as_ref()
            .iter()
            .zip(b.as_ref())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_only_the_same_value() {
        let s = super::Secret::new("abc");
        assert!(s.matches("abc"));
        assert!(!s.matches("abd"));
        assert!(!s.matches(""));
        assert!(!s.matches("abcd"));
    }
}
