//! Copy cataloguing: the answers of other catalogues read as records to start a book from.
//!
//! Three protocols, each read from its published shape:
//! - **SRU** (Search/Retrieve via URL, 1.2 and 2.0): a `searchRetrieveResponse` whose records
//!   carry MARCXML (`recordSchema` `marcxml`, `info:srw/schema/1/marcxml-v1.1`) or Dublin Core
//!   (`dc`, `info:srw/schema/1/dc-v1.1`); a `diagnostics` element instead of records is the
//!   server's refusal, told apart from "nothing found".
//! - **SLiMS** OPACs (what SLiMS's own P2P screen reads): `index.php?resultXML=true&search=Search&keywords=…`
//!   and `index.php?p=show_detail&inXML=true&id=N` answer a MODS 3.3 `modsCollection`, with the
//!   cover's file name in `slims:image`.
//! - **Open Library**'s books API (`/api/books?bibkeys=ISBN:…&format=json&jscmd=data`): a JSON
//!   object keyed by the bibkey.
//!
//! What comes from outside is read within a budget, like every outside input: the caller bounds
//! the bytes ([`MAX_ANSWER_BYTES`]); here a record count ([`MAX_RECORDS`]) and a value length
//! ([`MAX_VALUE_CHARS`]) bound what is kept, a DTD is refused, and no entity but XML's own is
//! expanded.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Serialize;

use crate::marc;

/// The most bytes of one answer read from a source (the HTTP client stops there).
pub const MAX_ANSWER_BYTES: usize = 2 << 20;
/// The most records kept of one answer.
pub const MAX_RECORDS: usize = 20;
/// The longest value kept (longer ones are cut at a character boundary).
pub const MAX_VALUE_CHARS: usize = 2000;
/// The most values of a list (authors, subjects) kept.
const MAX_LIST: usize = 30;

/// A record found in another catalogue: what a book form needs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Found {
    /// As the source wrote it (not checked here: the book form checks it).
    pub isbn: Option<String>,
    pub title: String,
    pub authors: Vec<String>,
    pub subjects: Vec<String>,
    pub publisher: Option<String>,
    pub place: Option<String>,
    pub year: Option<i32>,
    pub language: Option<String>,
    pub edition: Option<String>,
    pub classification: Option<String>,
    pub call_number: Option<String>,
    pub collation: Option<String>,
    pub series: Option<String>,
    pub notes: Option<String>,
    /// An absolute `http(s)` address of the cover image, when the source has one.
    pub cover_url: Option<String>,
    /// The record's id at the source (a SLiMS biblio id), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_record: Option<String>,
}

/// What a source answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Records (possibly none: "not found").
    Records(Vec<Found>),
    /// The source refused the search and said why (an SRU diagnostic).
    Diagnostic(String),
}

/// An answer that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

