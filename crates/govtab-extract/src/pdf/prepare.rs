//! lopdf side: open the file, refuse what cannot be read, survey each page
//! (text-showing operators, images, OCR layer), and rewrite the document so
//! pdf-extract only does the work the text needs:
//!
//! - image `Do`s and inline images are dropped from content streams
//!   (pdf-extract would decompress every image and parse it as a content
//!   stream);
//! - a font whose ToUnicode CMap maps more than [`SHRINK_ABOVE`] codes it
//!   never shows gets a CMap listing only the codes the document shows with
//!   it (and a Type3/simple font's `Differences` only those codes' names),
//!   built from one parse per distinct CMap (cached by content).
//!   pdf-extract builds every font it meets with a slow CMap parser (once
//!   per document through our `DocPages` patch; stock pdf-extract does it
//!   again on every page): tesseract's GlyphLessFont maps all 65,536 codes,
//!   and Chrome/Skia exports carry dozens of Type3 fonts of 256 glyphs
//!   each, of which a page shows a few.
//!
//! The operations of a page left as they are ([`Prepared::ops`]) are handed
//! to pdf-extract as decoded here, instead of being decoded a second time.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use super::cmap::ToUnicode;

/// ToUnicode CMaps are cut to the codes used when that drops more than
/// this many entries.
pub const SHRINK_ABOVE: usize = 32;
/// A font showing more codes than this over the document gets a copy per
/// page, cut to that page's codes.
const PER_PAGE_ABOVE: usize = 512;

/// What the survey found on one page.
#[derive(Debug, Clone, Default)]
pub struct PageInfo {
    pub number: u32,
    pub width: Option<f32>,
    pub height: Option<f32>,
    /// Text-showing operators with a non-empty string.
    pub text_ops: usize,
    /// Images drawn (XObject images and inline images).
    pub images: usize,
    /// Text drawn invisible (render mode 3/7): an OCR layer over a scan.
    pub invisible_text: bool,
    /// Text in tesseract's `GlyphLessFont`.
    pub glyphless_font: bool,
    /// The largest image XObject drawn (a scan's page picture): id and
    /// pixel size.
    pub scan_image: Option<(ObjectId, usize, usize)>,
    /// The content stream could not be decoded.
    pub error: Option<String>,
}

impl PageInfo {
    /// Is this page's text an OCR layer (spaces between CJK are artefacts)?
    pub fn is_ocr(&self) -> bool {
        self.invisible_text || self.glyphless_font
    }
}

/// Counters over the whole preparation (read by the tests).
#[derive(Debug, Clone, Default)]
#[cfg_attr(not(test), allow(dead_code))]
pub struct PrepStats {
    pub images_dropped: usize,
    pub cmaps_parsed: usize,
    pub fonts_shrunk: usize,
}

pub struct Prepared {
    pub doc: Document,
    pub pages: Vec<PageInfo>,
    /// Per page (as `pages`), its content's operations when the survey
    /// left them as they are: pdf-extract need not decode them again.
    pub ops: Vec<Option<Vec<Operation>>>,
    #[cfg_attr(not(test), allow(dead_code))]
    pub stats: PrepStats,
}

/// Load a PDF from memory. Encrypted files are opened with the empty user
/// password when that works, else refused.
pub fn load(bytes: &[u8]) -> Result<Document, String> {
    let mut doc = Document::load_mem(bytes).map_err(|e| describe_load_error(&e.to_string()))?;
    if doc.is_encrypted() {
        if let Err(e) = doc.decrypt("") {
            return Err(format!("encrypted, needs a password ({e})"));
        }
    }
    if doc.get_pages().is_empty() {
        return Err("no pages (page tree missing or unreadable)".into());
    }
    Ok(doc)
}

fn describe_load_error(e: &str) -> String {
    let lower = e.to_lowercase();
    if lower.contains("password") || lower.contains("decrypt") || lower.contains("encrypt") {
        format!("encrypted, needs a password ({e})")
    } else {
        format!("cannot parse ({e}); truncated or corrupt file?")
    }
}

