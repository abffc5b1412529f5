//! Copy cataloguing: an ISBN looked up in this library's catalogue and, at once, in the other
//! catalogues set in the admin page (SRU servers, other SLiMS OPACs, Open Library), each within
//! its own time limit, with what each answered kept in the database.
//!
//! The replica's outgoing requests are bounded: a time limit per source, at most
//! [`MAX_ANSWER_BYTES`] read of an answer, at most three redirects and never one to another host
//! that is, or whose name resolves to, a private, loopback or link-local address or `localhost`
//! (a source the admin set on such an address, a SLiMS on the school's network, is asked itself;
//! it cannot send the replica elsewhere), no cookies.
//! Answers are read within the formats' budgets ([`crate::copycat_formats`]).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    copycat_formats::{self as copycat, Answer, Found, MAX_ANSWER_BYTES},
    domain::Isbn,
    store::{
        copycat::{CatalogueSource, SourceKind},
        Store,
    },
};

/// The longest a cover is waited for, and the largest cover read.
const COVER_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_COVER_BYTES: usize = 1 << 20;

/// How a source answered this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Records found.
    Found,
    /// The source answered: nothing has this ISBN.
    NotFound,
    /// The source refused the search and said why (an SRU diagnostic): see `message`.
    Refused,
    /// The source could not be reached or its answer could not be read: see `message`.
    Failed,
    /// No answer within the source's time limit.
    TimedOut,
}

/// One source's part of a lookup.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SourceAnswer {
    /// The source's id; `null` for this library's own catalogue.
    pub source_id: Option<i64>,
    #[schema(example = "Open Library")]
    pub name: String,
    /// `local`, `sru`, `slims` or `openlibrary`.
    #[schema(example = "sru")]
    pub kind: String,
    pub status: Status,
    /// Why it failed or refused, in English.
    pub message: Option<String>,
    /// Whether these records were kept from an earlier lookup (the source was not asked again).
    pub cached: bool,
    /// When the records were fetched.
    pub fetched_at: Option<DateTime<Utc>>,
    /// How long the source took this time, in milliseconds (0 when kept).
    pub took_ms: u64,
    pub records: Vec<Found>,
}

/// What is looked up: an ISBN (answers kept), or words of a title or an author (not kept).
#[derive(Debug, Clone)]
pub enum Wanted {
    Isbn(Isbn),
    Words(String),
}

impl Wanted {
    /// The ISBN-13, for an ISBN lookup.
    fn isbn(&self) -> Option<&str> {
        match self {
            Wanted::Isbn(i) => Some(i.as_str()),
            Wanted::Words(_) => None,
        }
    }
}

/// The outgoing side: one HTTP client for every source.
#[derive(Clone)]
pub struct Lookup {
    client: reqwest::Client,
}

/// The most redirects followed for one request.
const MAX_REDIRECTS: usize = 3;

/// Whether an address is one a source may not redirect to: private, loopback, link-local,
/// unspecified or broadcast.
fn inside(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(ip) => {
            ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_unspecified() || ip.is_broadcast()
        }
        std::net::IpAddr::V6(ip) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || (ip.segments()[0] & 0xfe00) == 0xfc00
                || (ip.segments()[0] & 0xffc0) == 0xfe80
                || ip.to_ipv4_mapped().is_some_and(|v4| inside(std::net::IpAddr::V4(v4)))
        }
    }
}

/// Whether a redirect's address leads inside: its host is such an address, `localhost`, or a
/// name any of whose addresses is one (or that does not resolve).
async fn leads_inside(url: &reqwest::Url) -> bool {
    if private_host(url) {
        return true;
    }
    let Some(url::Host::Domain(name)) = url.host() else { return false };
    let port = url.port_or_known_default().unwrap_or(80);
    match tokio::net::lookup_host((name, port)).await {
        Ok(addrs) => {
            let addrs: Vec<_> = addrs.collect();
            addrs.is_empty() || addrs.iter().any(|a| inside(a.ip()))
        }
        Err(_) => true,
    }
}

