//! What a benchmark run is, checked: the scenario, where to send it, and the copy/member pairs of the
//! circulation scenarios. The command line (`cli`) builds a [`Config`]; the scenarios, the run and
//! the report read it.

use std::net::SocketAddr;
use std::time::Duration;

use clap::ValueEnum;

/// The request mix each virtual user runs.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    /// `GET /api/v1/books/{id}`, id uniform in 1..=max-id.
    Get,
    /// `GET /api/v1/books?q={term}&per_page=20`, a random term from --terms.
    Search,
    /// `GET /api/v1/books?per_page=20&page={1..=5}`.
    List,
    /// `GET /api/v1/books?page=1&per_page=20`: the catalogue's front page, as the OPAC asks for it.
    FirstPage,
    /// `GET /healthz`: no database work, so the HTTP stack and the kernel alone (what `get` could
    /// reach if reading the book cost nothing).
    Health,
    /// 60% search, 20% list, 15% get, 5% a checkout/return step on the user's own pair.
    Mixed,
    /// Checkout (`POST /api/v1/loans`) then return (`POST /api/v1/returns`) of the user's own pair, in a loop.
    Circulation,
    /// What a student does in the public catalogue, a third each: a search as the page sends it
    /// (`GET /api/v1/books/search?q={term}&page=1&per_page=20`, a random term from --terms), and the
    /// two requests of opening a book (`GET /api/v1/books/{id}`, `GET /api/v1/books/{id}/copies`).
    Opac,
    /// `GET {path}`, a random line of --paths each time (with --token: the staff's pages).
    Pages,
}

impl Scenario {
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Get => "get",
            Scenario::Search => "search",
            Scenario::List => "list",
            Scenario::FirstPage => "first-page",
            Scenario::Health => "health",
            Scenario::Mixed => "mixed",
            Scenario::Circulation => "circulation",
            Scenario::Opac => "opac",
            Scenario::Pages => "pages",
        }
    }
}

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub scenario: Scenario,
    /// Where to connect.
    pub addr: SocketAddr,
    /// Value of the `Host` header (the URL's authority).
    pub host: String,
    /// Path prefix from the URL without trailing slash ("" for none); requests go to `{base}/api/v1/...`.
    pub base: String,
    pub connections: usize,
    pub threads: usize,
    pub duration: Duration,
    pub warmup: Duration,
    pub rate: Option<f64>,
    pub max_id: u64,
    /// Search terms, already percent-encoded for a query string.
    pub terms: Vec<String>,
    pub token: Option<String>,
    pub pairs: Vec<Pair>,
    /// The paths of `pages`, each starting with `/` (the URL's prefix goes before them).
    pub paths: Vec<String>,
    pub seed: u64,
    pub label: Option<String>,
}

/// One copy (by barcode) and one member (by card number) that a single user checks out and returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    pub barcode: String,
    pub card_number: String,
}

/// Parses a pairs file: one `BARCODE CARDNUMBER` per line, whitespace-separated. Blank lines and lines
/// starting with `#` are skipped; any other line without exactly two fields is an error naming its line.
pub fn parse_pairs(text: &str) -> Result<Vec<Pair>, String> {
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields[..] {
            [barcode, card_number] => {
                pairs.push(Pair { barcode: barcode.to_string(), card_number: card_number.to_string() })
            }
            _ => {
                return Err(format!(
                    "line {}: expected \"BARCODE CARDNUMBER\", found {} field(s): {line:?}",
                    i + 1,
                    fields.len()
                ))
            }
        }
    }
    Ok(pairs)
}

/// Parses a paths file: one path (with its query) per line, each starting with `/`. Blank lines and
/// lines starting with `#` are skipped; any other line that is not a plain path is an error naming its line.
pub fn parse_paths(text: &str) -> Result<Vec<String>, String> {
    let mut paths = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !line.starts_with('/') || line.contains(char::is_whitespace) || line.parse::<hyper::Uri>().is_err() {
            return Err(format!("line {}: expected a path starting with / (query allowed), found {line:?}", i + 1));
        }
        paths.push(line.to_string());
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_file_parses() {
        let text = "# barcode card\nB0001 M-0001\n\n  B0002\t M-0002  \n";
        let pairs = parse_pairs(text).unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1], Pair { barcode: "B0002".into(), card_number: "M-0002".into() });
    }

    #[test]
    fn pairs_file_bad_line_names_its_number() {
        let err = parse_pairs("B1 M1\nB2 M2\nB3\n").unwrap_err();
        assert!(err.starts_with("line 3:"), "{err}");
        let err = parse_pairs("B1 M1 extra\n").unwrap_err();
        assert!(err.starts_with("line 1:"), "{err}");
    }

    #[test]
    fn paths_file_parses() {
        let paths = parse_paths("# staff pages\n/api/v1/loans?status=active\n\n  /api/v1/stats \n").unwrap();
        assert_eq!(paths, ["/api/v1/loans?status=active", "/api/v1/stats"]);
        assert!(parse_paths("/a\napi/v1/stats\n").unwrap_err().starts_with("line 2:"));
        assert!(parse_paths("/a b\n").unwrap_err().starts_with("line 1:"));
    }
}
