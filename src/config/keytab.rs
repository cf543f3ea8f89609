//! The first principal of a Kerberos keytab file, read at start so that a
//! keytab the ZooKeeper login cannot use is an error naming
//! `security.kerberos.login.keytab`, not a refused session later.
//!
//! MIT Kerberos' GSSAPI library, which flink-mesos' own ZooKeeper client
//! logs in with (`KRB5_CLIENT_KTNAME`), takes the keytab's *first*
//! principal; Flink's JVMs take `security.kerberos.login.principal`. The
//! two must agree. Written by hand: the file format (MIT's keytab version
//! 0x502, the only one written since krb5 1.x) is a few fixed fields, and
//! no crate reads it without linking krb5.
//!
//! Layout: `05 02`, then entries, each an `i32` size (negative: a hole of
//! that many bytes) and the entry: `u16` component count, the realm and
//! each component as `u16`-counted strings, then the name type, timestamp,
//! key version, key type and key (not read here). Big-endian throughout.

use std::path::Path;

/// The first principal (`component/component@REALM`) of the keytab at
/// `path`; `Ok(None)` for a keytab without entries. An error says what is
/// wrong with the file.
pub fn first_principal(path: &Path) -> Result<Option<String>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_first_principal(&bytes)
        .map_err(|what| format!("{} is not a Kerberos keytab ({what})", path.display()))
}

fn parse_first_principal(bytes: &[u8]) -> Result<Option<String>, &'static str> {
    let mut r = Reader { bytes, at: 0 };
    match r.u16()? {
        0x0502 => {}
        0x0501 => {
            return Err(
                "version 0x501, which counts the realm as a component: rewrite it with ktutil",
            )
        }
        _ => return Err("no keytab version 0x502 at its start"),
    }
    while r.at < bytes.len() {
        let size = r.i32()?;
        if size < 0 {
            r.skip(size.unsigned_abs() as usize)?;
            continue;
        }
        if size == 0 {
            break;
        }
        let components = r.u16()?;
        let realm = r.counted()?;
        let mut name = Vec::with_capacity(usize::from(components));
        for _ in 0..components {
            name.push(r.counted()?);
        }
        return Ok(Some(format!("{}@{realm}", name.join("/"))));
    }
    Ok(None)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], &'static str> {
        let end = self.at.checked_add(n).ok_or("truncated")?;
        let out = self.bytes.get(self.at..end).ok_or("truncated")?;
        self.at = end;
        Ok(out)
    }

    fn skip(&mut self, n: usize) -> Result<(), &'static str> {
        self.take(n).map(|_| ())
    }

    fn u16(&mut self) -> Result<u16, &'static str> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn i32(&mut self) -> Result<i32, &'static str> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn counted(&mut self) -> Result<String, &'static str> {
        let n = usize::from(self.u16()?);
        let b = self.take(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "a name that is not UTF-8")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn counted(s: &str) -> Vec<u8> {
        let mut v = (s.len() as u16).to_be_bytes().to_vec();
        v.extend(s.as_bytes());
        v
    }

    fn entry(realm: &str, components: &[&str]) -> Vec<u8> {
        let mut e = (components.len() as u16).to_be_bytes().to_vec();
        e.extend(counted(realm));
        for c in components {
            e.extend(counted(c));
        }
        // Name type, timestamp, vno8, key type, key.
        e.extend([0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 18]);
        e.extend([0, 4, 1, 2, 3, 4]);
        let mut out = (e.len() as i32).to_be_bytes().to_vec();
        out.extend(e);
        out
    }

    /// A keytab with one entry for each principal (`a/b@REALM`), in order.
    pub(crate) fn keytab(principals: &[&str]) -> Vec<u8> {
        let mut kt = vec![5, 2];
        for p in principals {
            let (name, realm) = p.split_once('@').unwrap();
            kt.extend(entry(realm, &name.split('/').collect::<Vec<_>>()));
        }
        kt
    }

    #[test]
    fn the_first_entry_after_holes_is_the_principal() {
        let mut kt = vec![5, 2];
        kt.extend((-3i32).to_be_bytes());
        kt.extend([0, 0, 0]);
        kt.extend(entry("FLINK.TEST", &["zookeeper", "localhost"]));
        kt.extend(entry("FLINK.TEST", &["flink"]));
        assert_eq!(
            parse_first_principal(&kt).unwrap().as_deref(),
            Some("zookeeper/localhost@FLINK.TEST")
        );
        assert_eq!(parse_first_principal(&[5, 2]).unwrap(), None);
    }

    #[test]
    fn damaged_files_are_errors_not_panics() {
        let good = keytab(&["flink@R"]);
        for cut in 0..good.len() - 17 {
            let r = parse_first_principal(&good[..cut]);
            assert!(r.is_err() || r == Ok(None), "{cut}: {r:?}");
        }
        assert!(parse_first_principal(b"[libdefaults]\n").is_err());
        assert!(parse_first_principal(&[5, 1, 0, 0]).is_err());
        let mut huge = vec![5, 2];
        huge.extend(i32::MIN.to_be_bytes());
        assert!(parse_first_principal(&huge).is_err());
    }
}