/// Whether a URL's host is, as written, an address a source may not redirect to.
fn private_host(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => inside(ip.into()),
        Some(url::Host::Ipv6(ip)) => inside(ip.into()),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => true,
    }
}

impl Default for Lookup {
    fn default() -> Self {
        Self::new()
    }
}

impl Lookup {
    pub fn new() -> Self {
        let client = reqwest::Client::builder()
            // Redirects are followed by `get` itself, which checks where each one leads.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Pustaka/", env!("CARGO_PKG_VERSION"), " (copy cataloguing)"))
            .build()
            .expect("an HTTP client without special settings builds");
        Self { client }
    }

    /// GETs `url` within `limit` bytes (and the caller's time limit): the body, or why not. At most
    /// [`MAX_REDIRECTS`] redirects are followed, and one only when it stays on the first address's
    /// host or leads to a host none of whose addresses is private, loopback or link-local (the
    /// name resolved here, before the request), so a source can never send the replica into the
    /// school's own network or to the machine's metadata service.
    async fn get(&self, url: &str, limit: usize, timeout: Duration) -> Result<Vec<u8>, String> {
        let started = Instant::now();
        let first = reqwest::Url::parse(url).map_err(|_| "not an address".to_owned())?;
        let mut at = first.clone();
        let mut res = None;
        for _ in 0..=MAX_REDIRECTS {
            let left = timeout.saturating_sub(started.elapsed());
            let r = self.client.get(at.clone()).timeout(left).send().await.map_err(|e| describe(&e))?;
            if !r.status().is_redirection() {
                res = Some(r);
                break;
            }
            let next = r
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| at.join(l).ok())
                .ok_or_else(|| format!("the source answered HTTP {} without a usable Location", r.status().as_u16()))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err("the source redirected to an address that is not http(s)".into());
            }
            if next.host() != first.host() && leads_inside(&next).await {
                return Err("the source redirected to a private address".into());
            }
            at = next;
        }
        let mut res = res.ok_or_else(|| format!("the source redirected more than {MAX_REDIRECTS} times"))?;
        if !res.status().is_success() {
            return Err(format!("the source answered HTTP {}", res.status().as_u16()));
        }
        if res.content_length().is_some_and(|n| n > limit as u64) {
            return Err(format!("the answer is larger than {} KiB", limit / 1024));
        }
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(|e| describe(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(format!("the answer is larger than {} KiB", limit / 1024));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Asks one source: its records, or why not.
    async fn ask(&self, source: &CatalogueSource, wanted: &Wanted, timeout: Duration) -> Result<Answer, String> {
        let started = Instant::now();
        let left = || timeout.saturating_sub(started.elapsed());
        let text = |body: Vec<u8>| String::from_utf8(body).map_err(|_| "the answer is not UTF-8".to_owned());
        match source.kind {
            SourceKind::Sru => {
                let url = sru_url(&source.url, wanted);
                let body = text(self.get(&url, MAX_ANSWER_BYTES, left()).await?)?;
                copycat::sru(&body).map_err(|e| e.0)
            }
            SourceKind::Openlibrary => match wanted {
                Wanted::Isbn(isbn) => {
                    let url = format!("{}api/books?bibkeys=ISBN:{}&format=json&jscmd=data", source.url, isbn.as_str());
                    let body = self.get(&url, MAX_ANSWER_BYTES, left()).await?;
                    copycat::open_library(&body).map_err(|e| e.0)
                }
                Wanted::Words(words) => {
                    let url = format!(
                        "{}search.json?q={}&limit=5&fields=title,subtitle,author_name,first_publish_year,publisher,isbn,language,subject,cover_i",
                        source.url,
                        copycat::encode_query_value(words)
                    );
                    let body = self.get(&url, MAX_ANSWER_BYTES, left()).await?;
                    copycat::open_library_search(&body, &covers_of(&source.url)).map_err(|e| e.0)
                }
            },
            SourceKind::Slims => {
                // An ISBN by SLiMS's advanced search field `isbn`; words by its `title` field
                // (its simple search's `keywords` match a whole title only, by default).
                let url = match wanted {
                    Wanted::Isbn(isbn) => {
                        format!("{}index.php?resultXML=true&search=Search&isbn={}", source.url, isbn.as_str())
                    }
                    Wanted::Words(words) => format!(
                        "{}index.php?resultXML=true&search=Search&title={}",
                        source.url,
                        copycat::encode_query_value(words)
                    ),
                };
                let body = text(self.get(&url, MAX_ANSWER_BYTES, left()).await?)?;
                let answer = copycat::slims_mods(&body, &source.url).map_err(|e| e.0)?;
                // A search result is brief (no subjects, no class): the first record's detail,
                // as SLiMS's own P2P reads it, when there is time for it.
                if let Answer::Records(records) = &answer {
                    if let Some(id) = records.first().and_then(|r| r.source_record.clone()) {
                        let detail = format!(
                            "{}index.php?p=show_detail&inXML=true&id={}",
                            source.url,
                            copycat::encode_query_value(&id)
                        );
                        if let Ok(body) = self.get(&detail, MAX_ANSWER_BYTES, left()).await {
                            if let Ok(Answer::Records(mut more)) = String::from_utf8(body)
                                .map_err(|_| ())
                                .and_then(|t| copycat::slims_mods(&t, &source.url).map_err(|_| ()))
                            {
                                if let Some(first) = more.drain(..).next() {
                                    let mut all = vec![first];
                                    all.extend(records.iter().skip(1).cloned());
                                    return Ok(Answer::Records(all));
                                }
                            }
                        }
                    }
                }
                Ok(answer)
            }
        }
    }

    /// Looks an ISBN (or words) up in every enabled source at once, each within its time limit.
    /// For an ISBN, what a source answered before is given again without asking it, unless
    /// `refresh`; new answers (records or "not found") are kept; covers found are fetched and kept
    /// in the background. Words are asked every time and nothing is kept.
    pub async fn lookup(
        &self,
        store: &Store,
        wanted: &Wanted,
        refresh: bool,
    ) -> crate::store::error::Result<Vec<SourceAnswer>> {
        let sources: Vec<CatalogueSource> =
            store.catalogue_sources().await?.into_iter().filter(|s| s.enabled).collect();
        let mut tasks = tokio::task::JoinSet::new();
        for (i, source) in sources.into_iter().enumerate() {
            let (this, store, wanted) = (self.clone(), store.clone(), wanted.clone());
            tasks.spawn(async move { (i, this.answer_of(&store, source, &wanted, refresh).await) });
        }
        let mut answers = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(a) => answers.push(a),
                Err(e) => tracing::error!(error = %e, "a copy-cataloguing lookup task failed"),
            }
        }
        answers.sort_by_key(|(i, _)| *i);
        let answers: Vec<SourceAnswer> = answers.into_iter().map(|(_, a)| a).collect();
        // The first cover any source has, kept for the ISBN, unless one is kept.
        let cover = answers.iter().flat_map(|a| a.records.iter()).find_map(|r| r.cover_url.clone());
        if let (Some(url), Some(isbn)) = (cover, wanted.isbn().map(String::from)) {
            if !store.has_isbn_cover(&isbn).await.unwrap_or(true) {
                let (this, store) = (self.clone(), store.clone());
                tokio::spawn(async move { this.keep_cover(&store, &isbn, &url).await });
            }
        }
        Ok(answers)
    }

    /// One source's answer: kept, or asked now (and kept).
    async fn answer_of(&self, store: &Store, source: CatalogueSource, wanted: &Wanted, refresh: bool) -> SourceAnswer {
        let kept = match wanted.isbn() {
            Some(isbn) => match store.kept_answer(source.id, isbn).await {
                Ok(k) => k,
                Err(e) => {
                    tracing::warn!(error = %e, "reading a kept copy-cataloguing answer");
                    None
                }
            },
            None => None,
        };
        let from_kept = |k: &crate::store::copycat::KeptAnswer, message: Option<String>| {
            let records: Vec<Found> = serde_json::from_str(&k.records).unwrap_or_default();
            SourceAnswer {
                source_id: Some(source.id),
                name: source.name.clone(),
                kind: source.kind.as_str().to_owned(),
                status: if records.is_empty() { Status::NotFound } else { Status::Found },
                message,
                cached: true,
                fetched_at: Some(k.fetched_at),
                took_ms: 0,
                records,
            }
        };
        if let (Some(k), false) = (&kept, refresh) {
            return from_kept(k, None);
        }
        let started = Instant::now();
        let limit = Duration::from_millis(source.timeout_ms.max(1) as u64);
        let outcome = tokio::time::timeout(limit, self.ask(&source, wanted, limit)).await;
        let took_ms = started.elapsed().as_millis() as u64;
        let (status, message, records) = match outcome {
            Err(_) => (Status::TimedOut, Some(format!("no answer within {} ms", source.timeout_ms)), Vec::new()),
            Ok(Err(why)) if why == "timed out" => {
                (Status::TimedOut, Some(format!("no answer within {} ms", source.timeout_ms)), Vec::new())
            }
            Ok(Err(why)) => (Status::Failed, Some(why), Vec::new()),
            Ok(Ok(Answer::Diagnostic(why))) => (Status::Refused, Some(why), Vec::new()),
            Ok(Ok(Answer::Records(records))) => {
                let records: Vec<Found> = records.into_iter().map(tidy).collect();
                if let Some(isbn) = wanted.isbn() {
                    let json = serde_json::to_string(&records).unwrap_or_else(|_| "[]".into());
                    if let Err(e) = store.keep_answer(source.id, isbn, &json).await {
                        tracing::warn!(error = %e, "keeping a copy-cataloguing answer");
                    }
                }
                let status = if records.is_empty() { Status::NotFound } else { Status::Found };
                (status, None, records)
            }
        };
        // Asked again and failed: what it answered before still serves.
        if matches!(status, Status::Failed | Status::TimedOut | Status::Refused) {
            if let Some(k) = &kept {
                return from_kept(k, message);
            }
        }
        SourceAnswer {
            source_id: Some(source.id),
            name: source.name,
            kind: source.kind.as_str().to_owned(),
            status,
            message,
            cached: false,
            fetched_at: matches!(status, Status::Found | Status::NotFound).then(|| store.now()),
            took_ms,
            records,
        }
    }

    /// Fetches a cover and keeps it for the ISBN as a plain PNG; a cover that cannot be fetched
    /// or read is left out (logged).
    async fn keep_cover(&self, store: &Store, isbn: &str, url: &str) {
        let bytes = match tokio::time::timeout(COVER_TIMEOUT, self.get(url, MAX_COVER_BYTES, COVER_TIMEOUT)).await {
            Ok(Ok(b)) => b,
            Ok(Err(why)) => return tracing::info!(%url, why, "a cover was not fetched"),
            Err(_) => return tracing::info!(%url, "a cover was not fetched in time"),
        };
        let png = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            crate::print::pdf::plain_png(&bytes)
        } else if bytes.starts_with(&[0xFF, 0xD8]) {
            crate::print::pdf::plain_jpeg(&bytes)
        } else {
            Err("not a PNG or JPEG".into())
        };
        match png {
            Ok(png) => {
                if let Err(e) = store.keep_isbn_cover(isbn, &png, url).await {
                    tracing::warn!(error = %e, "keeping a cover");
                }
            }
            Err(why) => tracing::info!(%url, why, "a cover was not kept"),
        }
    }
}

