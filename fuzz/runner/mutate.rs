//! Inputs made from others: the mutations libFuzzer makes without its
//! coverage (bits flipped, bytes set, inserted, deleted, copied, spliced
//! with another input, words of the format inserted), and the ones that
//! find work that grows faster than the input: a piece repeated until the
//! input is as long as the target takes, a number made huge, a character
//! made several bytes long.

use crate::Target;

/// xorshift64*: small, and the same run from the same seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number below `n` (which is not 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    /// A length from 1 to `most`, short ones likelier.
    fn length(&mut self, most: usize) -> usize {
        let reach = self.below(most.max(1));
        1 + self.below(1 + reach)
    }
}

const SPECIAL_BYTES: &[u8] = b"\0\xff\x7f\x80\n\r\t \"',;:=<>[](){}*_`#-+.\\/@%&0919";
const SPECIAL_CHARS: &[&str] = &[
    "é", "İ", "ß", "ﬁ", "𝄞", "\u{202e}", "\u{200b}", "\u{feff}", "\u{301}", "\u{2028}", "\u{fffd}",
];
const SPECIAL_NUMBERS: &[&str] = &[
    "0",
    "-1",
    "-0",
    "1e309",
    "255",
    "65536",
    "262143",
    "+262142",
    "2147483648",
    "4294967296",
    "9223372036854775808",
    "18446744073709551616",
    "99999999999999999999999999999999",
];

/// `base` changed one to eight times, at most `target.max_len` long;
/// now and then a new random input instead.
pub fn mutate(rng: &mut Rng, base: Vec<u8>, pool: &[Vec<u8>], target: &Target) -> Vec<u8> {
    if rng.one_in(50) {
        return fresh(rng, target.max_len);
    }
    let mut data = base;
    for _ in 0..=rng.below(8) {
        change(rng, &mut data, pool, target);
        data.truncate(target.max_len);
    }
    data
}

fn fresh(rng: &mut Rng, max_len: usize) -> Vec<u8> {
    let len = rng.below(max_len.min(512) + 1);
    let printable = rng.one_in(2);
    (0..len)
        .map(|_| {
            let b = rng.next() as u8;
            if printable {
                b' ' + b % 95
            } else {
                b
            }
        })
        .collect()
}

fn change(rng: &mut Rng, data: &mut Vec<u8>, pool: &[Vec<u8>], target: &Target) {
    let at = |rng: &mut Rng, data: &Vec<u8>| rng.below(data.len() + 1);
    match rng.below(12) {
        0 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] ^= 1 << rng.below(8);
        }
        1 if !data.is_empty() => {
            let i = rng.below(data.len());
            data[i] = SPECIAL_BYTES[rng.below(SPECIAL_BYTES.len())];
        }
        2 => {
            let i = at(rng, data);
            let bytes: Vec<u8> = (0..rng.length(8)).map(|_| rng.next() as u8).collect();
            data.splice(i..i, bytes);
        }
        3 if !data.is_empty() => {
            let i = rng.below(data.len());
            let n = rng.length((data.len() - i).min(256));
            data.drain(i..i + n);
        }
        4 if !data.is_empty() => {
            // A piece copied elsewhere.
            let i = rng.below(data.len());
            let piece = data[i..i + rng.length((data.len() - i).min(256))].to_vec();
            let to = at(rng, data);
            data.splice(to..to, piece);
        }
        5 if !data.is_empty() => {
            // A piece repeated, up to the longest input the target takes.
            let i = rng.below(data.len());
            let piece = data[i..i + rng.length((data.len() - i).min(32))].to_vec();
            let room = target.max_len.saturating_sub(data.len()) / piece.len();
            let times = if rng.one_in(2) {
                room
            } else {
                rng.length(room.min(64))
            };
            let repeated = piece.repeat(times);
            data.splice(i..i, repeated);
        }
        6 if !target.tokens.is_empty() => {
            let token = target.tokens[rng.below(target.tokens.len())];
            let i = at(rng, data);
            data.splice(i..i, token.bytes());
        }
        7 if !pool.is_empty() => {
            // The start of this one and the end of another.
            let other = &pool[rng.below(pool.len())];
            let keep = at(rng, data);
            let from = rng.below(other.len() + 1);
            data.truncate(keep);
            data.extend_from_slice(&other[from..]);
        }
        8 => {
            let c = SPECIAL_CHARS[rng.below(SPECIAL_CHARS.len())];
            let i = at(rng, data);
            data.splice(i..i, c.bytes());
        }
        9 => {
            // A number made special, or one put in.
            let number = SPECIAL_NUMBERS[rng.below(SPECIAL_NUMBERS.len())];
            let digits = data.iter().position(u8::is_ascii_digit);
            match digits {
                Some(start) if rng.one_in(2) => {
                    let end = data[start..]
                        .iter()
                        .position(|b| !b.is_ascii_digit())
                        .map_or(data.len(), |n| start + n);
                    data.splice(start..end, number.bytes());
                }
                _ => {
                    let i = at(rng, data);
                    data.splice(i..i, number.bytes());
                }
            }
        }
        10 if data.len() >= 2 => {
            let (i, j) = (rng.below(data.len()), rng.below(data.len()));
            data.swap(i, j);
        }
        _ => {
            // A line copied over another (formats here are line by line).
            let lines: Vec<usize> = data
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1)
                .collect();
            if let Some(&start) = lines.get(rng.below(lines.len().max(1))) {
                let end = data[start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(data.len(), |n| start + n + 1);
                let line = data[start..end].to_vec();
                let to = lines[rng.below(lines.len())];
                data.splice(to..to, line);
            }
        }
    }
}
