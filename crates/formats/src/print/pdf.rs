//! A small PDF writer over `pdf-writer`: A4 (or any size) pages drawn in millimetres from the top
//! left, text in the embedded DejaVu fonts (subset to the glyphs used, so any Indonesian name
//! renders and `pdftotext` reads it back), filled rectangles (barcode bars), lines and images.

use std::collections::BTreeMap;

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;

/// DejaVu Sans and DejaVu Sans Bold, from Debian's fonts-dejavu-core (licence in fonts/LICENSE).
const REGULAR: &[u8] = include_bytes!("../../../../fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../../../fonts/DejaVuSans-Bold.ttf");

/// Points per millimetre.
const PT: f32 = 72.0 / 25.4;

/// Which of the two fonts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

struct FontUse {
    name: &'static [u8],
    base: &'static str,
    data: &'static [u8],
    face: ttf_parser::Face<'static>,
    remap: GlyphRemapper,
    /// New glyph id → (the text it stands for, its advance in font units).
    used: BTreeMap<u16, (char, u16)>,
}

impl FontUse {
    fn new(name: &'static [u8], base: &'static str, data: &'static [u8]) -> Self {
        let face = ttf_parser::Face::parse(data, 0).expect("the bundled font parses");
        Self { name, base, data, face, remap: GlyphRemapper::new(), used: BTreeMap::new() }
    }

    fn units(&self) -> f32 {
        f32::from(self.face.units_per_em())
    }

    /// The glyph of `c` (the replacement character's, or `?`'s, when the font has none).
    fn glyph(&self, c: char) -> ttf_parser::GlyphId {
        self.face
            .glyph_index(c)
            .or_else(|| self.face.glyph_index('\u{FFFD}'))
            .or_else(|| self.face.glyph_index('?'))
            .unwrap_or(ttf_parser::GlyphId(0))
    }

    fn advance(&self, c: char) -> u16 {
        self.face.glyph_hor_advance(self.glyph(c)).unwrap_or(0)
    }

    /// Width of `text` at `size` points, in millimetres.
    fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text.chars().filter(|c| !c.is_control()).map(|c| u32::from(self.advance(c))).sum();
        units as f32 / self.units() * size / PT
    }

    /// The text as two-byte glyph ids of the subset.
    fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() * 2);
        for c in text.chars().filter(|c| !c.is_control()) {
            let old = self.glyph(c);
            let new = self.remap.remap(old.0);
            let advance = self.face.glyph_hor_advance(old).unwrap_or(0);
            self.used.entry(new).or_insert((c, advance));
            out.extend_from_slice(&new.to_be_bytes());
        }
        out
    }
}

/// Pixels on the longer side of an SVG drawn for print: 600 (a 12 mm logo at over 1200 dpi).
pub const SVG_PIXELS: f32 = 600.0;

/// Most pixels an uploaded PNG or JPEG may have (a logo or a photo printed 12 to 30 mm wide needs
/// far fewer).
pub const MAX_PIXELS: u64 = 4_000_000;
/// Most bytes the PNG decoder may allocate for what it reads beside the pixels (text, colour
/// profiles: the `png` crate's own budget, 64 MiB by default).
pub const PNG_DECODER_BYTES: usize = 8 << 20;
/// Most bytes the JPEG decoder may allocate, reckoned from the frame header before it decodes:
/// `zune-jpeg` has no allocation limit of its own, but what it allocates is known from the header
/// (the RGB output, and for a progressive file a plane of 16-bit coefficients per component, each
/// padded to whole blocks of up to 32 × 32 pixels). For [`MAX_PIXELS`] and four components, in
/// the worst shape a JPEG's 16-bit sides allow, that comes to about 46 MB; the check keeps it so
/// whatever the header says (more components, a limit changed). What the decoder keeps beside the
/// pixels (EXIF, colour profile, XMP) are copies of the file's own bytes, at most the 256 KiB an
/// upload may have.
pub const JPEG_DECODER_BYTES: u64 = 48 << 20;
/// Most scans a progressive JPEG may have: each scan is a pass over every block of the image, and
/// a scan can be a few bytes, so a file of many scans costs CPU far past its size. Encoders write
/// 10 or so.
pub const JPEG_MAX_SCANS: usize = 64;