fn cut(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(MAX_VALUE_CHARS) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

fn some(s: impl AsRef<str>) -> Option<String> {
    let s = cut(s.as_ref());
    (!s.is_empty()).then_some(s)
}

fn push_list(list: &mut Vec<String>, value: &str) {
    let v = cut(value.trim_end_matches([',', '.', ' ', ';', '/']));
    if !v.is_empty() && list.len() < MAX_LIST && !list.contains(&v) {
        list.push(v);
    }
}

fn year_of(s: &str) -> Option<i32> {
    pustaka_domain::text::year(s)
}

/// A MARC record as a found record (the same fields `pustaka import marc` reads).
pub fn from_marc(r: &marc::Record) -> Found {
    let tidy = |v: Option<String>| v.and_then(|v| some(v.trim_end_matches([' ', ',', ':', ';', '/', '.'])));
    let title = {
        let mut t = r.value("245", 'a').unwrap_or_default();
        if let Some(b) = r.value("245", 'b') {
            t = format!("{} {}", t.trim_end_matches([' ', '/', ':', ';']), b.trim_end_matches([' ', '/']));
        }
        cut(t.trim_end_matches([' ', '/', ':', ';', '.']))
    };
    let mut authors = Vec::new();
    for tag in ["100", "110", "700", "710"] {
        for a in r.values(tag, 'a') {
            push_list(&mut authors, &a);
        }
    }
    let mut subjects = Vec::new();
    for tag in ["650", "600", "651"] {
        for s in r.values(tag, 'a') {
            push_list(&mut subjects, &s);
        }
    }
    let isbn = r.values("020", 'a').into_iter().find_map(|i| i.split_whitespace().next().and_then(some));
    let language = r
        .value("041", 'a')
        .or_else(|| r.control("008").and_then(|c| c.get(35..38).map(str::to_owned)))
        .and_then(|l| some(l.trim()))
        .filter(|l| l.chars().all(|c| c.is_ascii_alphabetic()));
    let notes: Vec<String> = r.values("500", 'a');
    Found {
        isbn,
        title,
        authors,
        subjects,
        publisher: tidy(r.value("260", 'b').or_else(|| r.value("264", 'b'))),
        place: tidy(r.value("260", 'a').or_else(|| r.value("264", 'a'))),
        year: r.value("260", 'c').or_else(|| r.value("264", 'c')).as_deref().and_then(year_of),
        language,
        edition: tidy(r.value("250", 'a')),
        classification: tidy(r.value("082", 'a')),
        call_number: tidy(r.value("090", 'a').or_else(|| r.value("084", 'a'))),
        collation: tidy(r.value("300", 'a')),
        series: tidy(r.value("490", 'a')),
        notes: some(notes.join("\n")),
        cover_url: None,
        source_record: r.control("001").and_then(some),
    }
}

/// Text and entity references of the element being read, appended to `value`.
fn text_event(event: &Event<'_>, value: &mut String) -> Result<(), Unreadable> {
    match event {
        Event::Text(t) => value.push_str(&t.decode().map_err(|e| Unreadable(e.to_string()))?),
        Event::CData(t) => value.push_str(&String::from_utf8_lossy(t)),
        Event::GeneralRef(r) => {
            let name = r.decode().map_err(|e| Unreadable(e.to_string()))?;
            let resolved = match name.as_ref() {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                n => n
                    .strip_prefix("#x")
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            value.extend(resolved);
        }
        _ => {}
    }
    if value.len() > MAX_VALUE_CHARS * 4 {
        return Err(Unreadable(format!("a value holds more than {} characters", MAX_VALUE_CHARS * 4)));
    }
    Ok(())
}

fn xml_reader(text: &str) -> Reader<&[u8]> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    reader
}

fn not_xml(e: impl std::fmt::Display) -> Unreadable {
    Unreadable(format!("not well-formed XML: {e}"))
}

/// Reads an SRU `searchRetrieveResponse` (1.1, 1.2 or 2.0; any namespace prefix). Records in
/// MARCXML or Dublin Core are read; records in another schema are skipped; diagnostics with no
/// records are a [`Answer::Diagnostic`].
pub fn sru(text: &str) -> Result<Answer, Unreadable> {
    let mut reader = xml_reader(text);
    let mut found = Vec::new();
    let mut diagnostics: Vec<String> = Vec::new();
    let mut saw_response = false;
    let mut schema = String::new();
    let mut value = String::new();
    // Inside a diagnostic: its message and details.
    let mut in_diagnostic = false;
    loop {
        let event = reader.read_event().map_err(not_xml)?;
        match &event {
            Event::DocType(_) => return Err(Unreadable("the answer has a DTD, which SRU does not use".into())),
            Event::Start(e) => match e.local_name().as_ref() {
                b"searchRetrieveResponse" => saw_response = true,
                b"recordSchema" | b"message" | b"details" => value.clear(),
                b"diagnostic" => in_diagnostic = true,
                b"recordData" => {
                    let end_name = e.name().as_ref().to_owned();
                    // The span of what is between the element's start and end tags.
                    let span = reader.read_to_end(quick_xml::name::QName(&end_name)).map_err(not_xml)?;
                    let inner = text.get(span.start as usize..span.end as usize).unwrap_or("");
                    // recordPacking `string`: the record is written as escaped text.
                    let unescaped = if inner.trim_start().starts_with("&lt;") {
                        Some(quick_xml::escape::unescape(inner).map_err(not_xml)?.into_owned())
                    } else {
                        None
                    };
                    let inner = unescaped.as_deref().unwrap_or(inner);
                    if found.len() < MAX_RECORDS {
                        if let Some(r) = record_data(&schema, inner)? {
                            found.push(r);
                        }
                    }
                    schema.clear();
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                b"recordSchema" => schema = value.trim().to_owned(),
                b"message" | b"details" if in_diagnostic && !value.trim().is_empty() && diagnostics.len() < 5 => {
                    diagnostics.push(cut(&value));
                }
                b"diagnostic" => in_diagnostic = false,
                _ => {}
            },
            Event::Eof => break,
            other => text_event(other, &mut value)?,
        }
    }
    if !saw_response {
        return Err(Unreadable("not an SRU searchRetrieveResponse".into()));
    }
    if found.is_empty() && !diagnostics.is_empty() {
        return Ok(Answer::Diagnostic(diagnostics.join(": ")));
    }
    Ok(Answer::Records(found))
}

/// One SRU record's data, by its schema (or, when the schema is not told, by its root element).
fn record_data(schema: &str, inner: &str) -> Result<Option<Found>, Unreadable> {
    let schema = schema.to_ascii_lowercase();
    let looks_marc = schema.contains("marc") || (schema.is_empty() && inner.contains("datafield"));
    if looks_marc {
        let records = marc::read_xml(inner).map_err(|e| Unreadable(format!("a MARCXML record: {}", e.reason)))?;
        return Ok(records.first().map(from_marc).filter(|f| !f.title.is_empty()));
    }
    let looks_dc = schema.contains("dc") || schema.contains("dublin") || inner.contains("purl.org/dc/elements");
    if looks_dc {
        return dublin_core(inner);
    }
    Ok(None)
}

/// A Dublin Core record (`oai_dc:dc`, `srw_dc:dc`, or bare `dc:*` elements).
fn dublin_core(text: &str) -> Result<Option<Found>, Unreadable> {
    let mut reader = xml_reader(text);
    let mut f = Found::default();
    let mut value = String::new();
    loop {
        let event = reader.read_event().map_err(not_xml)?;
        match &event {
            Event::DocType(_) => return Err(Unreadable("a record has a DTD".into())),
            Event::Start(_) => value.clear(),
            Event::End(e) => {
                let v = value.trim();
                match e.local_name().as_ref() {
                    b"title" if f.title.is_empty() => f.title = cut(v.trim_end_matches([' ', '/', '.'])),
                    b"creator" | b"contributor" => push_list(&mut f.authors, v),
                    b"subject" => push_list(&mut f.subjects, v),
                    b"publisher" if f.publisher.is_none() => f.publisher = some(v),
                    b"date" if f.year.is_none() => f.year = year_of(v),
                    b"language" if f.language.is_none() => {
                        f.language = some(v).filter(|l| l.len() <= 3 && l.chars().all(|c| c.is_ascii_alphabetic()))
                    }
                    b"format" if f.collation.is_none() => f.collation = some(v),
                    b"description" if f.notes.is_none() => f.notes = some(v),
                    b"identifier" if f.isbn.is_none() => {
                        let id = v.strip_prefix("URN:ISBN:").or_else(|| v.strip_prefix("urn:isbn:")).unwrap_or(v);
                        let id = id.strip_prefix("ISBN").map(str::trim_start).unwrap_or(id);
                        let first = id.split_whitespace().next().unwrap_or("");
                        if pustaka_domain::isbn::looks_like_isbn(first) {
                            f.isbn = some(first);
                        }
                    }
                    _ => {}
                }
                value.clear();
            }
            Event::Eof => break,
            other => text_event(other, &mut value)?,
        }
    }
    Ok((!f.title.is_empty()).then_some(f))
}

/// Reads a SLiMS OPAC's XML answer (a MODS `modsCollection`: a search result or one record's
/// detail). `base` is the OPAC's address (ending in `/`), to make the cover's address absolute.
pub fn slims_mods(text: &str, base: &str) -> Result<Answer, Unreadable> {
    let mut reader = xml_reader(text);
    let mut found = Vec::new();
    let mut saw_mods = false;
    let mut current: Option<Found> = None;
    let mut value = String::new();
    // Element names open inside the current record, outermost first.
    let mut path: Vec<Vec<u8>> = Vec::new();
    let mut title_sub = String::new();
    let mut isbn_identifier = false;
    let mut language_code = false;
    loop {
        let event = reader.read_event().map_err(not_xml)?;
        match &event {
            Event::DocType(_) => return Err(Unreadable("the answer has a DTD, which MODS does not use".into())),
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_owned();
                match name.as_slice() {
                    b"modsCollection" => saw_mods = true,
                    b"mods" => {
                        saw_mods = true;
                        let id =
                            e.attributes().flatten().find(|a| a.key.local_name().as_ref().eq_ignore_ascii_case(b"id"));
                        let id = id.map(|a| String::from_utf8_lossy(&a.value).trim().to_owned());
                        current = Some(Found { source_record: id.filter(|v| !v.is_empty()), ..Found::default() });
                        path.clear();
                        title_sub.clear();
                        continue;
                    }
                    b"identifier" => {
                        isbn_identifier = e
                            .attributes()
                            .flatten()
                            .any(|a| a.key.local_name().as_ref() == b"type" && a.value.eq_ignore_ascii_case(b"isbn"))
                    }
                    b"languageTerm" => {
                        language_code = e
                            .attributes()
                            .flatten()
                            .any(|a| a.key.local_name().as_ref() == b"type" && a.value.as_ref() == b"code")
                    }
                    _ => {}
                }
                if current.is_some() {
                    path.push(name);
                }
                value.clear();
            }
            Event::End(e) => {
                let name = e.local_name().as_ref().to_owned();
                if name.as_slice() == b"mods" {
                    if let Some(mut f) = current.take() {
                        if !title_sub.is_empty() {
                            f.title = cut(&format!("{} {}", f.title.trim_end_matches([' ', ':']), title_sub));
                        }
                        if !f.title.is_empty() && found.len() < MAX_RECORDS {
                            found.push(f);
                        }
                    }
                    continue;
                }
                if let Some(f) = current.as_mut() {
                    let v = value.trim();
                    let parent = path.len().checked_sub(2).and_then(|i| path.get(i)).map(Vec::as_slice);
                    let in_related = path.iter().any(|p| p.as_slice() == b"relatedItem");
                    match (name.as_slice(), parent) {
                        // SLiMS writes a series' title beside its empty titleInfo, not in it.
                        (b"title", Some(b"titleInfo" | b"relatedItem")) if in_related && f.series.is_none() => {
                            f.series = some(v)
                        }
                        (b"title", _) if in_related => {}
                        (b"title", Some(b"titleInfo")) if f.title.is_empty() => f.title = cut(v),
                        (b"subTitle", _) if !in_related && title_sub.is_empty() => title_sub = cut(v),
                        (b"namePart", Some(b"name")) => push_list(&mut f.authors, v),
                        (b"placeTerm", _) if f.place.is_none() => f.place = some(v),
                        (b"publisher", _) if f.publisher.is_none() => f.publisher = some(v),
                        (b"dateIssued", _) if f.year.is_none() => f.year = year_of(v),
                        (b"edition", _) if f.edition.is_none() => f.edition = some(v),
                        (b"languageTerm", _) if language_code && f.language.is_none() => {
                            f.language = some(v).filter(|l| l.len() <= 3 && l.chars().all(|c| c.is_ascii_alphabetic()))
                        }
                        (b"extent", _) if f.collation.is_none() => f.collation = some(v),
                        (b"note", _) if f.notes.is_none() => f.notes = some(v),
                        (b"topic" | b"geographic" | b"name" | b"temporal" | b"genre", Some(b"subject")) => {
                            push_list(&mut f.subjects, v)
                        }
                        (b"classification", _) if f.classification.is_none() => f.classification = some(v),
                        (b"identifier", _) if isbn_identifier && f.isbn.is_none() => f.isbn = some(v),
                        (b"shelfLocator", Some(b"location")) if f.call_number.is_none() => f.call_number = some(v),
                        (b"image", _) if f.cover_url.is_none() && !v.is_empty() => {
                            // SLiMS's own P2P screen reads the cover from its thumbnail script.
                            f.cover_url = Some(format!(
                                "{base}lib/minigalnano/createthumb.php?filename=images/docs/{}&width=200",
                                encode_query_value(&percent_decoded(v))
                            ))
                        }
                        _ => {}
                    }
                    path.pop();
                }
                value.clear();
            }
            Event::Eof => break,
            other => text_event(other, &mut value)?,
        }
    }
    if !saw_mods {
        return Err(Unreadable("not a SLiMS XML answer (no modsCollection)".into()));
    }
    Ok(Answer::Records(found))
}

/// `slims:image` is written URL-encoded (PHP's `urlencode`): `+` for a space, `%XX` for a byte.
fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A query-string value, percent-encoded (everything but unreserved characters).
pub fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(serde::Deserialize)]
struct OlNamed {
    #[serde(default)]
    name: String,
}

