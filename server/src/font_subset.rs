//! TrueType subsetting for documents that embed their font: the briefing's .docx (Word's
//! obfuscated `odttf` part) and its print view (a CSS `@font-face` data URL). A CJK font is
//! megabytes; a briefing uses a few hundred characters, so only their glyphs travel.
//!
//! Pure: bytes in, bytes out. Only TrueType outlines (`glyf`) are handled, which is what Word
//! embeds; a CFF font or a collection is refused. Glyphs are renumbered densely (0 stays
//! `.notdef`), composite glyphs bring their components and have their references rewritten,
//! and `cmap` is rebuilt for exactly the characters asked for, so characters outside the subset
//! fall back to another font instead of drawing blank. Hinting (`fpgm`, `prep`, `cvt `, `gasp`)
//! and naming (`name`, `OS/2`) are kept; layout and vertical tables (`GSUB`, `GPOS`, `GDEF`,
//! `kern`, `vhea`, `vmtx`, …) are dropped, and `post` keeps no glyph names (format 3).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// Why a font cannot be subset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubsetError {
    /// Not a single TrueType-outline font (CFF, a collection, or not a font).
    NotTrueType,
    /// A table the subset needs is missing.
    MissingTable(&'static str),
    /// A table or glyph points outside the file.
    Malformed(&'static str),
    /// The font's licence forbids embedding (OS/2 fsType restricted).
    EmbeddingRestricted,
}

impl fmt::Display for SubsetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubsetError::NotTrueType => write!(f, "not a TrueType-outline font"),
            SubsetError::MissingTable(tag) => write!(f, "the font has no {tag} table"),
            SubsetError::Malformed(what) => write!(f, "malformed font: {what}"),
            SubsetError::EmbeddingRestricted => write!(f, "the font's licence forbids embedding"),
        }
    }
}

impl std::error::Error for SubsetError {}

fn u16_at(data: &[u8], at: usize) -> Result<u16, SubsetError> {
    data.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]])).ok_or(SubsetError::Malformed("short read"))
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, SubsetError> {
    data.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or(SubsetError::Malformed("short read"))
}

/// The tables of one font, by tag.
struct Tables<'a>(BTreeMap<[u8; 4], &'a [u8]>);

impl<'a> Tables<'a> {
    fn parse(font: &'a [u8]) -> Result<Tables<'a>, SubsetError> {
        let version = u32_at(font, 0).map_err(|_| SubsetError::NotTrueType)?;
        if version != 0x0001_0000 && &font[..4] != b"true" {
            return Err(SubsetError::NotTrueType);
        }
        let count = usize::from(u16_at(font, 4)?);
        let mut tables = BTreeMap::new();
        for k in 0..count {
            let record = 12 + 16 * k;
            let tag = font.get(record..record + 4).ok_or(SubsetError::Malformed("table directory"))?;
            let tag = [tag[0], tag[1], tag[2], tag[3]];
            let offset = u32_at(font, record + 8)? as usize;
            let length = u32_at(font, record + 12)? as usize;
            let data = font
                .get(offset..offset.checked_add(length).ok_or(SubsetError::Malformed("table length"))?)
                .ok_or(SubsetError::Malformed("table outside the file"))?;
            tables.insert(tag, data);
        }
        Ok(Tables(tables))
    }

    fn get(&self, tag: &'static str) -> Result<&'a [u8], SubsetError> {
        let key = match tag.as_bytes() {
            &[a, b, c, d] => [a, b, c, d],
            _ => return Err(SubsetError::MissingTable(tag)),
        };
        self.0.get(&key).copied().ok_or(SubsetError::MissingTable(tag))
    }
}

/// The glyph for a character by the font's best Unicode `cmap` subtable (format 12 over 4).
fn cmap_lookup(cmap: &[u8]) -> Result<impl Fn(char) -> u16 + '_, SubsetError> {
    let count = usize::from(u16_at(cmap, 2)?);
    let mut best: Option<(u8, usize)> = None;
    for k in 0..count {
        let record = 4 + 8 * k;
        let (platform, encoding) = (u16_at(cmap, record)?, u16_at(cmap, record + 2)?);
        let offset = u32_at(cmap, record + 4)? as usize;
        let format = u16_at(cmap, offset)?;
        let rank = match (platform, encoding, format) {
            (3, 10, 12) | (0, 4, 12) | (0, 6, 12) => 2,
            (3, 1, 4) | (0, 3, 4) | (0, 1, 4) | (0, 0, 4) => 1,
            _ => 0,
        };
        if rank > 0 && best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, offset));
        }
    }
    let (rank, offset) = best.ok_or(SubsetError::MissingTable("Unicode cmap"))?;
    let sub = &cmap[offset..];
    Ok(move |ch: char| -> u16 {
        let code = ch as u32;
        let found = if rank == 2 { format12(sub, code) } else { format4(sub, code) };
        found.unwrap_or(0)
    })
}