/// Survey and rewrite every page.
pub fn prepare(mut doc: Document) -> Prepared {
    let pages: Vec<(u32, ObjectId)> = doc.get_pages().into_iter().collect();
    let mut infos = Vec::with_capacity(pages.len());
    let mut page_ops = Vec::with_capacity(pages.len());
    let mut edits = Edits::default();
    let mut forms: HashMap<ObjectId, FormSurvey> = HashMap::new();
    for (number, id) in &pages {
        let mut info = PageInfo { number: *number, ..Default::default() };
        if let Some((w, h)) = page_size(&doc, *id) {
            info.width = Some(w);
            info.height = Some(h);
        }
        let resources = page_resources(&doc, *id);
        match doc.get_page_content(*id).map_err(|e| e.to_string()).and_then(|c| Content::decode(&c).map_err(|e| e.to_string())) {
            Ok(content) => {
                let mut survey = FormSurvey::default();
                let mut fonts = PageFonts::new();
                let (ops, changed) = scan_ops(&doc, content.operations, resources, &mut survey, &mut forms, &mut edits, &mut CodeSink::Page(&mut fonts), 0);
                edits.page_fonts.push((*id, fonts));
                survey.apply(&mut info);
                if changed {
                    match (Content { operations: ops }).encode() {
                        Ok(bytes) => edits.pages.push((*id, bytes)),
                        Err(e) => info.error = Some(format!("cannot re-encode content: {e}")),
                    }
                    page_ops.push(None);
                } else {
                    page_ops.push(Some(ops));
                }
            }
            Err(e) => {
                info.error = Some(format!("content stream unreadable: {e}"));
                page_ops.push(None);
            }
        }
        infos.push(info);
    }
    let stats = edits.apply(&mut doc);
    Prepared { doc, pages: infos, ops: page_ops, stats }
}

fn page_size(doc: &Document, id: ObjectId) -> Option<(f32, f32)> {
    let mut dict = doc.get_dictionary(id).ok()?;
    for _ in 0..32 {
        if let Ok(mb) = dict.get(b"MediaBox").and_then(|o| deref(doc, o).as_array()) {
            let v: Vec<f32> = mb.iter().filter_map(|o| num(deref(doc, o))).collect();
            if v.len() == 4 {
                return Some(((v[2] - v[0]).abs(), (v[3] - v[1]).abs()));
            }
        }
        dict = dict.get(b"Parent").and_then(Object::as_reference).and_then(|p| doc.get_dictionary(p)).ok()?;
    }
    None
}

/// The page's resource dictionary as pdf-extract sees it: the nearest
/// `Resources` up the page tree.
fn page_resources(doc: &Document, id: ObjectId) -> Option<&Dictionary> {
    let mut dict = doc.get_dictionary(id).ok()?;
    for _ in 0..32 {
        if let Ok(r) = dict.get(b"Resources") {
            return deref(doc, r).as_dict().ok();
        }
        dict = dict.get(b"Parent").and_then(Object::as_reference).and_then(|p| doc.get_dictionary(p)).ok()?;
    }
    None
}

fn deref<'a>(doc: &'a Document, o: &'a Object) -> &'a Object {
    let mut o = o;
    for _ in 0..8 {
        match o {
            Object::Reference(id) => match doc.get_object(*id) {
                Ok(x) => o = x,
                Err(_) => return o,
            },
            _ => return o,
        }
    }
    o
}

fn num(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

/// A named resource (`/Font /F1`, `/XObject /Im0`): the object and its id
/// when it is an indirect reference.
fn resource<'a>(doc: &'a Document, resources: Option<&'a Dictionary>, kind: &[u8], name: &[u8]) -> Option<(Option<ObjectId>, &'a Object)> {
    let cat = deref(doc, resources?.get(kind).ok()?).as_dict().ok()?;
    let o = cat.get(name).ok()?;
    match o {
        Object::Reference(id) => Some((Some(*id), doc.get_object(*id).ok()?)),
        _ => Some((None, o)),
    }
}

/// Survey counters of a content stream (page or form), forms included.
#[derive(Debug, Clone, Default)]
struct FormSurvey {
    text_ops: usize,
    images: usize,
    invisible: bool,
    glyphless: bool,
    largest: Option<(ObjectId, usize, usize)>,
}

fn larger(a: Option<(ObjectId, usize, usize)>, b: Option<(ObjectId, usize, usize)>) -> Option<(ObjectId, usize, usize)> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.1 * y.2 > x.1 * x.2 { y } else { x }),
        (x, None) => x,
        (None, y) => y,
    }
}

impl FormSurvey {
    fn add(&mut self, o: &FormSurvey) {
        self.text_ops += o.text_ops;
        self.images += o.images;
        self.invisible |= o.invisible;
        self.glyphless |= o.glyphless;
        self.largest = larger(self.largest, o.largest);
    }
    fn apply(&self, info: &mut PageInfo) {
        info.scan_image = larger(info.scan_image, self.largest);
        info.text_ops += self.text_ops;
        info.images += self.images;
        info.invisible_text |= self.invisible;
        info.glyphless_font |= self.glyphless;
    }
}