/// An image's pixels as 8-bit samples (`color` is RGB, RGBA, grey or grey and alpha).
struct Decoded {
    width: u32,
    height: u32,
    color: png::ColorType,
    data: Vec<u8>,
}

/// A refusal of a size past [`MAX_PIXELS`], the same for both formats.
fn too_many_pixels(w: u32, h: u32) -> Result<(), String> {
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(format!("{w}×{h} pixels is too large (at most 4 million)"));
    }
    Ok(())
}

/// Decodes a PNG within the budget: its declared size is checked against [`MAX_PIXELS`] before
/// any pixel is allocated (a PNG of a few hundred bytes may declare 100000 × 100000), and the
/// decoder's other allocations are held to [`PNG_DECODER_BYTES`].
fn decode_png(bytes: &[u8]) -> Result<Decoded, String> {
    let mut decoder =
        png::Decoder::new_with_limits(std::io::Cursor::new(bytes), png::Limits { bytes: PNG_DECODER_BYTES });
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|e| format!("not a readable PNG: {e}"))?;
    let (w, h) = (reader.info().width, reader.info().height);
    too_many_pixels(w, h)?;
    let mut buf = vec![0; reader.output_buffer_size().ok_or("the PNG is too large")?];
    let frame = reader.next_frame(&mut buf).map_err(|e| format!("not a readable PNG: {e}"))?;
    buf.truncate(frame.buffer_size());
    if frame.color_type == png::ColorType::Indexed || frame.bit_depth != png::BitDepth::Eight {
        return Err("a PNG the decoder did not expand to 8-bit samples".into());
    }
    Ok(Decoded { width: frame.width, height: frame.height, color: frame.color_type, data: buf })
}

/// Decodes a baseline or progressive JPEG (grey, YCbCr, RGB or CMYK) into RGB within the budget:
/// the frame header is read first, with nothing allocated for pixels, and its size checked against
/// [`MAX_PIXELS`] and what decoding it would allocate against [`JPEG_DECODER_BYTES`]; at most
/// [`JPEG_MAX_SCANS`] scans. Strict: a file cut short, or with stray bytes between its headers, is
/// refused rather than drawn in part.
fn decode_jpeg(bytes: &[u8]) -> Result<Decoded, String> {
    use zune_jpeg::{
        zune_core::{bytestream::ZCursor, colorspace::ColorSpace, options::DecoderOptions},
        JpegDecoder,
    };
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        // Its own limits are per side and refuse with words of their own; the pixel count below
        // speaks for both formats.
        .set_max_width(usize::from(u16::MAX))
        .set_max_height(usize::from(u16::MAX))
        .jpeg_set_max_scans(JPEG_MAX_SCANS)
        .jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(|e| format!("not a readable JPEG: {e}"))?;
    let info = decoder.info().ok_or("not a readable JPEG")?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    too_many_pixels(w, h)?;
    let padded = u64::from(w.div_ceil(32) * 32) * u64::from(h.div_ceil(32) * 32);
    let allocates = u64::from(w) * u64::from(h) * 3 + padded * 2 * u64::from(info.components);
    if allocates > JPEG_DECODER_BYTES {
        return Err(format!(
            "a JPEG of {w}×{h} pixels in {} components takes more memory to read than an upload may ({} MB)",
            info.components,
            JPEG_DECODER_BYTES >> 20
        ));
    }
    let data = decoder.decode().map_err(|e| format!("not a readable JPEG: {e}"))?;
    if data.len() as u64 != u64::from(w) * u64::from(h) * 3 {
        return Err("not a readable JPEG: it decoded to fewer pixels than it declares".into());
    }
    Ok(Decoded { width: w, height: h, color: png::ColorType::Rgb, data })
}