#[derive(serde::Deserialize, Default)]
struct OlCover {
    #[serde(default)]
    large: Option<String>,
    #[serde(default)]
    medium: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct OlClassifications {
    #[serde(default)]
    dewey_decimal_class: Vec<String>,
}

#[derive(serde::Deserialize, Default)]
struct OlIdentifiers {
    #[serde(default)]
    isbn_13: Vec<String>,
    #[serde(default)]
    isbn_10: Vec<String>,
}

#[derive(serde::Deserialize)]
struct OlBook {
    #[serde(default)]
    title: String,
    #[serde(default)]
    subtitle: Option<String>,
    #[serde(default)]
    authors: Vec<OlNamed>,
    #[serde(default)]
    publishers: Vec<OlNamed>,
    #[serde(default)]
    publish_places: Vec<OlNamed>,
    #[serde(default)]
    publish_date: Option<String>,
    #[serde(default)]
    subjects: Vec<OlNamed>,
    #[serde(default)]
    number_of_pages: Option<u32>,
    #[serde(default)]
    pagination: Option<String>,
    #[serde(default)]
    cover: Option<OlCover>,
    #[serde(default)]
    classifications: Option<OlClassifications>,
    #[serde(default)]
    identifiers: Option<OlIdentifiers>,
    #[serde(default)]
    notes: Option<serde_json::Value>,
}

/// Reads Open Library's books API answer (`jscmd=data`): an object keyed by bibkey (`ISBN:…`);
/// `{}` is "not found".
pub fn open_library(bytes: &[u8]) -> Result<Answer, Unreadable> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(bytes).map_err(|e| Unreadable(format!("not Open Library's JSON: {e}")))?;
    let mut found = Vec::new();
    for (key, value) in map.into_iter().take(MAX_RECORDS) {
        let book: OlBook =
            serde_json::from_value(value).map_err(|e| Unreadable(format!("Open Library's record {key}: {e}")))?;
        let mut authors = Vec::new();
        for a in &book.authors {
            push_list(&mut authors, &a.name);
        }
        let mut subjects = Vec::new();
        for s in &book.subjects {
            push_list(&mut subjects, &s.name);
        }
        let ids = book.identifiers.unwrap_or_default();
        let isbn = ids
            .isbn_13
            .first()
            .or(ids.isbn_10.first())
            .cloned()
            .or_else(|| key.strip_prefix("ISBN:").map(str::to_owned))
            .and_then(some);
        let title = match book.subtitle.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(sub) => format!("{}: {sub}", book.title.trim()),
            None => book.title.trim().to_owned(),
        };
        let cover = book.cover.unwrap_or_default();
        let notes = match book.notes {
            Some(serde_json::Value::String(s)) => some(s),
            Some(serde_json::Value::Object(o)) => o.get("value").and_then(|v| v.as_str()).and_then(some),
            _ => None,
        };
        let f = Found {
            isbn,
            title: cut(&title),
            authors,
            subjects,
            publisher: book.publishers.first().and_then(|p| some(&p.name)),
            place: book.publish_places.first().and_then(|p| some(&p.name)),
            year: book.publish_date.as_deref().and_then(year_of),
            language: None,
            edition: None,
            classification: book.classifications.unwrap_or_default().dewey_decimal_class.first().and_then(some),
            call_number: None,
            collation: book.pagination.and_then(some).or_else(|| book.number_of_pages.map(|n| format!("{n} hlm."))),
            series: None,
            notes,
            source_record: None,
            cover_url: cover.medium.or(cover.large).filter(|u| u.starts_with("http://") || u.starts_with("https://")),
        };
        if !f.title.is_empty() {
            found.push(f);
        }
    }
    Ok(Answer::Records(found))
}