#[derive(Default)]
struct Edits {
    pages: Vec<(ObjectId, Vec<u8>)>,
    forms: Vec<(ObjectId, Vec<u8>)>,
    images_dropped: usize,
    /// Fonts shown by forms: code width and codes, over the document.
    codes: HashMap<ObjectId, (u8, BTreeSet<u32>)>,
    /// Fonts shown by a page's own content: per page, the resource name,
    /// font id, code width and the codes that page shows.
    page_fonts: Vec<(ObjectId, PageFonts)>,
}

/// A font as one page uses it: id, code width, codes shown.
type FontUse = (ObjectId, u8, BTreeSet<u32>);
type PageFonts = HashMap<Vec<u8>, FontUse>;

/// Where a content stream records the codes it shows.
enum CodeSink<'a> {
    Page(&'a mut PageFonts),
    Document,
}

/// Parsed ToUnicode programs by content hash: each distinct CMap is read
/// once per document.
struct CMapCache {
    parsed: HashMap<u64, Option<ToUnicode>>,
}

impl CMapCache {
    fn get(&mut self, program: &[u8], stats: &mut PrepStats) -> Option<&ToUnicode> {
        let mut h = DefaultHasher::new();
        program.hash(&mut h);
        self.parsed
            .entry(h.finish())
            .or_insert_with(|| {
                stats.cmaps_parsed += 1;
                ToUnicode::parse(program)
            })
            .as_ref()
    }
}

impl Edits {
    fn apply(self, doc: &mut Document) -> PrepStats {
        let mut stats = PrepStats { images_dropped: self.images_dropped, ..Default::default() };
        for (id, bytes) in self.forms {
            if let Ok(s) = doc.get_object_mut(id).and_then(Object::as_stream_mut) {
                s.set_plain_content(bytes);
            }
        }
        for (id, bytes) in self.pages {
            let sid = doc.add_object(Stream::new(Dictionary::new(), bytes));
            if let Ok(page) = doc.get_dictionary_mut(id) {
                page.set("Contents", Object::Reference(sid));
            }
        }
        let mut cache = CMapCache { parsed: HashMap::new() };
        // Every font: cut to the codes the whole document shows with it.
        let mut union = self.codes;
        for (_, fonts) in &self.page_fonts {
            for (font_id, width, codes) in fonts.values() {
                union.entry(*font_id).or_insert_with(|| (*width, BTreeSet::new())).1.extend(codes.iter().copied());
            }
        }
        let mut fonts: Vec<(ObjectId, (u8, BTreeSet<u32>))> = union.into_iter().collect();
        fonts.sort_by_key(|(id, _)| *id);
        let mut big: HashMap<ObjectId, usize> = HashMap::new();
        for (font_id, (width, codes)) in &fonts {
            if let Some(cut) = cut_font(doc, *font_id, *width, codes, &mut cache, &mut stats) {
                if let Ok(d) = doc.get_dictionary_mut(*font_id) {
                    *d = cut;
                }
            }
            if codes.len() > PER_PAGE_ABOVE {
                big.insert(*font_id, codes.len());
            }
        }
        // A font a page shares with others and that is still big after the
        // cut: that page gets its own copy, cut to the codes it shows (in a
        // copy of its resources), so the page costs what its text costs.
        for (page_id, used) in self.page_fonts {
            let mut used: Vec<(Vec<u8>, FontUse)> =
                used.into_iter().filter(|(_, (id, _, codes))| big.get(id).is_some_and(|&n| codes.len() * 2 < n)).collect();
            if used.is_empty() {
                continue;
            }
            used.sort();
            let Some(resources) = page_resources(doc, page_id).cloned() else { continue };
            let Some(mut font_dict) = resources.get(b"Font").ok().and_then(|o| deref(doc, o).as_dict().ok()).cloned() else { continue };
            let mut changed = false;
            for (name, (font_id, width, codes)) in used {
                if let Some(cut) = cut_font(doc, font_id, width, &codes, &mut cache, &mut stats) {
                    let copy = doc.add_object(Object::Dictionary(cut));
                    font_dict.set(name, Object::Reference(copy));
                    changed = true;
                }
            }
            if changed {
                let mut resources = resources;
                resources.set("Font", Object::Dictionary(font_dict));
                if let Ok(page) = doc.get_dictionary_mut(page_id) {
                    page.set("Resources", Object::Dictionary(resources));
                }
            }
        }
        stats
    }
}

