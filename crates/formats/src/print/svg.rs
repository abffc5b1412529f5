//! An uploaded SVG made safe once, at upload: what is kept is a plain drawing.
//!
//! Refused: a DTD (internal entities are how a 10 KB logo grew to 470 MB in the XML parser, and
//! no drawing needs one), an entity other than XML's own, more than [`MAX_ELEMENTS`] elements or
//! [`MAX_DEPTH`] levels. Taken out: scripts, `foreignObject` and the other elements that carry
//! documents or code, every event-handler attribute (`on…`), every link (`href`, `xlink:href`)
//! that is not to a part of the same drawing (`#id`) or a raster `data:` image, and every
//! attribute whose value, entities and character references read and blanks and controls
//! dropped, names a `javascript:`, `vbscript:` or `data:` URL elsewhere; processing instructions
//! and comments. What is left is written again as plain XML, so what is stored and served is
//! what was checked, whatever encoding tricks the upload used.

use std::collections::HashSet;

use quick_xml::{
    events::{attributes::Attribute, BytesStart, Event},
    Reader, Writer,
};

/// The most elements an SVG logo may have.
pub const MAX_ELEMENTS: usize = 20_000;
/// The deepest elements may nest.
pub const MAX_DEPTH: usize = 64;
/// The most `<use>` elements an SVG logo may have.
pub const MAX_USES: usize = 200;

/// Elements dropped with everything inside them.
const DROPPED: &[&[u8]] = &[
    b"script",
    b"foreignobject",
    b"iframe",
    b"embed",
    b"object",
    b"handler",
    b"listener",
    b"audio",
    b"video",
    b"canvas",
];

/// The decoder of UTF-8 text (what [`sanitize`] reads).
fn utf8() -> quick_xml::encoding::Decoder {
    Reader::from_str("").decoder()
}

/// The name in lower case, without a prefix.
fn local_lower(name: &[u8]) -> Vec<u8> {
    let local = name.rsplit(|b| *b == b':').next().unwrap_or(name);
    local.to_ascii_lowercase()
}

/// A value as a URL scheme would be read: entities already unescaped, blanks and controls out,
/// lower case.
fn squeezed(value: &str) -> String {
    value.chars().filter(|c| !c.is_whitespace() && !c.is_control()).flat_map(char::to_lowercase).collect()
}

/// Whether a style sheet links nothing: no `@import`, no script URL, `url()` only to `#id`.
/// (An entity inside a `<style>` comes as its own event and is written as it is: `&amp;` and the
/// like are the only ones let through.)
fn safe_css(css: &str) -> bool {
    let plain = squeezed(css).replace("\\", "");
    !plain.contains("@import")
        && !plain.contains("javascript:")
        && !plain.contains("expression(")
        && !plain.split("url(").skip(1).any(|u| !u.trim_start_matches(['\'', '"']).starts_with('#'))
}

/// The value of attribute `local` (any prefix), entities read.
fn attribute(e: &BytesStart, local: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| local_lower(a.key.as_ref()) == local)
        .and_then(|a| a.decode_and_unescape_value(utf8()).ok().map(|v| v.into_owned()))
}

/// Whether an attribute may stay.
fn keep_attribute(a: &Attribute) -> Result<bool, String> {
    let key = a.key.as_ref();
    let local = local_lower(key);
    if local.starts_with(b"on") {
        return Ok(false);
    }
    let value = a.decode_and_unescape_value(utf8()).map_err(|e| format!("not a readable SVG: {e}"))?;
    let plain = squeezed(&value);
    if plain.contains("javascript:") || plain.contains("vbscript:") {
        return Ok(false);
    }
    if local == b"href" {
        let raster = ["data:image/png", "data:image/jpeg", "data:image/jpg", "data:image/gif", "data:image/webp"];
        return Ok(plain.starts_with('#') || raster.iter().any(|r| plain.starts_with(r)));
    }
    // `url(...)` in a style or presentation attribute: only to a part of the drawing.
    if plain.contains("url(")
        && plain.split("url(").skip(1).any(|u| !u.trim_start_matches(['\'', '"']).starts_with('#'))
    {
        return Ok(false);
    }
    Ok(!plain.contains("data:") || local == b"href")
}

/// The element again, with the attributes that may stay.
fn cleaned(e: &BytesStart) -> Result<BytesStart<'static>, String> {
    let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
    let mut out = BytesStart::new(name);
    for a in e.attributes() {
        let a = a.map_err(|e| format!("not a readable SVG: {e}"))?;
        if keep_attribute(&a)? {
            // Written again from its value read: quoted and escaped here, whatever quotes and
            // escapes the upload used (a `"` inside `'…'` cannot start a new attribute).
            let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let value = a.decode_and_unescape_value(utf8()).map_err(|e| format!("not a readable SVG: {e}"))?;
            out.push_attribute((key.as_str(), value.as_ref()));
        }
    }
    Ok(out)
}