fn format12(sub: &[u8], code: u32) -> Option<u16> {
    let groups = u32_at(sub, 12).ok()? as usize;
    let (mut lo, mut hi) = (0usize, groups);
    while lo < hi {
        let mid = (lo + hi) / 2;
        let at = 16 + 12 * mid;
        let (start, end, glyph) = (u32_at(sub, at).ok()?, u32_at(sub, at + 4).ok()?, u32_at(sub, at + 8).ok()?);
        if code < start {
            hi = mid;
        } else if code > end {
            lo = mid + 1;
        } else {
            return u16::try_from(glyph + (code - start)).ok();
        }
    }
    None
}

fn format4(sub: &[u8], code: u32) -> Option<u16> {
    let code = u16::try_from(code).ok()?;
    let segments = usize::from(u16_at(sub, 6).ok()? / 2);
    let ends = 14;
    let starts = ends + 2 * segments + 2;
    let deltas = starts + 2 * segments;
    let range_offsets = deltas + 2 * segments;
    for k in 0..segments {
        if u16_at(sub, ends + 2 * k).ok()? < code {
            continue;
        }
        let start = u16_at(sub, starts + 2 * k).ok()?;
        if start > code {
            return None;
        }
        let delta = u16_at(sub, deltas + 2 * k).ok()?;
        let range_offset = u16_at(sub, range_offsets + 2 * k).ok()?;
        if range_offset == 0 {
            return Some(code.wrapping_add(delta));
        }
        let at = range_offsets + 2 * k + usize::from(range_offset) + 2 * usize::from(code - start);
        let glyph = u16_at(sub, at).ok()?;
        return (glyph != 0).then(|| glyph.wrapping_add(delta));
    }
    None
}

/// Composite glyph flags.
const ARG_1_AND_2_ARE_WORDS: u16 = 0x0001;
const WE_HAVE_A_SCALE: u16 = 0x0008;
const MORE_COMPONENTS: u16 = 0x0020;
const WE_HAVE_AN_X_AND_Y_SCALE: u16 = 0x0040;
const WE_HAVE_A_TWO_BY_TWO: u16 = 0x0080;

/// The byte offsets (within the glyph) of a composite glyph's component glyph indices.
fn component_offsets(glyph: &[u8]) -> Result<Vec<usize>, SubsetError> {
    let mut out = Vec::new();
    if glyph.len() < 10 || i16::from_be_bytes([glyph[0], glyph[1]]) >= 0 {
        return Ok(out);
    }
    let mut at = 10;
    loop {
        let flags = u16_at(glyph, at)?;
        out.push(at + 2);
        at += 4 + if flags & ARG_1_AND_2_ARE_WORDS != 0 { 4 } else { 2 };
        at += if flags & WE_HAVE_A_SCALE != 0 {
            2
        } else if flags & WE_HAVE_AN_X_AND_Y_SCALE != 0 {
            4
        } else if flags & WE_HAVE_A_TWO_BY_TWO != 0 {
            8
        } else {
            0
        };
        if flags & MORE_COMPONENTS == 0 {
            return Ok(out);
        }
        if at > glyph.len() {
            return Err(SubsetError::Malformed("composite glyph"));
        }
    }
}

/// A font's glyph outlines, by glyph index.
struct Glyphs<'a> {
    glyf: &'a [u8],
    loca: &'a [u8],
    long_offsets: bool,
    count: u16,
}