/// Pixels written as a plain PNG: 8-bit samples, nothing but the image.
fn encode_png(Decoded { width, height, color, data }: Decoded) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(color);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header().map_err(|e| format!("the image could not be written as a PNG: {e}"))?;
    writer.write_image_data(&data).map_err(|e| format!("the image could not be written as a PNG: {e}"))?;
    writer.finish().map_err(|e| format!("the image could not be written as a PNG: {e}"))?;
    Ok(out)
}

/// An uploaded PNG written again as a plain one, what is stored and served: its pixels as 8-bit
/// samples of the same colours, the first frame only, and nothing else — no text, colour
/// profile, EXIF or private chunk, nothing after its end (where a polyglot file keeps a second
/// format). Decoded within the budget of [`decode_png`].
pub fn plain_png(bytes: &[u8]) -> Result<Vec<u8>, String> {
    encode_png(decode_png(bytes)?)
}

/// An uploaded JPEG written as a plain PNG of its pixels (RGB), what is stored and served: no
/// EXIF, colour profile, comment or thumbnail, nothing after its end. Decoded within the budget of
/// [`decode_jpeg`]; the decoder is gone before the PNG is written.
pub fn plain_jpeg(bytes: &[u8]) -> Result<Vec<u8>, String> {
    encode_png(decode_jpeg(bytes)?)
}

/// An image ready to place: samples, size and colour.
#[derive(Clone)]
pub struct Picture {
    width: u32,
    height: u32,
    kind: PictureKind,
}

#[derive(Clone)]
enum PictureKind {
    /// JPEG bytes as they are (DCTDecode), with their colour components.
    Jpeg { bytes: Vec<u8>, components: u8 },
    /// Deflated 8-bit RGB samples and, when not opaque, a deflated 8-bit alpha mask.
    Raw { rgb: Vec<u8>, alpha: Option<Vec<u8>> },
}

impl Picture {
    /// Width ÷ height.
    pub fn aspect(&self) -> f32 {
        self.width as f32 / self.height.max(1) as f32
    }

    /// Reads a PNG (any colour type and depth; of an animated one, the first frame), within
    /// [`MAX_PIXELS`] and [`PNG_DECODER_BYTES`].
    pub fn png(bytes: &[u8]) -> Result<Self, String> {
        let Decoded { width: w, height: h, color, data } = decode_png(bytes)?;
        let data = &data[..];
        let (mut rgb, mut alpha) = (Vec::with_capacity((w * h * 3) as usize), Vec::new());
        match color {
            png::ColorType::Rgb => rgb.extend_from_slice(data),
            png::ColorType::Rgba => {
                for px in data.chunks_exact(4) {
                    rgb.extend_from_slice(&px[..3]);
                    alpha.push(px[3]);
                }
            }
            png::ColorType::Grayscale => data.iter().for_each(|&g| rgb.extend_from_slice(&[g, g, g])),
            png::ColorType::GrayscaleAlpha => {
                for px in data.chunks_exact(2) {
                    rgb.extend_from_slice(&[px[0], px[0], px[0]]);
                    alpha.push(px[1]);
                }
            }
            png::ColorType::Indexed => return Err("an indexed PNG the decoder did not expand".into()),
        }
        let alpha = (!alpha.is_empty() && alpha.iter().any(|&a| a != 255)).then(|| deflate(&alpha));
        Ok(Self { width: w, height: h, kind: PictureKind::Raw { rgb: deflate(&rgb), alpha } })
    }