/// Why an SVG logo is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SvgError {
    /// Past a budget: too many elements, too deep, too many `<use>`.
    #[error("{0}")]
    TooBig(crate::budget::Budget),
    /// Anything else: not an SVG, a DTD, an unknown entity.
    #[error("{0}")]
    Refused(String),
}

impl From<String> for SvgError {
    fn from(why: String) -> Self {
        Self::Refused(why)
    }
}

impl From<&str> for SvgError {
    fn from(why: &str) -> Self {
        Self::Refused(why.to_owned())
    }
}

impl SvgError {
    /// Whether the refusal's English sentence holds `part`.
    pub fn contains(&self, part: &str) -> bool {
        self.to_string().contains(part)
    }
}

/// The refusal of an SVG past its elements or depth.
fn too_complex() -> SvgError {
    SvgError::TooBig(crate::budget::Budget::new(
        "svg_too_complex",
        MAX_ELEMENTS,
        format!("an SVG logo may have at most {MAX_ELEMENTS} elements, {MAX_DEPTH} deep"),
    ))
}

/// The SVG with nothing but the drawing, or why it is refused.
pub fn sanitize(bytes: &[u8]) -> Result<Vec<u8>, SvgError> {
    let text = std::str::from_utf8(bytes).map_err(|_| "an SVG logo must be UTF-8 text".to_owned())?;
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut writer = Writer::new(Vec::with_capacity(bytes.len()));
    let write = |w: &mut Writer<Vec<u8>>, e: Event| w.write_event(e).map_err(|e| format!("writing the SVG: {e}"));
    // Depth inside a dropped element (0: not in one); depth of elements; elements seen.
    let (mut dropped, mut depth, mut elements, mut root) = (0_usize, 0_usize, 0_usize, false);
    // Inside a <style>: its text is kept only when it links nothing outside the drawing.
    let mut in_style = false;
    // The ids of the open elements; the ids of elements with a <use> inside; what <use>s repeat.
    let (mut ids, mut holding_use, mut used): (Vec<Option<String>>, HashSet<String>, Vec<String>) =
        (Vec::new(), HashSet::new(), Vec::new());
    let mut note_use = |e: &BytesStart, ids: &[Option<String>]| {
        if local_lower(e.name().as_ref()) == b"use" {
            holding_use.extend(ids.iter().flatten().cloned());
            if let Some(target) = attribute(e, b"href") {
                used.push(target.trim().trim_start_matches('#').to_owned());
            }
        }
    };
    loop {
        let event = reader.read_event().map_err(|e| format!("not a readable SVG: {e}"))?;
        match event {
            Event::DocType(_) => {
                return Err("an SVG logo may not have a DTD (<!DOCTYPE …>) or entities".into());
            }
            Event::Start(_) if dropped > 0 => dropped += 1,
            Event::End(_) if dropped > 0 => dropped -= 1,
            _ if dropped > 0 => {}
            Event::Start(e) => {
                elements += 1;
                depth += 1;
                if elements > MAX_ELEMENTS || depth > MAX_DEPTH {
                    return Err(too_complex());
                }
                if !root {
                    if local_lower(e.name().as_ref()) != b"svg" {
                        return Err("this is not an SVG image".into());
                    }
                    root = true;
                }
                if DROPPED.contains(&local_lower(e.name().as_ref()).as_slice()) {
                    dropped = 1;
                    depth -= 1;
                    continue;
                }
                in_style = local_lower(e.name().as_ref()) == b"style";
                note_use(&e, &ids);
                ids.push(attribute(&e, b"id"));
                write(&mut writer, Event::Start(cleaned(&e)?))?;
            }
            Event::Empty(e) => {
                elements += 1;
                if elements > MAX_ELEMENTS {
                    return Err(too_complex());
                }
                if !root {
                    return Err("this is not an SVG image".into());
                }
                if DROPPED.contains(&local_lower(e.name().as_ref()).as_slice()) {
                    continue;
                }
                note_use(&e, &ids);
                write(&mut writer, Event::Empty(cleaned(&e)?))?;
            }
            Event::End(e) => {
                in_style = false;
                ids.pop();
                depth = depth.saturating_sub(1);
                write(&mut writer, Event::End(e))?;
            }
            Event::Text(t) if in_style => {
                let css = t.decode().map_err(|e| format!("not a readable SVG: {e}"))?;
                if safe_css(&css) {
                    write(&mut writer, Event::Text(t))?;
                }
            }
            Event::CData(t) if in_style => {
                if safe_css(&String::from_utf8_lossy(&t)) {
                    write(&mut writer, Event::CData(t))?;
                }
            }
            Event::Text(t) => write(&mut writer, Event::Text(t))?,
            Event::CData(t) => write(&mut writer, Event::CData(t))?,
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| format!("not a readable SVG: {e}"))?;
                let known = matches!(name.as_ref(), "amp" | "lt" | "gt" | "quot" | "apos") || name.starts_with('#');
                if !known {
                    return Err(format!("an SVG logo may not use the entity &{name};").into());
                }
                write(&mut writer, Event::GeneralRef(r))?;
            }
            Event::Decl(d) => write(&mut writer, Event::Decl(d))?,
            Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !root {
        return Err("this is not an SVG image".into());
    }
    // A <use> of something holding a <use> multiplies: ten of ten of ten… is how a small file
    // becomes a million shapes to draw.
    if used.len() > MAX_USES || used.iter().any(|u| holding_use.contains(u)) {
        return Err(SvgError::TooBig(crate::budget::Budget::new(
            "svg_too_complex",
            MAX_USES,
            format!("an SVG logo may have at most {MAX_USES} <use> elements, none repeating another <use>"),
        )));
    }
    Ok(writer.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> String {
        String::from_utf8(sanitize(s.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn a_plain_drawing_is_kept() {
        let svg = "<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">\
                   <defs><linearGradient id=\"g\"/></defs><rect fill=\"url(#g)\" width=\"10\" height=\"10\"/>\
                   <use href=\"#g\"/><text>A &amp; B</text></svg>";
        let out = clean(svg);
        assert!(out.contains("fill=\"url(#g)\"") && out.contains("href=\"#g\"") && out.contains("A &amp; B"), "{out}");
    }

    #[test]
    fn dtds_and_entities_are_refused() {
        let bomb = "<?xml version=\"1.0\"?><!DOCTYPE svg [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]>\
                    <svg xmlns=\"http://www.w3.org/2000/svg\"><text>&b;</text></svg>";
        assert!(sanitize(bomb.as_bytes()).unwrap_err().contains("DTD"));
        let undeclared = "<svg xmlns=\"http://www.w3.org/2000/svg\"><text>&b;</text></svg>";
        assert!(sanitize(undeclared.as_bytes()).unwrap_err().contains("&b;"));
    }

    #[test]
    fn scripts_handlers_and_script_links_are_taken_out() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" onload=\"alert(1)\">\
                   <script>alert(2)</script><foreignObject><div><p>x</p></div></foreignObject>\
                   <a href=\"&#106;avascript:alert(3)\"><rect ONCLICK=\"alert(4)\" width=\"1\" height=\"1\"/></a>\
                   <a xlink:href=\"java&#x09;script:alert(5)\"><circle r=\"1\"/></a>\
                   <image href=\"https://evil.example/x.png\"/><image href=\"data:image/png;base64,AAAA\"/>\
                   <image href=\"data:image/svg+xml;base64,PHN2Zz4=\"/>\
                   <rect style=\"fill: url(https://evil.example/t)\"/>\
                   <animate attributeName=\"href\" to=\"JaVaScRiPt:alert(6)\"/><?xml-stylesheet href=\"x.css\"?>\
                   <style>@import url(https://evil.example/s.css);</style><style>.a{fill:red}</style></svg>";
        let out = clean(svg);
        let lower = out.to_ascii_lowercase();
        for bad in ["script", "alert", "onload", "onclick", "foreignobject", "evil", "svg+xml", "stylesheet", "<p>"] {
            assert!(!lower.contains(bad), "{bad} left in {out}");
        }
        assert!(out.contains("data:image/png;base64,AAAA"), "{out}");
        assert!(out.contains("<circle r=\"1\"/>"), "{out}");
        assert!(out.contains(".a{fill:red}"), "{out}");
        // A quote inside single quotes stays inside the value.
        let quoted = clean("<svg><rect fill='x\" onload=\"alert(1)' width=\"1\"/></svg>");
        assert!(quoted.contains("fill=\"x&quot; onload=&quot;alert(1)\""), "{quoted}");
    }

    #[test]
    fn not_an_svg_or_too_big_is_refused() {
        assert!(sanitize(b"<html><svg/></html>").is_err());
        assert!(sanitize(b"\xff\xfe").is_err());
        let deep = format!("<svg>{}{}</svg>", "<g>".repeat(100), "</g>".repeat(100));
        assert!(sanitize(deep.as_bytes()).unwrap_err().contains("deep"));
        let many = format!("<svg>{}</svg>", "<g/>".repeat(MAX_ELEMENTS + 1));
        assert!(sanitize(many.as_bytes()).is_err());
        // Ten <use> of a group of ten <use> of …: a million shapes from a few KB.
        let mut nested =
            String::from("<svg xmlns=\"http://www.w3.org/2000/svg\"><defs><rect id=\"l0\" width=\"1\" height=\"1\"/>");
        for l in 1..7 {
            nested.push_str(&format!("<g id=\"l{l}\">{}</g>", format!("<use href=\"#l{}\"/>", l - 1).repeat(10)));
        }
        nested.push_str("</defs><use href=\"#l6\"/></svg>");
        assert!(sanitize(nested.as_bytes()).unwrap_err().contains("<use>"));
        let flat = "<svg xmlns=\"http://www.w3.org/2000/svg\"><rect id=\"r\" width=\"1\" height=\"1\"/><use href=\"#r\"/><use xlink:href=\"#r\"/></svg>";
        assert!(sanitize(flat.as_bytes()).is_ok());
    }
}