impl<'a> Glyphs<'a> {
    fn get(&self, glyph: u16) -> Result<&'a [u8], SubsetError> {
        if glyph >= self.count {
            return Err(SubsetError::Malformed("glyph index beyond numGlyphs"));
        }
        let g = usize::from(glyph);
        let (start, end) = if self.long_offsets {
            (u32_at(self.loca, 4 * g)? as usize, u32_at(self.loca, 4 * g + 4)? as usize)
        } else {
            (2 * usize::from(u16_at(self.loca, 2 * g)?), 2 * usize::from(u16_at(self.loca, 2 * g + 2)?))
        };
        if start > end {
            return Err(SubsetError::Malformed("loca"));
        }
        self.glyf.get(start..end).ok_or(SubsetError::Malformed("glyph outside glyf"))
    }
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

fn put_u16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_be_bytes());
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_be_bytes());
}

/// A `cmap` with a format 4 subtable (Windows BMP) and a format 12 one (Windows full Unicode).
fn build_cmap(mapping: &BTreeMap<char, u16>) -> Result<Vec<u8>, SubsetError> {
    // Runs of consecutive characters with consecutive glyphs.
    let mut runs: Vec<(u32, u32, u16)> = Vec::new();
    for (&ch, &glyph) in mapping {
        let code = ch as u32;
        if let Some((start, end, first)) = runs.last_mut()
            && *end + 1 == code
            && u32::from(*first) + (code - *start) == u32::from(glyph)
        {
            *end = code;
            continue;
        }
        runs.push((code, code, glyph));
    }
    let bmp: Vec<(u16, u16, u16)> = runs
        .iter()
        .filter(|(start, _, _)| *start <= 0xFFFE)
        .map(|&(start, end, glyph)| (start as u16, end.min(0xFFFE) as u16, glyph))
        .collect();
    let segments = bmp.len() + 1;
    let seg_x2 = u16::try_from(2 * segments).map_err(|_| SubsetError::Malformed("too many characters"))?;
    let mut f4 = Vec::new();
    put_u16(&mut f4, 4);
    put_u16(&mut f4, 0); // length, set below
    put_u16(&mut f4, 0);
    put_u16(&mut f4, seg_x2);
    let power = 1u16 << (usize::BITS - 1 - segments.leading_zeros());
    put_u16(&mut f4, 2 * power);
    put_u16(&mut f4, power.trailing_zeros() as u16);
    put_u16(&mut f4, seg_x2 - 2 * power);
    for &(_, end, _) in &bmp {
        put_u16(&mut f4, end);
    }
    put_u16(&mut f4, 0xFFFF);
    put_u16(&mut f4, 0);
    for &(start, _, _) in &bmp {
        put_u16(&mut f4, start);
    }
    put_u16(&mut f4, 0xFFFF);
    for &(start, _, glyph) in &bmp {
        put_u16(&mut f4, glyph.wrapping_sub(start));
    }
    put_u16(&mut f4, 1);
    for _ in 0..segments {
        put_u16(&mut f4, 0);
    }
    let length = u16::try_from(f4.len()).map_err(|_| SubsetError::Malformed("too many characters"))?;
    f4[2..4].copy_from_slice(&length.to_be_bytes());

    let mut f12 = Vec::new();
    put_u16(&mut f12, 12);
    put_u16(&mut f12, 0);
    put_u32(&mut f12, (16 + 12 * runs.len()) as u32);
    put_u32(&mut f12, 0);
    put_u32(&mut f12, runs.len() as u32);
    for &(start, end, glyph) in &runs {
        put_u32(&mut f12, start);
        put_u32(&mut f12, end);
        put_u32(&mut f12, u32::from(glyph));
    }

    let mut cmap = Vec::new();
    put_u16(&mut cmap, 0);
    put_u16(&mut cmap, 2);
    put_u16(&mut cmap, 3);
    put_u16(&mut cmap, 1);
    put_u32(&mut cmap, 4 + 16);
    put_u16(&mut cmap, 3);
    put_u16(&mut cmap, 10);
    put_u32(&mut cmap, (4 + 16 + f4.len()) as u32);
    cmap.extend_from_slice(&f4);
    cmap.extend_from_slice(&f12);
    Ok(cmap)
}