/// An SRU searchRetrieve: the source's address with `{isbn}` (or `{query}`, for words) in it, as
/// written; else the address with SRU 1.2's parameters, an ISBN by the `bath.isbn` index and
/// words as one quoted CQL term (the server's own choice of index), in MARCXML.
fn sru_url(base: &str, wanted: &Wanted) -> String {
    let (placeholder, value, cql) = match wanted {
        Wanted::Isbn(isbn) => ("isbn", isbn.as_str().to_owned(), format!("bath.isbn={}", isbn.as_str())),
        Wanted::Words(words) => {
            let quoted = format!("\"{}\"", words.replace(['"', '\\'], " "));
            ("query", copycat::encode_query_value(&quoted), quoted)
        }
    };
    let braces = format!("{{{placeholder}}}");
    let encoded = format!("%7B{placeholder}%7D");
    if base.contains(&braces) || base.contains(&encoded) {
        return base.replace(&encoded, &value).replace(&braces, &value);
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{sep}version=1.2&operation=searchRetrieve&query={}&maximumRecords=5&recordSchema=marcxml",
        copycat::encode_query_value(&cql)
    )
}

/// Where Open Library's covers are: its covers service for openlibrary.org, else the source's
/// own address (a mirror, or the tests' server).
fn covers_of(base: &str) -> String {
    match reqwest::Url::parse(base).ok().and_then(|u| u.host_str().map(str::to_owned)) {
        Some(h) if h == "openlibrary.org" || h.ends_with(".openlibrary.org") => {
            "https://covers.openlibrary.org/".into()
        }
        _ => base.to_owned(),
    }
}

