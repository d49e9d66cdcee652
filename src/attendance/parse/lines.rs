//! Line numbers for CSV records read from a stream. csv's own line numbers
//! skip blank lines and miscount CRLF, and a record's byte offset is where
//! csv began reading it, before any blank lines: so the reader csv reads
//! through notes each run of line ends as it passes, and a record's line is
//! told from its offset. Only the runs csv has read ahead are kept.

use std::collections::VecDeque;
use std::io::{self, Read};

/// A run of consecutive `\r` and `\n` bytes.
struct Run {
    start: u64,
    end: u64,
    newlines: usize,
}

pub(super) struct Counted<R> {
    inner: R,
    /// Bytes read so far.
    offset: u64,
    /// Runs not yet passed by a record, oldest first.
    runs: VecDeque<Run>,
    /// Newlines in the runs already passed.
    passed: usize,
}

impl<R> Counted<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            inner,
            offset: 0,
            runs: VecDeque::new(),
            passed: 0,
        }
    }

    /// The 1-based line of the first byte at or after `at` that is not a
    /// line end: where a record csv began reading at `at` starts. Offsets
    /// must come in order (records do); `None` (an error with no position)
    /// is the line of the last record.
    pub(super) fn line_at(&mut self, at: Option<u64>) -> usize {
        if let Some(at) = at {
            // A run starting at or before `at` is wholly before the record:
            // csv has read past it to find the record's first byte.
            while self.runs.front().is_some_and(|r| r.start <= at) {
                self.passed += self.runs.pop_front().map_or(0, |r| r.newlines);
            }
        }
        self.passed + 1
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, &b) in buf[..n].iter().enumerate() {
            if b != b'\n' && b != b'\r' {
                continue;
            }
            let at = self.offset + i as u64;
            let newline = usize::from(b == b'\n');
            match self.runs.back_mut() {
                Some(run) if run.end == at => {
                    run.end += 1;
                    run.newlines += newline;
                }
                _ => self.runs.push_back(Run {
                    start: at,
                    end: at + 1,
                    newlines: newline,
                }),
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &str) -> Counted<&[u8]> {
        let mut counted = Counted::new(text.as_bytes());
        io::copy(&mut counted, &mut io::sink()).unwrap();
        counted
    }

    #[test]
    fn a_record_after_blank_lines_is_on_the_line_it_starts() {
        // "a\n" ends at 2; csv begins the next record there, before the blanks.
        let mut c = read_all("a\n\r\n\nb\n");
        assert_eq!(c.line_at(Some(0)), 1);
        assert_eq!(c.line_at(Some(2)), 4, "two blank lines skipped");
    }

    #[test]
    fn crlf_counts_once_and_a_quoted_newline_counts() {
        let mut c = read_all("a\r\n\"x\ny\"\r\nb\r\n");
        assert_eq!(c.line_at(Some(0)), 1);
        assert_eq!(c.line_at(Some(3)), 2);
        assert_eq!(c.line_at(Some(10)), 4, "the quoted newline is a line");
        assert_eq!(c.line_at(None), 4, "no position: the last record's line");
    }

    #[test]
    fn runs_split_across_reads_are_one_run() {
        struct Bytewise<'a>(&'a [u8]);
        impl Read for Bytewise<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let Some((&b, rest)) = self.0.split_first() else {
                    return Ok(0);
                };
                buf[0] = b;
                self.0 = rest;
                Ok(1)
            }
        }
        let mut c = Counted::new(Bytewise(b"a\r\n\r\nb"));
        io::copy(&mut c, &mut io::sink()).unwrap();
        assert_eq!(c.runs.len(), 1, "one run of line ends");
        assert_eq!(c.line_at(Some(1)), 3);
    }
}