#[derive(serde::Deserialize)]
struct OlSearch {
    #[serde(default)]
    docs: Vec<OlDoc>,
}

#[derive(serde::Deserialize)]
struct OlDoc {
    #[serde(default)]
    title: String,
    #[serde(default)]
    subtitle: Option<String>,
    #[serde(default)]
    author_name: Vec<String>,
    #[serde(default)]
    first_publish_year: Option<i32>,
    #[serde(default)]
    publisher: Vec<String>,
    #[serde(default)]
    isbn: Vec<String>,
    #[serde(default)]
    language: Vec<String>,
    #[serde(default)]
    subject: Vec<String>,
    #[serde(default)]
    cover_i: Option<i64>,
}

/// Reads Open Library's search API answer (`/search.json?q=…`): its `docs`, each a work with the
/// first of its ISBNs. `covers` is the covers service's address (ending in `/`), for `cover_i`.
pub fn open_library_search(bytes: &[u8], covers: &str) -> Result<Answer, Unreadable> {
    let answer: OlSearch =
        serde_json::from_slice(bytes).map_err(|e| Unreadable(format!("not Open Library's search JSON: {e}")))?;
    let mut found = Vec::new();
    for doc in answer.docs.into_iter().take(MAX_RECORDS) {
        let mut authors = Vec::new();
        for a in &doc.author_name {
            push_list(&mut authors, a);
        }
        let mut subjects = Vec::new();
        for s in doc.subject.iter().take(MAX_LIST) {
            push_list(&mut subjects, s);
        }
        let title = match doc.subtitle.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(sub) => format!("{}: {sub}", doc.title.trim()),
            None => doc.title.trim().to_owned(),
        };
        let isbn = doc.isbn.iter().find(|i| i.len() == 13).or(doc.isbn.first()).and_then(some);
        let f = Found {
            isbn,
            title: cut(&title),
            authors,
            subjects,
            publisher: doc.publisher.first().and_then(some),
            year: doc.first_publish_year,
            language: doc.language.first().and_then(some).filter(|l| l.len() <= 3),
            cover_url: doc.cover_i.filter(|i| *i > 0).map(|i| format!("{covers}b/id/{i}-M.jpg")),
            ..Found::default()
        };
        if !f.title.is_empty() {
            found.push(f);
        }
    }
    Ok(Answer::Records(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRU_MARC: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/">
  <zs:version>1.2</zs:version>
  <zs:numberOfRecords>1</zs:numberOfRecords>
  <zs:records>
    <zs:record>
      <zs:recordSchema>marcxml</zs:recordSchema>
      <zs:recordPacking>xml</zs:recordPacking>
      <zs:recordData>
        <record xmlns="http://www.loc.gov/MARC21/slim">
          <leader>00000nam a2200000 i 4500</leader>
          <controlfield tag="008">050101s2005    io            000 0 ind d</controlfield>
          <datafield tag="020" ind1=" " ind2=" "><subfield code="a">9789799731234 (pbk.)</subfield></datafield>
          <datafield tag="082" ind1="0" ind2="4"><subfield code="a">899.221</subfield></datafield>
          <datafield tag="100" ind1="1" ind2=" "><subfield code="a">Kurniawan, Eka,</subfield></datafield>
          <datafield tag="245" ind1="1" ind2="0"><subfield code="a">Cantik itu luka /</subfield><subfield code="c">Eka Kurniawan.</subfield></datafield>
          <datafield tag="260" ind1=" " ind2=" "><subfield code="a">Jakarta :</subfield><subfield code="b">Gramedia Pustaka Utama,</subfield><subfield code="c">c2004.</subfield></datafield>
          <datafield tag="300" ind1=" " ind2=" "><subfield code="a">xii, 505 hlm. ;</subfield></datafield>
          <datafield tag="650" ind1=" " ind2="4"><subfield code="a">Fiksi Indonesia.</subfield></datafield>
        </record>
      </zs:recordData>
      <zs:recordPosition>1</zs:recordPosition>
    </zs:record>
  </zs:records>
</zs:searchRetrieveResponse>"#;

    #[test]
    fn an_sru_answer_in_marcxml_is_a_record() {
        let Answer::Records(r) = sru(SRU_MARC).unwrap() else { panic!() };
        assert_eq!(r.len(), 1);
        let f = &r[0];
        assert_eq!(f.title, "Cantik itu luka");
        assert_eq!(f.authors, ["Kurniawan, Eka"]);
        assert_eq!(f.isbn.as_deref(), Some("9789799731234"));
        assert_eq!(f.publisher.as_deref(), Some("Gramedia Pustaka Utama"));
        assert_eq!(f.place.as_deref(), Some("Jakarta"));
        assert_eq!(f.year, Some(2004));
        assert_eq!(f.language.as_deref(), Some("ind"));
        assert_eq!(f.classification.as_deref(), Some("899.221"));
        assert_eq!(f.subjects, ["Fiksi Indonesia"]);
        assert_eq!(f.collation.as_deref(), Some("xii, 505 hlm"));
    }

    #[test]
    fn an_sru_2_answer_in_dublin_core_is_a_record() {
        let text = r#"<sruResponse:searchRetrieveResponse xmlns:sruResponse="http://docs.oasis-open.org/ns/search-ws/sruResponse">
  <sruResponse:version>2.0</sruResponse:version>
  <sruResponse:numberOfRecords>2</sruResponse:numberOfRecords>
  <sruResponse:records>
    <sruResponse:record>
      <sruResponse:recordSchema>info:srw/schema/1/dc-v1.1</sruResponse:recordSchema>
      <sruResponse:recordXMLEscaping>xml</sruResponse:recordXMLEscaping>
      <sruResponse:recordData>
        <srw_dc:dc xmlns:srw_dc="info:srw/schema/1/dc-schema" xmlns:dc="http://purl.org/dc/elements/1.1/">
          <dc:title>Laskar pelangi</dc:title>
          <dc:creator>Andrea Hirata</dc:creator>
          <dc:publisher>Bentang</dc:publisher>
          <dc:date>2005</dc:date>
          <dc:identifier>URN:ISBN:9793062797</dc:identifier>
          <dc:subject>Fiksi &amp; novel</dc:subject>
          <dc:language>ind</dc:language>
        </srw_dc:dc>
      </sruResponse:recordData>
    </sruResponse:record>
    <sruResponse:record>
      <sruResponse:recordSchema>info:srw/schema/1/mods-v3.5</sruResponse:recordSchema>
      <sruResponse:recordData><mods xmlns="http://www.loc.gov/mods/v3"><titleInfo><title>Skipped</title></titleInfo></mods></sruResponse:recordData>
    </sruResponse:record>
  </sruResponse:records>
</sruResponse:searchRetrieveResponse>"#;
        let Answer::Records(r) = sru(text).unwrap() else { panic!() };
        assert_eq!(r.len(), 1, "{r:?}");
        assert_eq!(r[0].title, "Laskar pelangi");
        assert_eq!(r[0].authors, ["Andrea Hirata"]);
        assert_eq!(r[0].isbn.as_deref(), Some("9793062797"));
        assert_eq!(r[0].subjects, ["Fiksi & novel"]);
        assert_eq!(r[0].year, Some(2005));
    }

    #[test]
    fn an_sru_diagnostic_is_told_apart_from_nothing_found() {
        let text = r#"<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><version>1.2</version>
<numberOfRecords>0</numberOfRecords>
<diagnostics><diagnostic xmlns="http://www.loc.gov/zing/srw/diagnostic/">
<uri>info:srw/diagnostic/1/16</uri><details>bath.isbn</details><message>Unsupported index</message>
</diagnostic></diagnostics></searchRetrieveResponse>"#;
        assert_eq!(sru(text).unwrap(), Answer::Diagnostic("bath.isbn: Unsupported index".into()));
        let empty = r#"<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><version>1.2</version><numberOfRecords>0</numberOfRecords></searchRetrieveResponse>"#;
        assert_eq!(sru(empty).unwrap(), Answer::Records(vec![]));
    }

    #[test]
    fn broken_answers_are_unreadable_not_a_panic() {
        assert!(sru("<html><body>502 Bad Gateway</body></html>").is_err());
        assert!(sru("<searchRetrieveResponse><records><record><recordData><record><datafield").is_err());
        assert!(sru(r#"<!DOCTYPE x [<!ENTITY a "aaaa">]><searchRetrieveResponse/>"#).is_err());
        assert!(slims_mods("{}", "http://x/").is_err());
        assert!(open_library(b"<html>").is_err());
        assert!(open_library(br#"{"ISBN:1": {"title": 5}}"#).is_err());
    }

    #[test]
    fn a_slims_search_result_is_read_as_slims_writes_it() {
        let text = r#"<?xml version="1.0" encoding="UTF-8"?>
<modsCollection xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://www.loc.gov/mods/v3" xmlns:slims="http://slims.web.id" xsi:schemaLocation="http://www.loc.gov/mods/v3 http://www.loc.gov/standards/mods/v3/mods-3-3.xsd">
 <slims:resultInfo><slims:modsResultNum>1</slims:modsResultNum><slims:modsResultPage>1</slims:modsResultPage><slims:modsResultShowed>10</slims:modsResultShowed></slims:resultInfo>
 <mods version="3.3" id="17">
  <titleInfo><title><![CDATA[Ayat-ayat cinta]]></title><subTitle>sebuah novel pembangun jiwa</subTitle></titleInfo>
  <name type="Personal Name" authority=""><namePart>Habiburrahman El Shirazy</namePart><role><roleTerm type="text">Primary Author</roleTerm></role></name>
  <typeOfResource manuscript="no" collection="yes">mixed material</typeOfResource>
  <genre authority="marcgt">bibliography</genre>
  <originInfo><place><placeTerm type="text">Jakarta</placeTerm></place><publisher>Republika</publisher><dateIssued>2004</dateIssued></originInfo>
  <language><languageTerm type="code">id</languageTerm><languageTerm type="text">Indonesia</languageTerm></language>
  <physicalDescription><form authority="gmd">Text</form><extent>xxxviii, 418 hlm. ; 20 cm</extent></physicalDescription>
  <relatedItem type="series"><titleInfo></titleInfo><title>Seri Novel</title></relatedItem>
  <note>Cet. 1</note>
  <subject authority=""><topic>Novel religi</topic></subject>
  <classification>899.221 3</classification>
  <identifier type="isbn">9793604021</identifier>
  <location><physicalLocation>Perpustakaan SMA</physicalLocation><shelfLocator>899.221 3 HAB a</shelfLocator>
   <holdingSimple><copyInformation><numerationAndChronology type="1">B0001</numerationAndChronology><sublocation>Ruang Baca</sublocation><shelfLocator>899.221 3 HAB a</shelfLocator></copyInformation></holdingSimple></location>
  <slims:image>ayat+ayat%20cinta.jpg</slims:image>
  <recordInfo><recordIdentifier>17</recordIdentifier></recordInfo>
 </mods>
</modsCollection>"#;
        let Answer::Records(r) = slims_mods(text, "http://opac.example/").unwrap() else { panic!() };
        assert_eq!(r.len(), 1);
        let f = &r[0];
        assert_eq!(f.title, "Ayat-ayat cinta sebuah novel pembangun jiwa");
        assert_eq!(f.authors, ["Habiburrahman El Shirazy"]);
        assert_eq!(f.isbn.as_deref(), Some("9793604021"));
        assert_eq!(f.publisher.as_deref(), Some("Republika"));
        assert_eq!(f.year, Some(2004));
        assert_eq!(f.language.as_deref(), Some("id"));
        assert_eq!(f.classification.as_deref(), Some("899.221 3"));
        assert_eq!(f.call_number.as_deref(), Some("899.221 3 HAB a"));
        assert_eq!(f.subjects, ["Novel religi"]);
        assert_eq!(f.source_record.as_deref(), Some("17"));
        assert_eq!(f.series.as_deref(), Some("Seri Novel"));
        assert_eq!(f.collation.as_deref(), Some("xxxviii, 418 hlm. ; 20 cm"));
        assert_eq!(
            f.cover_url.as_deref(),
            Some("http://opac.example/lib/minigalnano/createthumb.php?filename=images/docs/ayat%20ayat%20cinta.jpg&width=200")
        );
    }

    #[test]
    fn an_open_library_answer_is_a_record_and_braces_are_nothing() {
        let json = br#"{"ISBN:9780140328721": {"url": "https://openlibrary.org/books/OL7353617M/Fantastic_Mr._Fox",
          "title": "Fantastic Mr. Fox", "authors": [{"url": "https://openlibrary.org/authors/OL34184A", "name": "Roald Dahl"}],
          "identifiers": {"isbn_13": ["9780140328721"], "isbn_10": ["0140328726"]},
          "classifications": {"dewey_decimal_class": ["823.914"]},
          "publishers": [{"name": "Puffin"}], "publish_places": [{"name": "New York"}], "publish_date": "October 1, 1988",
          "subjects": [{"name": "Animals", "url": "x"}, {"name": "Foxes"}], "number_of_pages": 96,
          "cover": {"small": "https://covers.openlibrary.org/b/id/8739161-S.jpg", "medium": "https://covers.openlibrary.org/b/id/8739161-M.jpg", "large": "https://covers.openlibrary.org/b/id/8739161-L.jpg"}}}"#;
        let Answer::Records(r) = open_library(json).unwrap() else { panic!() };
        let f = &r[0];
        assert_eq!(f.title, "Fantastic Mr. Fox");
        assert_eq!(f.authors, ["Roald Dahl"]);
        assert_eq!(f.isbn.as_deref(), Some("9780140328721"));
        assert_eq!(f.year, Some(1988));
        assert_eq!(f.classification.as_deref(), Some("823.914"));
        assert_eq!(f.collation.as_deref(), Some("96 hlm."));
        assert_eq!(f.cover_url.as_deref(), Some("https://covers.openlibrary.org/b/id/8739161-M.jpg"));
        assert_eq!(open_library(b"{}").unwrap(), Answer::Records(vec![]));
    }

    #[test]
    fn a_record_packed_as_a_string_is_read() {
        let inner = SRU_MARC.split("<zs:recordData>").nth(1).unwrap().split("</zs:recordData>").next().unwrap();
        let escaped = quick_xml::escape::escape(inner);
        let text = SRU_MARC.replace(inner, &escaped);
        let Answer::Records(r) = sru(&text).unwrap() else { panic!() };
        assert_eq!(r[0].title, "Cantik itu luka");
    }

    proptest::proptest! {
        #[test]
        fn any_answer_is_read_or_refused_without_a_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = sru(&text);
            let _ = slims_mods(&text, "http://x/");
            let _ = open_library(&bytes);
            let _ = open_library_search(&bytes, "https://covers.example/");
        }

        #[test]
        fn cut_sru_answers_never_panic(at in 0usize..2000) {
            let mut end = at.min(SRU_MARC.len());
            while !SRU_MARC.is_char_boundary(end) {
                end -= 1;
            }
            let text = &SRU_MARC[..end];
            let _ = sru(text);
        }
    }

    #[test]
    fn an_open_library_search_is_records() {
        let json = br#"{"numFound": 2, "start": 0, "docs": [
          {"key": "/works/OL45804W", "title": "Laskar Pelangi", "author_name": ["Andrea Hirata"], "first_publish_year": 2005,
           "publisher": ["Bentang"], "isbn": ["9793062797", "9789793062792"], "language": ["ind"], "cover_i": 12345},
          {"key": "/works/OL1W", "title": ""}]}"#;
        let Answer::Records(r) = open_library_search(json, "https://covers.openlibrary.org/").unwrap() else {
            panic!()
        };
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].title, "Laskar Pelangi");
        assert_eq!(r[0].isbn.as_deref(), Some("9789793062792"));
        assert_eq!(r[0].year, Some(2005));
        assert_eq!(r[0].cover_url.as_deref(), Some("https://covers.openlibrary.org/b/id/12345-M.jpg"));
        assert_eq!(open_library_search(br#"{"docs": []}"#, "x").unwrap(), Answer::Records(vec![]));
        assert!(open_library_search(b"<html>", "x").is_err());
    }

    #[test]
    fn long_values_and_many_records_are_bounded() {
        let long = "x".repeat(MAX_VALUE_CHARS * 2);
        let mut text = String::from("<modsCollection>");
        for _ in 0..(MAX_RECORDS + 5) {
            text.push_str(&format!("<mods><titleInfo><title>{long}</title></titleInfo></mods>"));
        }
        text.push_str("</modsCollection>");
        let Answer::Records(r) = slims_mods(&text, "http://x/").unwrap() else { panic!() };
        assert_eq!(r.len(), MAX_RECORDS);
        assert_eq!(r[0].title.chars().count(), MAX_VALUE_CHARS);
        let huge = format!(
            "<modsCollection><mods><titleInfo><title>{}</title></titleInfo></mods></modsCollection>",
            "y".repeat(MAX_VALUE_CHARS * 5)
        );
        assert!(slims_mods(&huge, "http://x/").is_err());
    }
}