    /// Reads an SVG and draws it (with resvg) into pixels, [`SVG_PIXELS`] on its longer side: sharp
    /// at any size a logo is printed. Only images inside the SVG (`data:` URLs) are drawn, never a
    /// file it names; text is not drawn (no fonts are loaded), so a logo's words must be paths.
    pub fn svg(bytes: &[u8]) -> Result<Self, String> {
        use resvg::{tiny_skia, usvg};
        let options = usvg::Options {
            image_href_resolver: usvg::ImageHrefResolver {
                resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
                resolve_string: Box::new(|_, _| None),
            },
            ..usvg::Options::default()
        };
        let tree = usvg::Tree::from_data(bytes, &options).map_err(|e| format!("not a readable SVG: {e}"))?;
        let size = tree.size();
        let scale = SVG_PIXELS / size.width().max(size.height());
        let (w, h) = ((size.width() * scale).round().max(1.0) as u32, (size.height() * scale).round().max(1.0) as u32);
        let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or("the SVG has no size")?;
        resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
        let (mut rgb, mut alpha) = (Vec::with_capacity((w * h * 3) as usize), Vec::with_capacity((w * h) as usize));
        for px in pixmap.pixels() {
            let c = px.demultiply();
            rgb.extend_from_slice(&[c.red(), c.green(), c.blue()]);
            alpha.push(c.alpha());
        }
        if alpha.iter().all(|&a| a == 0) {
            return Err("the SVG draws nothing (text in an SVG logo must be converted to paths)".into());
        }
        let alpha = alpha.iter().any(|&a| a != 255).then(|| deflate(&alpha));
        Ok(Self { width: w, height: h, kind: PictureKind::Raw { rgb: deflate(&rgb), alpha } })
    }

    /// Reads a baseline or progressive JPEG's size and components (its bytes go into the PDF as they
    /// are). Only for member photos stored before uploads were normalised: an uploaded JPEG is
    /// stored as a PNG of its pixels ([`plain_jpeg`]).
    pub fn jpeg(bytes: &[u8]) -> Result<Self, String> {
        if !bytes.starts_with(&[0xFF, 0xD8]) {
            return Err("not a JPEG".into());
        }
        let mut i = 2;
        while i + 9 < bytes.len() {
            if bytes[i] != 0xFF {
                return Err("not a readable JPEG".into());
            }
            let marker = bytes[i + 1];
            let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
            if matches!(marker, 0xC0..=0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF) {
                let height = u32::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
                let width = u32::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
                let components = bytes[i + 9];
                if width == 0 || height == 0 || !matches!(components, 1 | 3) {
                    return Err("a JPEG this printer cannot place (CMYK or empty)".into());
                }
                return Ok(Self { width, height, kind: PictureKind::Jpeg { bytes: bytes.to_vec(), components } });
            }
            i += 2 + len;
        }
        Err("not a readable JPEG".into())
    }
}

fn deflate(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("writing to memory");
    e.finish().expect("writing to memory")
}

/// A document being drawn.
pub struct Doc {
    width: f32,
    height: f32,
    fonts: [FontUse; 2],
    pages: Vec<(Content, Vec<usize>)>,
    pictures: Vec<Picture>,
}

impl Doc {
    /// A document of pages `width` × `height` mm, with one empty page.
    pub fn new(width: f32, height: f32) -> Self {
        let fonts = [FontUse::new(b"F1", "DejaVuSans", REGULAR), FontUse::new(b"F2", "DejaVuSans-Bold", BOLD)];
        Self { width, height, fonts, pages: vec![(Content::new(), Vec::new())], pictures: Vec::new() }
    }

    /// An A4 portrait document.
    pub fn a4() -> Self {
        Self::new(210.0, 297.0)
    }

    /// Starts a new page.
    pub fn new_page(&mut self) {
        self.pages.push((Content::new(), Vec::new()));
    }

    fn font(&self, w: Weight) -> &FontUse {
        &self.fonts[w as usize]
    }

    fn page(&mut self) -> &mut (Content, Vec<usize>) {
        self.pages.last_mut().expect("a document has a page")
    }

    fn y(&self, y: f32) -> f32 {
        (self.height - y) * PT
    }

    /// The width of `text` at `size` points, in mm.
    pub fn text_width(&self, w: Weight, size: f32, text: &str) -> f32 {
        self.font(w).width(text, size)
    }