/// A found record made ready for the book form: a classification that is not a DDC class (SLiMS
/// writes `899.221 3`) tidied or left out; an ISBN that does not parse kept as the source wrote it.
fn tidy(mut f: Found) -> Found {
    f.classification = f.classification.and_then(|c| {
        let compact: String = c.split_whitespace().collect();
        crate::domain::callnumber::check_ddc(&compact).ok()
    });
    if let Some(isbn) = f.isbn.as_deref().and_then(|i| Isbn::parse(i).ok()) {
        f.isbn = Some(isbn.as_str().to_owned());
    }
    f
}

/// An error of the HTTP client in words, without the address (which the page shows already).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".into()
    } else if e.is_connect() {
        "could not connect to the source".into()
    } else if e.is_body() || e.is_decode() {
        "the answer broke off".into()
    } else {
        let mut s = e.to_string();
        if let Some(u) = e.url() {
            s = s.replace(&format!(" ({u})"), "");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_told() {
        for u in [
            "http://127.0.0.1/",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://[::1]/",
            "http://localhost:8080/",
            "http://169.254.169.254/",
        ] {
            assert!(private_host(&u.parse().unwrap()), "{u}");
        }
        for u in ["https://openlibrary.org/", "http://8.8.8.8/"] {
            assert!(!private_host(&u.parse().unwrap()), "{u}");
        }
    }

    #[test]
    fn sru_addresses() {
        let isbn = Wanted::Isbn(Isbn::parse("9789799731234").unwrap());
        assert_eq!(
            sru_url("http://z.example/sru", &isbn),
            "http://z.example/sru?version=1.2&operation=searchRetrieve&query=bath.isbn%3D9789799731234&maximumRecords=5&recordSchema=marcxml"
        );
        assert_eq!(
            sru_url("http://z.example/sru?version=2.0&query=dc.identifier={isbn}", &isbn),
            "http://z.example/sru?version=2.0&query=dc.identifier=9789799731234"
        );
        let words = Wanted::Words("laskar \"pelangi".into());
        assert_eq!(
            sru_url("http://z.example/sru", &words),
            "http://z.example/sru?version=1.2&operation=searchRetrieve&query=%22laskar%20%20pelangi%22&maximumRecords=5&recordSchema=marcxml"
        );
        assert_eq!(covers_of("https://openlibrary.org/"), "https://covers.openlibrary.org/");
        assert_eq!(covers_of("http://127.0.0.1:9/ol/"), "http://127.0.0.1:9/ol/");
    }

    #[test]
    fn a_slims_class_is_tidied_and_a_bad_one_left_out() {
        let f = tidy(Found {
            classification: Some("899.221 3".into()),
            isbn: Some("979-97312-3-2".into()),
            ..Found::default()
        });
        assert_eq!(f.classification.as_deref(), Some("899.2213"));
        assert_eq!(tidy(Found { classification: Some("PZ7".into()), ..Found::default() }).classification, None);
    }
}