/// The subset of `font` that draws every character of `text` the font has (plus `.notdef`).
/// Characters the font lacks are left out of the subset's `cmap`, so a renderer falls back.
pub fn subset(font: &[u8], text: &str) -> Result<Vec<u8>, SubsetError> {
    let tables = Tables::parse(font)?;
    let (head, hhea, maxp, hmtx) = (tables.get("head")?, tables.get("hhea")?, tables.get("maxp")?, tables.get("hmtx")?);
    if let Ok(os2) = tables.get("OS/2")
        && u16_at(os2, 8)? & 0x000F == 0x0002
    {
        return Err(SubsetError::EmbeddingRestricted);
    }
    if head.len() < 54 || hhea.len() < 36 || maxp.len() < 6 {
        return Err(SubsetError::Malformed("head, hhea or maxp too short"));
    }
    let glyphs = Glyphs {
        glyf: tables.get("glyf")?,
        loca: tables.get("loca")?,
        long_offsets: u16_at(head, 50)? == 1,
        count: u16_at(maxp, 4)?,
    };
    let lookup = cmap_lookup(tables.get("cmap")?)?;

    // Which characters the font draws, and the closure of their glyphs over components.
    let mut old_of_char = BTreeMap::new();
    for ch in text.chars() {
        let glyph = lookup(ch);
        if glyph != 0 && glyph < glyphs.count {
            old_of_char.insert(ch, glyph);
        }
    }
    let mut keep: BTreeSet<u16> = BTreeSet::new();
    let mut pending: Vec<u16> = old_of_char.values().copied().chain([0]).collect();
    while let Some(glyph) = pending.pop() {
        if !keep.insert(glyph) {
            continue;
        }
        let data = glyphs.get(glyph)?;
        for at in component_offsets(data)? {
            let component = u16_at(data, at)?;
            if !keep.contains(&component) {
                pending.push(component);
            }
        }
    }
    let new_of_old: BTreeMap<u16, u16> = keep.iter().enumerate().map(|(new, &old)| (old, new as u16)).collect();

    // glyf and loca (long offsets), with component references renumbered.
    let mut glyf = Vec::new();
    let mut loca = Vec::new();
    for &old in &keep {
        put_u32(&mut loca, glyf.len() as u32);
        let mut data = glyphs.get(old)?.to_vec();
        for at in component_offsets(&data)? {
            let component = u16_at(&data, at)?;
            let new = new_of_old[&component];
            data[at..at + 2].copy_from_slice(&new.to_be_bytes());
        }
        glyf.extend_from_slice(&data);
        while glyf.len() % 4 != 0 {
            glyf.push(0);
        }
    }
    put_u32(&mut loca, glyf.len() as u32);

    // hmtx: every kept glyph gets its full metrics.
    let metrics_count = usize::from(u16_at(hhea, 34)?);
    if metrics_count == 0 {
        return Err(SubsetError::Malformed("hhea numberOfHMetrics is 0"));
    }
    let mut new_hmtx = Vec::new();
    for &old in &keep {
        let g = usize::from(old);
        let advance = u16_at(hmtx, 4 * g.min(metrics_count - 1))?;
        let bearing = if g < metrics_count {
            u16_at(hmtx, 4 * g + 2)?
        } else {
            u16_at(hmtx, 4 * metrics_count + 2 * (g - metrics_count))?
        };
        put_u16(&mut new_hmtx, advance);
        put_u16(&mut new_hmtx, bearing);
    }
    let count = keep.len() as u16;

    let mut new_hhea = hhea.to_vec();
    new_hhea[34..36].copy_from_slice(&count.to_be_bytes());
    let mut new_maxp = maxp.to_vec();
    new_maxp[4..6].copy_from_slice(&count.to_be_bytes());
    let mut new_head = head.to_vec();
    new_head.get_mut(8..12).ok_or(SubsetError::Malformed("head"))?.copy_from_slice(&[0; 4]);
    new_head[50..52].copy_from_slice(&1u16.to_be_bytes());
    let mut post = tables.get("post").map(|p| p.get(..32).unwrap_or(p).to_vec()).unwrap_or_default();
    if post.len() == 32 {
        post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
    }
    let mapping: BTreeMap<char, u16> = old_of_char.iter().map(|(&ch, old)| (ch, new_of_old[old])).collect();

    let mut out_tables: BTreeMap<[u8; 4], Vec<u8>> = BTreeMap::new();
    out_tables.insert(*b"cmap", build_cmap(&mapping)?);
    out_tables.insert(*b"glyf", glyf);
    out_tables.insert(*b"head", new_head);
    out_tables.insert(*b"hhea", new_hhea);
    out_tables.insert(*b"hmtx", new_hmtx);
    out_tables.insert(*b"loca", loca);
    out_tables.insert(*b"maxp", new_maxp);
    if post.len() == 32 {
        out_tables.insert(*b"post", post);
    }
    for tag in [b"OS/2", b"name", b"cvt ", b"fpgm", b"prep", b"gasp"] {
        if let Some(data) = tables.0.get(tag) {
            out_tables.insert(*tag, data.to_vec());
        }
    }
    Ok(assemble(out_tables))
}