    /// `text` cut with `…` to fit `max` mm: its longest beginning (without trailing spaces) that
    /// fits with the `…`, or nothing when not even `…` fits.
    ///
    /// One walk through the text, in time linear in its length: a beginning's width is the sum of
    /// its characters' advances (no kerning), so it is added up character by character, and the
    /// beginnings that fit are the shorter ones (a longer beginning is never narrower). It used to
    /// take one character off at a time and measure the rest again, quadratic in the length: a
    /// thousand labels with long titles took seconds of CPU.
    pub fn fit(&self, w: Weight, size: f32, text: &str, max: f32) -> String {
        if self.text_width(w, size, text) <= max {
            return text.to_owned();
        }
        let font = self.font(w);
        let fits = |units: u32| units as f32 / font.units() * size / PT <= max;
        let ellipsis = u32::from(font.advance('…'));
        // The beginning before the character at hand, without its trailing white space: where it
        // ends and its width in font units.
        let (mut units, mut end, mut end_units) = (0_u32, 0_usize, 0_u32);
        let mut best = None;
        for (i, c) in text.char_indices() {
            if !fits(end_units.saturating_add(ellipsis)) {
                break;
            }
            best = Some(end);
            if !c.is_control() {
                units = units.saturating_add(u32::from(font.advance(c)));
            }
            if !c.is_whitespace() {
                (end, end_units) = (i + c.len_utf8(), units);
            }
        }
        best.map(|end| format!("{}…", &text[..end])).unwrap_or_default()
    }

    /// The largest size at most `size` at which `text` fits `max` mm (not below `min`).
    pub fn size_to_fit(&self, w: Weight, size: f32, min: f32, text: &str, max: f32) -> f32 {
        let width = self.text_width(w, size, text);
        if width <= max || width == 0.0 {
            size
        } else {
            (size * max / width).max(min)
        }
    }

    /// Writes `text` with its baseline at `y`, starting at `x` (mm from the top left).
    pub fn text(&mut self, w: Weight, size: f32, x: f32, y: f32, text: &str) {
        let (px, py) = (x * PT, self.y(y));
        let bytes = self.fonts[w as usize].encode(text);
        let name = self.fonts[w as usize].name;
        let (content, _) = self.page();
        content.begin_text().set_font(Name(name), size).next_line(px, py).show(Str(&bytes)).end_text();
    }

    /// Writes `text` centred on `cx`.
    pub fn text_centred(&mut self, w: Weight, size: f32, cx: f32, y: f32, text: &str) {
        let width = self.text_width(w, size, text);
        self.text(w, size, cx - width / 2.0, y, text);
    }

    /// A filled black rectangle.
    pub fn fill(&mut self, x: f32, y: f32, width: f32, height: f32) {
        let (px, py) = (x * PT, self.y(y + height));
        let (content, _) = self.page();
        content.set_fill_gray(0.0).rect(px, py, width * PT, height * PT).fill_nonzero();
    }

    /// A line `thickness` mm wide, in grey (0 black, 1 white).
    pub fn line(&mut self, from: (f32, f32), to: (f32, f32), thickness: f32, gray: f32) {
        let (a, b) = ((from.0 * PT, self.y(from.1)), (to.0 * PT, self.y(to.1)));
        let (content, _) = self.page();
        content.set_stroke_gray(gray).set_line_width(thickness * PT).move_to(a.0, a.1).line_to(b.0, b.1).stroke();
    }

    /// Registers a picture for [`Doc::picture`].
    pub fn add_picture(&mut self, p: Picture) -> usize {
        self.pictures.push(p);
        self.pictures.len() - 1
    }

    /// Places picture `index` inside the box, keeping its aspect, centred.
    pub fn picture(&mut self, index: usize, x: f32, y: f32, width: f32, height: f32) {
        let aspect = self.pictures[index].aspect();
        let (w, h) = if width / height > aspect { (height * aspect, height) } else { (width, width / aspect) };
        let (x, y) = (x + (width - w) / 2.0, y + (height - h) / 2.0);
        let (px, py) = (x * PT, self.y(y + h));
        let name = format!("Im{index}");
        let (content, used) = self.page();
        content
            .save_state()
            .transform([w * PT, 0.0, 0.0, h * PT, px, py])
            .x_object(Name(name.as_bytes()))
            .restore_state();
        if !used.contains(&index) {
            used.push(index);
        }
    }

