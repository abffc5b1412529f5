//! The Pustaka backup file: the store's lines (`store::backup`) gzip-compressed, one line each,
//! and read back within budgets (line length, inflated size, inflation ratio), since a backup
//! to restore is outside bytes like any upload. The format: `docs/backup-format.md`.

use std::io::{BufRead, BufReader, Read, Write};

use flate2::{read::MultiGzDecoder, write::GzEncoder, Compression};

use crate::{
    budget::Budget,
    store::backup::{LineSink, LineSource},
};

/// The budgets of a backup file being read.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// The longest line (a row; a member's photo, hex-encoded, is at most 512 KiB of it).
    pub max_line: usize,
    /// The most bytes the file may inflate to.
    pub max_inflated: u64,
    /// The most the file may inflate per compressed byte (past 1 MiB of output).
    pub max_ratio: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        Self { max_line: 8 << 20, max_inflated: 16 << 30, max_ratio: 200 }
    }
}

/// Writes lines into a gzip stream.
pub struct GzipSink<W: Write> {
    out: GzEncoder<W>,
    /// Bytes of lines written (uncompressed).
    pub written: u64,
}

impl<W: Write> GzipSink<W> {
    /// A sink compressing into `out`.
    pub fn new(out: W) -> Self {
        Self { out: GzEncoder::new(out, Compression::new(6)), written: 0 }
    }

    /// Ends the gzip stream and hands back the writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.out.finish()
    }
}

impl<W: Write> LineSink for GzipSink<W> {
    fn line(&mut self, line: &str) -> std::io::Result<()> {
        self.written += line.len() as u64 + 1;
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")
    }
}

/// Counts the bytes read through it (the compressed size, for the ratio).
struct Counted<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads lines out of a gzip stream, within [`Budgets`].
pub struct GzipSource<R: Read> {
    lines: BufReader<MultiGzDecoder<Counted<R>>>,
    compressed: std::sync::Arc<std::sync::atomic::AtomicU64>,
    inflated: u64,
    budgets: Budgets,
}

impl<R: Read> GzipSource<R> {
    /// A source reading `input` within `budgets`.
    pub fn new(input: R, budgets: Budgets) -> Self {
        let compressed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = Counted { inner: input, read: compressed.clone() };
        Self {
            lines: BufReader::with_capacity(64 << 10, MultiGzDecoder::new(counted)),
            compressed,
            inflated: 0,
            budgets,
        }
    }

    fn over(&self, b: Budget) -> std::io::Error {
        std::io::Error::other(b)
    }
}

impl<R: Read> LineSource for GzipSource<R> {
    fn next_line(&mut self) -> std::io::Result<Option<String>> {
        let mut line = Vec::new();
        loop {
            let empty = self.inflated == 0 && self.compressed.load(std::sync::atomic::Ordering::Relaxed) == 0;
            let buf = match self.lines.fill_buf() {
                // An empty file is no gzip stream either: it has no lines.
                Err(_) if empty => return Ok(None),
                r => r?,
            };
            if buf.is_empty() {
                if line.is_empty() {
                    return Ok(None);
                }
                break;
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            line.extend_from_slice(&buf[..take]);
            self.lines.consume(take);
            self.inflated += take as u64;
            let b = self.budgets;
            if line.len() > b.max_line + 1 {
                return Err(self.over(Budget::new(
                    "value_too_long",
                    b.max_line,
                    format!("a line of the backup is longer than {} bytes", b.max_line),
                )));
            }
            if self.inflated > b.max_inflated {
                return Err(self.over(Budget::new(
                    "too_much_text",
                    b.max_inflated,
                    format!("the backup inflates to more than {} bytes", b.max_inflated),
                )));
            }
            let compressed = self.compressed.load(std::sync::atomic::Ordering::Relaxed).max(1);
            if self.inflated > (1 << 20) && self.inflated / compressed > b.max_ratio {
                return Err(self.over(Budget::new(
                    "too_much_text",
                    compressed.saturating_mul(b.max_ratio),
                    format!("the backup inflates more than {} times its size", b.max_ratio),
                )));
            }
            if done {
                line.pop();
                break;
            }
        }
        String::from_utf8(line).map(Some).map_err(|_| std::io::Error::other("a line of the backup is not UTF-8"))
    }
}

/// Writes a backup of `store` to `path`: into a file beside it first, renamed when whole, so that
/// a failed backup leaves no half file under the name.
pub async fn write_file(
    store: &crate::store::Store,
    path: &std::path::Path,
) -> anyhow::Result<crate::store::backup::Contents> {
    use anyhow::Context;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let file = std::fs::File::create(&partial).with_context(|| format!("cannot write {}", partial.display()))?;
    let mut sink = GzipSink::new(std::io::BufWriter::new(file));
    let written = store.write_backup(&mut sink).await;
    let done = written.map_err(anyhow::Error::from).and_then(|c| {
        let mut out = sink.finish()?;
        out.flush()?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        Ok(c)
    });
    match done {
        Ok(c) => {
            std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
            Ok(c)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// The name of a backup file written at `at`: `pustaka-YYYYMMDD-HHMMSS.pustaka-backup.gz`.
pub fn file_name(at: chrono::DateTime<chrono::Utc>) -> String {
    format!("pustaka-{}.pustaka-backup.gz", at.format("%Y%m%d-%H%M%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(lines: &[&str]) -> Vec<u8> {
        let mut s = GzipSink::new(Vec::new());
        for l in lines {
            s.line(l).unwrap();
        }
        s.finish().unwrap()
    }

    #[test]
    fn lines_round_trip() {
        let bytes = gz(&["{\"a\":1}", "", "[1,2]"]);
        let mut src = GzipSource::new(&bytes[..], Budgets::default());
        assert_eq!(src.next_line().unwrap().as_deref(), Some("{\"a\":1}"));
        assert_eq!(src.next_line().unwrap().as_deref(), Some(""));
        assert_eq!(src.next_line().unwrap().as_deref(), Some("[1,2]"));
        assert_eq!(src.next_line().unwrap(), None);
    }

    #[test]
    fn budgets_hold_whatever_the_file_says() {
        let long = "x".repeat(5000);
        let bytes = gz(&[&long]);
        let mut src = GzipSource::new(&bytes[..], Budgets { max_line: 1000, ..Budgets::default() });
        let e = src.next_line().unwrap_err();
        assert_eq!(Budget::of_io(&e).map(|b| b.code), Some("value_too_long"));

        let zeros = "0".repeat(4 << 20);
        let bytes = gz(&[&zeros[..1000], &zeros[..1000], &zeros]);
        let mut src = GzipSource::new(&bytes[..], Budgets { max_line: 8 << 20, max_inflated: 1 << 30, max_ratio: 50 });
        let e = std::iter::from_fn(|| Some(src.next_line())).find_map(Result::err).unwrap();
        assert_eq!(Budget::of_io(&e).map(|b| b.code), Some("too_much_text"));

        let mut src = GzipSource::new(&b"not gzip at all"[..], Budgets::default());
        assert!(src.next_line().is_err());
    }
}
