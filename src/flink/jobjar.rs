//! A job cluster's JAR (`flink-mesos appmaster --job-jar`), checked before
//! anything starts: the file exists, is a JAR (a ZIP archive with a central
//! directory), and holds the entry class — the one given, else the
//! manifest's `Main-Class`. Reads only the archive's central directory and,
//! when no class is given, `META-INF/MANIFEST.MF`; nothing is extracted.
//!
//! A class that is not in the JAR itself may still be in one of its nested
//! `lib/*.jar` (Flink's `PackagedProgram` puts them on the user classpath):
//! then the check passes with a note instead of failing.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::error::{Classified, ErrorKind};

/// A checked job JAR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobJar {
    /// Absolute path of the JAR.
    pub path: PathBuf,
    /// The class Flink runs (`--job-classname`, else `Main-Class`).
    pub entry_class: String,
    /// The class was given on the command line (else from the manifest).
    pub class_given: bool,
    /// Something to log (a class only a nested JAR may hold).
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum JobJarError {
    #[error("the job JAR {path} cannot be read: {source}")]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the job JAR {path} is not a file")]
    NotAFile { path: PathBuf },
    #[error("the job JAR {path} is not a JAR (ZIP) archive: {reason}")]
    NotAJar { path: PathBuf, reason: String },
    #[error(
        "the job JAR {path} names no entry class: its manifest has no Main-Class; pass \
         --job-classname CLASS"
    )]
    NoEntryClass { path: PathBuf },
    #[error("the job JAR {path} holds no class {class} (no entry {entry}){similar}")]
    ClassNotFound {
        path: PathBuf,
        class: String,
        entry: String,
        similar: String,
    },
}