    /// The PDF's bytes.
    pub fn finish(self) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let mut next = 1;
        let mut alloc = || {
            let r = Ref::new(next);
            next += 1;
            r
        };
        let (catalog, tree) = (alloc(), alloc());
        let font_ids: Vec<Ref> = self.fonts.iter().map(|_| alloc()).collect();
        let picture_ids: Vec<(Ref, Option<Ref>)> = self
            .pictures
            .iter()
            .map(|p| {
                let mask = matches!(p.kind, PictureKind::Raw { alpha: Some(_), .. });
                (alloc(), mask.then(&mut alloc))
            })
            .collect();
        let page_ids: Vec<(Ref, Ref)> = self.pages.iter().map(|_| (alloc(), alloc())).collect();

        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree).kids(page_ids.iter().map(|p| p.0)).count(page_ids.len() as i32);
        let media = Rect::new(0.0, 0.0, self.width * PT, self.height * PT);
        for ((content, used), (page_id, content_id)) in self.pages.into_iter().zip(&page_ids) {
            let mut page = pdf.page(*page_id);
            page.media_box(media).parent(tree).contents(*content_id);
            let mut resources = page.resources();
            let mut fonts = resources.fonts();
            for (f, id) in self.fonts.iter().zip(&font_ids) {
                fonts.pair(Name(f.name), *id);
            }
            fonts.finish();
            if !used.is_empty() {
                let mut x = resources.x_objects();
                for i in &used {
                    let name = format!("Im{i}");
                    x.pair(Name(name.as_bytes()), picture_ids[*i].0);
                }
                x.finish();
            }
            resources.finish();
            page.finish();
            let data = deflate(&content.finish());
            pdf.stream(*content_id, &data).filter(Filter::FlateDecode);
        }
        for (p, (id, mask)) in self.pictures.iter().zip(&picture_ids) {
            match &p.kind {
                PictureKind::Jpeg { bytes, components } => {
                    let mut img = pdf.image_xobject(*id, bytes);
                    img.filter(Filter::DctDecode);
                    img.width(p.width as i32).height(p.height as i32).bits_per_component(8);
                    if *components == 1 {
                        img.color_space().device_gray();
                    } else {
                        img.color_space().device_rgb();
                    }
                }
                PictureKind::Raw { rgb, alpha } => {
                    let mut img = pdf.image_xobject(*id, rgb);
                    img.filter(Filter::FlateDecode);
                    img.width(p.width as i32).height(p.height as i32).bits_per_component(8);
                    img.color_space().device_rgb();
                    if let Some(m) = mask {
                        img.s_mask(*m);
                    }
                    img.finish();
                    if let (Some(a), Some(m)) = (alpha, mask) {
                        let mut s = pdf.image_xobject(*m, a);
                        s.filter(Filter::FlateDecode);
                        s.width(p.width as i32).height(p.height as i32).bits_per_component(8);
                        s.color_space().device_gray();
                    }
                }
            }
        }
        for (f, id) in self.fonts.iter().zip(font_ids) {
            write_font(&mut pdf, &mut alloc, f, id);
        }
        pdf.finish()
    }
}