/// A copy of the font's dictionary whose ToUnicode map (and, for 1-byte
/// fonts, `Differences`) lists only `codes`; None when that saves little.
fn cut_font(doc: &mut Document, font_id: ObjectId, width: u8, codes: &BTreeSet<u32>, cache: &mut CMapCache, stats: &mut PrepStats) -> Option<Dictionary> {
    let mut font = doc.get_dictionary(font_id).ok()?.clone();
    let mut changed = false;
    if width == 1 {
        if let Some(enc) = cut_differences(doc, &font, codes) {
            font.set("Encoding", Object::Dictionary(enc));
            changed = true;
        }
    }
    if let Some(program) = to_unicode_program(doc, font_id) {
        if let Some(cmap) = cache.get(&program, stats) {
            if cmap.entries() > codes.len() + SHRINK_ABOVE {
                let subset = cmap.write_subset(codes, width);
                let sid = doc.add_object(Stream::new(Dictionary::new(), subset));
                font.set("ToUnicode", Object::Reference(sid));
                stats.fonts_shrunk += 1;
                changed = true;
            }
        }
    }
    changed.then_some(font)
}

fn to_unicode_program(doc: &Document, font_id: ObjectId) -> Option<Vec<u8>> {
    let font = doc.get_dictionary(font_id).ok()?;
    let s = deref(doc, font.get(b"ToUnicode").ok()?).as_stream().ok()?;
    Some(s.get_plain_content().unwrap_or_else(|_| s.content.clone()))
}

/// The width in bytes of this font's character codes when we can read
/// codes off the string bytes: 1 for simple and Type3 fonts, 2 for Type0
/// fonts with an Identity encoding, None for other CMaps. Also reports
/// tesseract's GlyphLessFont.
fn code_width(doc: &Document, font: &Object) -> (Option<u8>, bool) {
    let Ok(d) = font.as_dict() else { return (None, false) };
    let name = |k: &[u8]| d.get(k).ok().map(|o| deref(doc, o)).and_then(|o| o.as_name().ok()).map(|n| n.to_vec());
    let glyphless = name(b"BaseFont").map(|n| n.windows(13).any(|w| w == b"GlyphLessFont")).unwrap_or(false);
    let width = if name(b"Subtype").as_deref() == Some(b"Type0") {
        matches!(name(b"Encoding").as_deref(), Some(b"Identity-H") | Some(b"Identity-V")).then_some(2)
    } else {
        Some(1)
    };
    (width, glyphless)
}

/// The font's `/Encoding` dictionary with only the used codes' names in
/// `Differences` (pdf-extract looks every name up each time it builds the
/// font); None when there is nothing worth cutting.
fn cut_differences(doc: &Document, font: &Dictionary, codes: &BTreeSet<u32>) -> Option<Dictionary> {
    let enc = deref(doc, font.get(b"Encoding").ok()?).as_dict().ok()?;
    let diffs = deref(doc, enc.get(b"Differences").ok()?).as_array().ok()?;
    let mut names: Vec<(u32, Object)> = Vec::new();
    let mut code: i64 = 0;
    let mut total = 0;
    for o in diffs {
        match o {
            Object::Integer(i) => code = *i,
            Object::Name(_) => {
                total += 1;
                if code >= 0 && codes.contains(&(code as u32)) {
                    names.push((code as u32, o.clone()));
                }
                code += 1;
            }
            _ => return None, // malformed: leave it to pdf-extract
        }
    }
    if total <= names.len() + SHRINK_ABOVE {
        return None;
    }
    let mut cut = Vec::with_capacity(names.len() * 2);
    for (c, n) in names {
        cut.push(Object::Integer(c as i64));
        cut.push(n);
    }
    let mut enc = enc.clone();
    enc.set("Differences", Object::Array(cut));
    Some(enc)
}

const MAX_FORM_DEPTH: usize = 12;