/// Writes the table directory and the tables (4-byte aligned, checksummed), then sets head's
/// checkSumAdjustment.
fn assemble(tables: BTreeMap<[u8; 4], Vec<u8>>) -> Vec<u8> {
    let count = tables.len();
    let power = 1usize << (usize::BITS - 1 - count.leading_zeros());
    let mut out = Vec::new();
    put_u32(&mut out, 0x0001_0000);
    put_u16(&mut out, count as u16);
    put_u16(&mut out, (16 * power) as u16);
    put_u16(&mut out, power.trailing_zeros() as u16);
    put_u16(&mut out, (16 * count - 16 * power) as u16);
    let mut offset = 12 + 16 * count;
    let mut head_at = None;
    for (tag, data) in &tables {
        out.extend_from_slice(tag);
        put_u32(&mut out, checksum(data));
        put_u32(&mut out, offset as u32);
        put_u32(&mut out, data.len() as u32);
        if tag == b"head" {
            head_at = Some(offset);
        }
        offset += data.len().div_ceil(4) * 4;
    }
    for data in tables.values() {
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    if let Some(at) = head_at {
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        out[at + 8..at + 12].copy_from_slice(&adjustment.to_be_bytes());
    }
    out
}

/// A font's family name (name ID 1, preferring the Windows English record).
pub fn family_name(font: &[u8]) -> Option<String> {
    let name = Tables::parse(font).ok()?.get("name").ok()?;
    let count = usize::from(u16_at(name, 2).ok()?);
    let strings = usize::from(u16_at(name, 4).ok()?);
    let mut fallback = None;
    for k in 0..count {
        let record = 6 + 12 * k;
        let (platform, encoding, language, id) = (
            u16_at(name, record).ok()?,
            u16_at(name, record + 2).ok()?,
            u16_at(name, record + 4).ok()?,
            u16_at(name, record + 6).ok()?,
        );
        if id != 1 {
            continue;
        }
        let length = usize::from(u16_at(name, record + 8).ok()?);
        let offset = usize::from(u16_at(name, record + 10).ok()?);
        let raw = name.get(strings + offset..strings + offset + length)?;
        let text = if platform == 3 || platform == 0 {
            let units: Vec<u16> = raw.chunks_exact(2).map(|b| u16::from_be_bytes([b[0], b[1]])).collect();
            String::from_utf16(&units).ok()?
        } else if platform == 1 && encoding == 0 {
            raw.iter().map(|&b| char::from(b)).collect()
        } else {
            continue;
        };
        if platform == 3 && language == 0x0409 {
            return Some(text);
        }
        fallback.get_or_insert(text);
    }
    fallback
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ttf_parser::{Face, OutlineBuilder};

    /// A CJK TrueType font of the system's (Debian's Droid Sans Fallback), else DejaVu Sans
    /// (Latin only), else `None` with a notice (the test command installs both).
    pub(crate) fn system_font() -> Option<std::path::PathBuf> {
        let found = [crate::docx::DEFAULT_FONT_FILE, DEJAVU].iter().map(std::path::PathBuf::from).find(|p| p.exists());
        if found.is_none() {
            eprintln!("notice: neither {} nor {DEJAVU} is installed; skipping", crate::docx::DEFAULT_FONT_FILE);
        }
        found
    }

    const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

    #[derive(Default)]
    struct Path(Vec<String>);

    impl OutlineBuilder for Path {
        fn move_to(&mut self, x: f32, y: f32) {
            self.0.push(format!("M{x},{y}"));
        }
        fn line_to(&mut self, x: f32, y: f32) {
            self.0.push(format!("L{x},{y}"));
        }
        fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
            self.0.push(format!("Q{x1},{y1},{x},{y}"));
        }
        fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
            self.0.push(format!("C{x1},{y1},{x2},{y2},{x},{y}"));
        }
        fn close(&mut self) {
            self.0.push("Z".into());
        }
    }

    fn outline(face: &Face, ch: char) -> Option<(Vec<String>, Option<u16>)> {
        let glyph = face.glyph_index(ch)?;
        let mut path = Path::default();
        face.outline_glyph(glyph, &mut path);
        Some((path.0, face.glyph_hor_advance(glyph)))
    }

    /// Subsets `file` to `text` and checks the subset against the full font, character by
    /// character; returns the subset's glyph count.
    fn check(file: &str, text: &str) -> Option<u16> {
        let Ok(full) = std::fs::read(file) else {
            eprintln!("notice: {file} is not installed; skipping");
            return None;
        };
        let small = subset(&full, text).unwrap();
        assert_eq!(checksum(&small), 0xB1B0_AFBA, "head.checkSumAdjustment balances the file");
        let (big_face, small_face) =
            (Face::parse(&full, 0).unwrap(), Face::parse(&small, 0).expect("the subset parses"));
        for ch in text.chars() {
            match outline(&big_face, ch) {
                Some(want) => assert_eq!(outline(&small_face, ch), Some(want), "{ch:?} draws as in the full font"),
                None => assert_eq!(small_face.glyph_index(ch), None, "{ch:?} is not in the font, nor in its subset"),
            }
        }
        assert_eq!(small_face.glyph_index('Q'), None, "characters not asked for fall back to another font");
        assert_eq!(family_name(&small), family_name(&full));
        Some(small_face.number_of_glyphs())
    }

    #[test]
    fn a_latin_subset_draws_its_characters_as_the_full_font_composites_included() {
        // DejaVu builds accented letters from components: é and Å are composite glyphs.
        let Some(glyphs) = check(DEJAVU, "Wuwei 武威 éÅ 0123 → ½") else { return };
        assert!(glyphs <= 20, "{glyphs} glyphs: .notdef, the characters and their components");
        assert_eq!(family_name(&std::fs::read(DEJAVU).unwrap()).as_deref(), Some("DejaVu Sans"));
    }

    #[test]
    fn a_chinese_subset_draws_its_characters_as_the_full_font() {
        let text = "武威市凉州区民勤县古浪县天祝藏族自治县 社会治安形势简报：警情总数 12972，环比 +3.5%。";
        let Some(glyphs) = check(crate::docx::DEFAULT_FONT_FILE, text) else { return };
        assert!(glyphs < 120, "{glyphs} glyphs of the font's 49,382");
    }

    #[test]
    fn fonts_it_cannot_embed_are_refused() {
        assert_eq!(subset(b"OTTO\0\0\0\0", "a"), Err(SubsetError::NotTrueType));
        assert_eq!(subset(b"", "a"), Err(SubsetError::NotTrueType));
        assert!(matches!(
            subset(
                &[0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, b'h', b'e', b'a', b'd', 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 54],
                "a"
            ),
            Err(SubsetError::Malformed(_))
        ));
        let Ok(mut font) = std::fs::read(DEJAVU) else { return };
        // Mark the licence restricted (OS/2 fsType = 2).
        let os2 = Tables::parse(&font).unwrap().get("OS/2").unwrap().as_ptr() as usize - font.as_ptr() as usize;
        font[os2 + 8..os2 + 10].copy_from_slice(&2u16.to_be_bytes());
        assert_eq!(subset(&font, "a"), Err(SubsetError::EmbeddingRestricted));
    }
}