/// Writes a Type 0 font with its subset, widths and the map back to Unicode (for copying and
/// `pdftotext`).
fn write_font(pdf: &mut Pdf, alloc: &mut impl FnMut() -> Ref, f: &FontUse, id: Ref) {
    let (cid, descriptor, file, cmap_id) = (alloc(), alloc(), alloc(), alloc());
    let base = format!("PSTK{}+{}", if f.name == b"F1" { "AA" } else { "AB" }, f.base);
    let scale = 1000.0 / f.units();
    let info = pdf_writer::types::SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    pdf.type0_font(id)
        .base_font(Name(base.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap_id);
    let mut c = pdf.cid_font(cid);
    c.subtype(pdf_writer::types::CidFontType::Type2)
        .base_font(Name(base.as_bytes()))
        .system_info(info)
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let count = f.used.keys().max().map_or(0, |m| m + 1);
    let widths: Vec<f32> = (0..count).map(|g| f.used.get(&g).map_or(0.0, |(_, adv)| f32::from(*adv) * scale)).collect();
    c.widths().consecutive(0, widths);
    c.finish();
    let bbox = f.face.global_bounding_box();
    pdf.font_descriptor(descriptor)
        .name(Name(base.as_bytes()))
        .flags(pdf_writer::types::FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(
            f32::from(bbox.x_min) * scale,
            f32::from(bbox.y_min) * scale,
            f32::from(bbox.x_max) * scale,
            f32::from(bbox.y_max) * scale,
        ))
        .italic_angle(0.0)
        .ascent(f32::from(f.face.ascender()) * scale)
        .descent(f32::from(f.face.descender()) * scale)
        .cap_height(f32::from(f.face.capital_height().unwrap_or(f.face.ascender())) * scale)
        .stem_v(80.0)
        .font_file2(file);
    let subset = subsetter::subset(f.data, 0, &f.remap).expect("the bundled font subsets");
    let data = deflate(&subset);
    pdf.stream(file, &data).filter(Filter::FlateDecode);
    let mut cmap = pdf_writer::types::UnicodeCmap::new(Name(b"Custom"), info);
    for (g, (ch, _)) in &f.used {
        cmap.pair(*g, *ch);
    }
    pdf.cmap(cmap_id, &cmap.finish());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64 × 48 baseline JPEG photo (written by `tests/fixtures/jpeg.py`): a green-to-yellow
    /// gradient with a red disc in the middle.
    const PHOTO: &[u8] = include_bytes!("../../../../tests/fixtures/photo.jpg");

    /// `jpeg` with its frame header's size set to `w` × `h`.
    fn declaring(jpeg: &[u8], w: u16, h: u16) -> Vec<u8> {
        let mut out = jpeg.to_vec();
        let sof = out.windows(2).position(|m| m == [0xFF, 0xC0]).expect("a baseline frame header");
        out[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
        out[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
        out
    }

    #[test]
    fn a_jpeg_becomes_a_plain_png_of_its_pixels() {
        let mut sly = PHOTO[..2].to_vec();
        // An EXIF segment and a comment, and an HTML page after the end.
        let exif = b"Exif\0\0MM\0*\0\0\0\x08<script>alert(1)</script>";
        sly.extend_from_slice(&[0xFF, 0xE1]);
        sly.extend_from_slice(&(exif.len() as u16 + 2).to_be_bytes());
        sly.extend_from_slice(exif);
        sly.extend_from_slice(&[0xFF, 0xFE, 0x00, 0x0B]);
        sly.extend_from_slice(b"a comment");
        sly.extend_from_slice(&PHOTO[2..]);
        sly.extend_from_slice(b"<html><script>alert(2)</script></html>");
        let png = plain_jpeg(&sly).expect("an ordinary photo is read");
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let text = String::from_utf8_lossy(&png).to_ascii_lowercase();
        assert!(!text.contains("script") && !text.contains("comment") && !text.contains("exif"), "{text}");
        let Decoded { width, height, color, data } = decode_png(&png).unwrap();
        assert_eq!((width, height, color), (64, 48, png::ColorType::Rgb));
        let at = |x: usize, y: usize| &data[(y * 64 + x) * 3..(y * 64 + x) * 3 + 3];
        let near = |got: &[u8], want: [u8; 3]| got.iter().zip(want).all(|(g, w)| g.abs_diff(w) <= 24);
        assert!(near(at(32, 24), [192, 48, 48]), "the red disc: {:?}", at(32, 24));
        assert!(near(at(1, 2), [29, 95, 55]), "green on the left: {:?}", at(1, 2));
        assert!(near(at(62, 45), [236, 190, 33]), "yellow on the right: {:?}", at(62, 45));
        // The same pixels as the photo as it was sent.
        assert_eq!(plain_jpeg(PHOTO).unwrap(), png);
    }

    #[test]
    fn a_jpeg_is_held_to_the_budget_and_refused_when_broken() {
        // 60000 × 60000 declared in a file of a kilobyte: refused from the header.
        let e = plain_jpeg(&declaring(PHOTO, 60_000, 60_000)).unwrap_err();
        assert_eq!(e, "60000×60000 pixels is too large (at most 4 million)");
        // The most a frame header may declare within the pixels is within the decoder's budget.
        for (w, h) in [(65_535_u32, 61_u32), (33, 65_535), (2000, 2000)] {
            let padded = u64::from(w.div_ceil(32) * 32) * u64::from(h.div_ceil(32) * 32);
            assert!(u64::from(w) * u64::from(h) * 3 + padded * 2 * 4 <= JPEG_DECODER_BYTES, "{w}×{h}");
        }
        // Cut in its data or in its headers, or not a JPEG past its first bytes. (Bytes overwritten
        // inside the compressed data may still decode, to other pixels: nothing tells them apart.)
        for (i, broken) in
            [&PHOTO[..PHOTO.len() / 2], &PHOTO[..200], b"\xFF\xD8\xFF\xE0 not a jpeg at all", b"\xFF\xD8"]
                .iter()
                .enumerate()
        {
            let Err(e) = plain_jpeg(broken) else { panic!("broken file {i} was read") };
            assert!(e.starts_with("not a readable JPEG"), "{i}: {e}");
        }
        // A size its data does not fill is drawn as far as the data goes, the rest filled (as a
        // browser shows it): within the pixels, so within the budget.
        let filled = decode_png(&plain_jpeg(&declaring(PHOTO, 640, 480)).unwrap()).unwrap();
        assert_eq!((filled.width, filled.height), (640, 480));
    }

    /// The fitting as it was: a character off at a time, measured again each time.
    fn fit_by_shortening(d: &Doc, w: Weight, size: f32, text: &str, max: f32) -> String {
        if d.text_width(w, size, text) <= max {
            return text.to_owned();
        }
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let cut: String = chars.iter().collect::<String>().trim_end().to_owned() + "…";
            if d.text_width(w, size, &cut) <= max {
                return cut;
            }
        }
        String::new()
    }

    #[test]
    fn fitting_cuts_where_shortening_did() {
        let d = Doc::a4();
        for text in ["Ronggeng Dukuh Paruk", "Bumi   Manusia  ", "  x", "Laskar\tPelangi\u{200b}é日本語", "", "…"]
        {
            for max in [0.0, 1.0, 2.5, 5.0, 10.0, 20.0, 40.0, 200.0] {
                for w in [Weight::Regular, Weight::Bold] {
                    assert_eq!(d.fit(w, 6.5, text, max), fit_by_shortening(&d, w, 6.5, text, max), "{text:?} in {max}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fitting_is_shortening_for_any_text(text in "[ a-zA-Z\\t日é\u{200b}-]{0,40}", max in 0.0f32..60.0) {
            let d = Doc::a4();
            proptest::prop_assert_eq!(d.fit(Weight::Regular, 7.0, &text, max), fit_by_shortening(&d, Weight::Regular, 7.0, &text, max));
        }
    }

    /// Issue 29, low 11: a title of 300,000 characters took minutes to fit (each shorter try
    /// measured again); it takes one walk now.
    #[test]
    fn a_long_title_fits_in_linear_time() {
        let d = Doc::a4();
        let title = "Sejarah Panjang Nusantara ".repeat(12_000);
        let started = std::time::Instant::now();
        let fitted = d.fit(Weight::Regular, 6.5, &title, 40.0);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
        assert!(fitted.ends_with('…') && fitted.len() < 60, "{fitted}");
        assert!(d.text_width(Weight::Regular, 6.5, &fitted) <= 40.0);
    }
}