impl Classified for JobJarError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::User
    }
    fn hint(&self) -> Option<String> {
        match self {
            JobJarError::ClassNotFound { .. } | JobJarError::NoEntryClass { .. } => Some(
                "list the JAR's classes with `jar tf JAR`; --job-classname takes the class's \
                 binary name (com.example.MyJob)"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// Checks `path` and works out the entry class.
pub fn check(path: &Path, class: Option<&str>) -> Result<JobJar, JobJarError> {
    let path = crate::config::settings::absolute(path);
    let unreadable = |source| JobJarError::Unreadable {
        path: path.clone(),
        source,
    };
    let meta = std::fs::metadata(&path).map_err(unreadable)?;
    if !meta.is_file() {
        return Err(JobJarError::NotAFile { path });
    }
    let mut file = File::open(&path).map_err(unreadable)?;
    let not_a_jar = |reason: String| JobJarError::NotAJar {
        path: path.clone(),
        reason,
    };
    let entries = read_central_directory(&mut file).map_err(not_a_jar)?;
    let (entry_class, class_given) = match class {
        Some(c) => (c.trim().to_string(), true),
        None => {
            let manifest = entries
                .iter()
                .find(|e| e.name.eq_ignore_ascii_case("META-INF/MANIFEST.MF"));
            let main = match manifest {
                Some(m) => {
                    let bytes = read_entry(&mut file, m).map_err(not_a_jar)?;
                    main_class(&String::from_utf8_lossy(&bytes))
                }
                None => None,
            };
            match main {
                Some(c) => (c, false),
                None => return Err(JobJarError::NoEntryClass { path }),
            }
        }
    };
    let entry = format!("{}.class", entry_class.replace('.', "/"));
    if entries.iter().any(|e| e.name == entry) {
        return Ok(JobJar {
            path,
            entry_class,
            class_given,
            note: None,
        });
    }
    let nested: Vec<&str> = entries
        .iter()
        .map(|e| e.name.as_str())
        .filter(|n| n.starts_with("lib/") && n.ends_with(".jar"))
        .collect();
    if !nested.is_empty() {
        return Ok(JobJar {
            note: Some(format!(
                "{entry_class} is not in {} itself; Flink looks for it in its nested JARs ({})",
                path.display(),
                nested.join(", ")
            )),
            path,
            entry_class,
            class_given,
        });
    }
    let simple = entry_class.rsplit('.').next().unwrap_or(&entry_class);
    let similar: Vec<String> = entries
        .iter()
        .filter_map(|e| e.name.strip_suffix(".class"))
        .filter(|n| !n.contains('$'))
        .filter(|n| {
            let last = n.rsplit('/').next().unwrap_or(n);
            last.eq_ignore_ascii_case(simple) || strsim::levenshtein(last, simple) <= 2
        })
        .take(3)
        .map(|n| n.replace('/', "."))
        .collect();
    Err(JobJarError::ClassNotFound {
        path,
        class: entry_class,
        entry,
        similar: if similar.is_empty() {
            String::new()
        } else {
            format!("; did you mean {}?", similar.join(" or "))
        },
    })
}

/// One central-directory entry.
#[derive(Debug)]
struct Entry {
    name: String,
    method: u16,
    compressed: u64,
    size: u64,
    offset: u64,
}

/// The largest manifest read (a manifest is a few KB).
const MANIFEST_LIMIT: u64 = 1 << 20;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// The archive's entries, from its central directory (ZIP64 included).
fn read_central_directory<R: Read + Seek>(file: &mut R) -> Result<Vec<Entry>, String> {
    let io = |e: std::io::Error| e.to_string();
    let len = file.seek(SeekFrom::End(0)).map_err(io)?;
    if len < 22 {
        return Err(format!("{len} bytes is too short for a ZIP archive"));
    }
    // The end-of-central-directory record: 22 bytes plus a comment of up to 64 KiB.
    let tail_len = len.min(22 + 65_535 + 20);
    file.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    let mut tail = vec![0u8; tail_len as usize];
    file.read_exact(&mut tail).map_err(io)?;
    let eocd = (0..=tail.len() - 22)
        .rev()
        .find(|&i| tail[i..i + 4] == [0x50, 0x4b, 0x05, 0x06])
        .ok_or("no end-of-central-directory record")?;
    let bad = || "a truncated end-of-central-directory record".to_string();
    let mut count = u64::from(u16_at(&tail, eocd + 10).ok_or_else(bad)?);
    let mut cd_size = u64::from(u32_at(&tail, eocd + 12).ok_or_else(bad)?);
    let mut cd_offset = u64::from(u32_at(&tail, eocd + 16).ok_or_else(bad)?);
    if count == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF {
        // ZIP64: the locator sits just before the record and points at the
        // ZIP64 end-of-central-directory record.
        let locator = eocd
            .checked_sub(20)
            .filter(|&l| tail[l..l + 4] == [0x50, 0x4b, 0x06, 0x07])
            .ok_or("a ZIP64 archive without its locator")?;
        let at = u64_at(&tail, locator + 8).ok_or_else(bad)?;
        file.seek(SeekFrom::Start(at)).map_err(io)?;
        let mut rec = [0u8; 56];
        file.read_exact(&mut rec).map_err(io)?;
        if rec[0..4] != [0x50, 0x4b, 0x06, 0x06] {
            return Err("a broken ZIP64 end-of-central-directory record".into());
        }
        count = u64_at(&rec, 32).ok_or_else(bad)?;
        cd_size = u64_at(&rec, 40).ok_or_else(bad)?;
        cd_offset = u64_at(&rec, 48).ok_or_else(bad)?;
    }
    if cd_offset.saturating_add(cd_size) > len {
        return Err("the central directory lies beyond the end of the file".into());
    }
    if cd_size > 256 << 20 {
        return Err(format!("a central directory of {cd_size} bytes"));
    }
    file.seek(SeekFrom::Start(cd_offset)).map_err(io)?;
    let mut cd = vec![0u8; cd_size as usize];
    file.read_exact(&mut cd).map_err(io)?;
    let mut entries = Vec::new();
    let mut at = 0usize;
    let broken = || "a broken central directory entry".to_string();
    while entries.len() as u64 != count {
        if u32_at(&cd, at) != Some(0x0201_4b50) {
            return Err(format!(
                "the central directory holds {} of {count} entries",
                entries.len()
            ));
        }
        let method = u16_at(&cd, at + 10).ok_or_else(broken)?;
        let mut compressed = u64::from(u32_at(&cd, at + 20).ok_or_else(broken)?);
        let mut size = u64::from(u32_at(&cd, at + 24).ok_or_else(broken)?);
        let name_len = usize::from(u16_at(&cd, at + 28).ok_or_else(broken)?);
        let extra_len = usize::from(u16_at(&cd, at + 30).ok_or_else(broken)?);
        let comment_len = usize::from(u16_at(&cd, at + 32).ok_or_else(broken)?);
        let mut offset = u64::from(u32_at(&cd, at + 42).ok_or_else(broken)?);
        let name = cd.get(at + 46..at + 46 + name_len).ok_or_else(broken)?;
        let extra = cd
            .get(at + 46 + name_len..at + 46 + name_len + extra_len)
            .ok_or_else(broken)?;
        // ZIP64 extended information: the fields that overflowed, in order.
        let mut e = 0;
        while e + 4 <= extra.len() {
            let id = u16_at(extra, e).ok_or_else(broken)?;
            let n = usize::from(u16_at(extra, e + 2).ok_or_else(broken)?);
            if id == 1 {
                let mut f = e + 4;
                for field in [&mut size, &mut compressed, &mut offset] {
                    if *field == 0xFFFF_FFFF {
                        *field = u64_at(extra, f).ok_or_else(broken)?;
                        f += 8;
                    }
                }
            }
            e += 4 + n;
        }
        entries.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            method,
            compressed,
            size,
            offset,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    Ok(entries)
}

/// One entry's bytes (stored or deflated), at most [`MANIFEST_LIMIT`].
fn read_entry<R: Read + Seek>(file: &mut R, entry: &Entry) -> Result<Vec<u8>, String> {
    let io = |e: std::io::Error| format!("{}: {e}", entry.name);
    if entry.size > MANIFEST_LIMIT || entry.compressed > MANIFEST_LIMIT {
        return Err(format!("{} is larger than 1 MiB", entry.name));
    }
    file.seek(SeekFrom::Start(entry.offset)).map_err(io)?;
    let mut header = [0u8; 30];
    file.read_exact(&mut header).map_err(io)?;
    if header[0..4] != [0x50, 0x4b, 0x03, 0x04] {
        return Err(format!("{}: no local file header", entry.name));
    }
    let skip = u64::from(u16::from_le_bytes([header[26], header[27]]))
        + u64::from(u16::from_le_bytes([header[28], header[29]]));
    file.seek(SeekFrom::Current(skip as i64)).map_err(io)?;
    let mut data = vec![0u8; entry.compressed as usize];
    file.read_exact(&mut data).map_err(io)?;
    match entry.method {
        0 => Ok(data),
        8 => miniz_oxide::inflate::decompress_to_vec_with_limit(&data, MANIFEST_LIMIT as usize)
            .map_err(|e| format!("{}: cannot inflate: {e:?}", entry.name)),
        m => Err(format!(
            "{}: compression method {m} is not supported",
            entry.name
        )),
    }
}

/// `Main-Class` of a manifest's main section (72-byte lines continued by a
/// leading space).
fn main_class(manifest: &str) -> Option<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in manifest.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break; // the end of the main section
        }
        match (line.strip_prefix(' '), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => lines.push(line.to_string()),
        }
    }
    lines.iter().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim().eq_ignore_ascii_case("Main-Class") && !v.trim().is_empty())
            .then(|| v.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A minimal ZIP writer (stored or deflated entries) for the tests.
    fn zip(entries: &[(&str, &[u8], bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for (name, data, deflate) in entries {
            let body = if *deflate {
                miniz_oxide::deflate::compress_to_vec(data, 6)
            } else {
                data.to_vec()
            };
            let method: u16 = if *deflate { 8 } else { 0 };
            let offset = out.len() as u32;
            out.extend([0x50, 0x4b, 0x03, 0x04]);
            out.extend([20, 0, 0, 0]);
            out.extend(method.to_le_bytes());
            out.extend([0; 8]); // time, date, crc (unchecked here)
            out.extend((body.len() as u32).to_le_bytes());
            out.extend((data.len() as u32).to_le_bytes());
            out.extend((name.len() as u16).to_le_bytes());
            out.extend([0, 0]);
            out.extend(name.as_bytes());
            out.extend(&body);
            cd.extend([0x50, 0x4b, 0x01, 0x02, 20, 0, 20, 0, 0, 0]);
            cd.extend(method.to_le_bytes());
            cd.extend([0; 8]);
            cd.extend((body.len() as u32).to_le_bytes());
            cd.extend((data.len() as u32).to_le_bytes());
            cd.extend((name.len() as u16).to_le_bytes());
            cd.extend([0; 12]);
            cd.extend(offset.to_le_bytes());
            cd.extend(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend(&cd);
        out.extend([0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0]);
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((entries.len() as u16).to_le_bytes());
        out.extend((cd.len() as u32).to_le_bytes());
        out.extend(cd_offset.to_le_bytes());
        out.extend([0, 0]);
        out
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::File::create(&path)
            .unwrap()
            .write_all(bytes)
            .unwrap();
        path
    }

    const MANIFEST: &[u8] = b"Manifest-Version: 1.0\r\nCreated-By: test\r\nMain-Class: com.example.jobs.VeryLongNameOfAStreamingJobThatWrapsAcrossTheSeve\r\n ntyTwoByteLine\r\n\r\nName: x\r\nMain-Class: Wrong\r\n";

    #[test]
    fn the_entry_class_comes_from_the_flag_or_the_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let class = "com/example/jobs/VeryLongNameOfAStreamingJobThatWrapsAcrossTheSeventyTwoByteLine.class";
        let jar = write(
            dir.path(),
            "job.jar",
            &zip(&[
                ("META-INF/MANIFEST.MF", MANIFEST, true),
                (class, b"\xca\xfe\xba\xbe", false),
                ("Other.class", b"\xca\xfe\xba\xbe", true),
            ]),
        );
        let got = check(&jar, None).unwrap();
        assert_eq!(
            got.entry_class,
            "com.example.jobs.VeryLongNameOfAStreamingJobThatWrapsAcrossTheSeventyTwoByteLine"
        );
        assert!(!got.class_given);
        let got = check(&jar, Some("Other")).unwrap();
        assert_eq!((got.entry_class.as_str(), got.class_given), ("Other", true));
        let err = check(&jar, Some("com.example.Othr")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("no class com.example.Othr"), "{text}");
        assert!(text.contains("com/example/Othr.class"), "{text}");
        assert!(text.contains("did you mean Other?"), "{text}");
    }

    #[test]
    fn missing_files_directories_and_other_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let err = check(&dir.path().join("nope.jar"), None).unwrap_err();
        assert!(matches!(err, JobJarError::Unreadable { .. }), "{err}");
        assert!(err.to_string().contains("nope.jar"));
        let err = check(dir.path(), None).unwrap_err();
        assert!(matches!(err, JobJarError::NotAFile { .. }), "{err}");
        let text = write(dir.path(), "job.jar", b"public class Job {}\n");
        let err = check(&text, Some("Job")).unwrap_err();
        assert!(matches!(err, JobJarError::NotAJar { .. }), "{err}");
        let mut truncated = zip(&[("Job.class", b"x", false)]);
        truncated.drain(..10);
        let broken = write(dir.path(), "broken.jar", &truncated);
        assert!(matches!(
            check(&broken, Some("Job")),
            Err(JobJarError::NotAJar { .. })
        ));
        let no_main = write(
            dir.path(),
            "nomain.jar",
            &zip(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n", false)]),
        );
        let err = check(&no_main, None).unwrap_err();
        assert!(matches!(err, JobJarError::NoEntryClass { .. }), "{err}");
        assert!(err.to_string().contains("--job-classname"));
    }

    #[test]
    fn a_class_in_a_nested_jar_passes_with_a_note() {
        let dir = tempfile::tempdir().unwrap();
        let jar = write(
            dir.path(),
            "fat.jar",
            &zip(&[("lib/deps.jar", b"PK", false)]),
        );
        let got = check(&jar, Some("com.example.Job")).unwrap();
        assert!(got.note.unwrap().contains("lib/deps.jar"));
    }

    #[test]
    fn hostile_archives_are_errors_not_panics() {
        let mut data = zip(&[("A.class", b"x", false)]);
        let n = data.len();
        // A central directory that claims more entries than it holds, and
        // one that points beyond the file.
        for (at, value) in [(n - 12, 0xFFu8), (n - 6, 0x7F)] {
            let mut bad = data.clone();
            bad[at] = value;
            assert!(read_central_directory(&mut std::io::Cursor::new(bad)).is_err());
        }
        data.truncate(n - 1);
        assert!(read_central_directory(&mut std::io::Cursor::new(data)).is_err());
    }
}