/// Walk a content stream: count text and images, collect the codes shown
/// per identity-encoded font, recurse into forms. Returns the operations
/// and whether they were rewritten (images dropped).
#[allow(clippy::too_many_arguments)]
fn scan_ops(
    doc: &Document,
    ops: Vec<Operation>,
    resources: Option<&Dictionary>,
    survey: &mut FormSurvey,
    forms: &mut HashMap<ObjectId, FormSurvey>,
    edits: &mut Edits,
    sink: &mut CodeSink,
    depth: usize,
) -> (Vec<Operation>, bool) {
    let mut out = Vec::with_capacity(ops.len());
    let mut changed = false;
    let mut font: Option<(Vec<u8>, ObjectId, u8)> = None;
    for op in ops {
        match op.operator.as_str() {
            "Tf" => {
                font = None;
                if let Some(name) = op.operands.first().and_then(|o| o.as_name().ok()) {
                    if let Some((id, obj)) = resource(doc, resources, b"Font", name) {
                        let (width, glyphless) = code_width(doc, obj);
                        survey.glyphless |= glyphless;
                        font = id.zip(width).map(|(id, w)| (name.to_vec(), id, w));
                    }
                }
            }
            "Tr" => {
                if let Some(m) = op.operands.first().and_then(num) {
                    if m as i64 == 3 || m as i64 == 7 {
                        survey.invisible = true;
                    }
                }
            }
            "Tj" | "'" | "\"" | "TJ" => {
                let mut shown = false;
                let mut visit = |s: &[u8]| {
                    if !s.is_empty() {
                        shown = true;
                    }
                    if let Some((name, f, width)) = &font {
                        let (f, width) = (*f, *width);
                        let set = match sink {
                            CodeSink::Page(fonts) => &mut fonts.entry(name.clone()).or_insert_with(|| (f, width, BTreeSet::new())).2,
                            CodeSink::Document => &mut edits.codes.entry(f).or_insert_with(|| (width, BTreeSet::new())).1,
                        };
                        for code in s.chunks_exact(width as usize) {
                            set.insert(code.iter().fold(0u32, |a, &b| (a << 8) | b as u32));
                        }
                    }
                };
                for operand in &op.operands {
                    match operand {
                        Object::String(s, _) => visit(s),
                        Object::Array(items) => {
                            for it in items {
                                if let Object::String(s, _) = it {
                                    visit(s);
                                }
                            }
                        }
                        _ => {}
                    }
                }
                if shown {
                    survey.text_ops += 1;
                }
            }
            "BI" => {
                survey.images += 1;
                edits.images_dropped += 1;
                changed = true;
                continue;
            }
            "Do" => {
                let name = op.operands.first().and_then(|o| o.as_name().ok());
                if let Some((id, obj)) = name.and_then(|n| resource(doc, resources, b"XObject", n)) {
                    if let Ok(stream) = obj.as_stream() {
                        let subtype = stream.dict.get(b"Subtype").ok().and_then(|o| o.as_name().ok());
                        match subtype {
                            Some(b"Image") => {
                                let dim = |k: &[u8]| stream.dict.get(k).ok().and_then(|o| o.as_i64().ok()).unwrap_or(0).max(0) as usize;
                                if let Some(id) = id {
                                    survey.largest = larger(survey.largest, Some((id, dim(b"Width"), dim(b"Height"))));
                                }
                                survey.images += 1;
                                edits.images_dropped += 1;
                                changed = true;
                                continue;
                            }
                            // An unreadable form: pdf-extract would panic on it.
                            Some(b"Form") if depth < MAX_FORM_DEPTH && !scan_form(doc, id, stream, resources, survey, forms, edits, depth) => {
                                changed = true;
                                continue;
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
        out.push(op);
    }
    (out, changed)
}

#[allow(clippy::too_many_arguments)]
fn scan_form(
    doc: &Document,
    id: Option<ObjectId>,
    stream: &Stream,
    parent_resources: Option<&Dictionary>,
    survey: &mut FormSurvey,
    forms: &mut HashMap<ObjectId, FormSurvey>,
    edits: &mut Edits,
    depth: usize,
) -> bool {
    if let Some(id) = id {
        if let Some(done) = forms.get(&id) {
            survey.add(&done.clone());
            return true;
        }
        // Mark as in progress so a form that draws itself stops here.
        forms.insert(id, FormSurvey::default());
    }
    let resources = stream.dict.get(b"Resources").ok().and_then(|o| deref(doc, o).as_dict().ok()).or(parent_resources);
    let data = stream.get_plain_content().unwrap_or_else(|_| stream.content.clone());
    let mut mine = FormSurvey::default();
    let Ok(content) = Content::decode(&data) else { return false };
    if let (ops, true) = scan_ops(doc, content.operations, resources, &mut mine, forms, edits, &mut CodeSink::Document, depth + 1) {
        match (id, (Content { operations: ops }).encode()) {
            (Some(id), Ok(bytes)) => edits.forms.push((id, bytes)),
            _ => return false,
        }
    }
    survey.add(&mine);
    if let Some(id) = id {
        forms.insert(id, mine);
    }
    true
}
