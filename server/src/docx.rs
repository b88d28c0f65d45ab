//! A small Word (.docx, Office Open XML) writer for the briefing: headings, paragraphs, tables
//! and inline PNG pictures, in a zip of the parts Word needs. Text is escaped. With an
//! [`EmbeddedFont`] every run's Chinese uses it and the document carries the subset of it that
//! its text needs (an obfuscated `odttf` part, ECMA-376 Part 1 §17.8.1), so the briefing's
//! Chinese looks the same on any machine (Latin letters and digits stay in Times New Roman,
//! which a CJK font may lack); without one, runs name the East Asian fonts Word on a Chinese system has
//! (宋体 for the body, 黑体 for headings).

use std::io::Write;

/// Escapes text for XML and HTML (text and quoted attributes alike).
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Characters XML 1.0 cannot hold are left out.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// A TrueType font a document embeds: its family name (as its `name` table says) and its file.
pub struct EmbeddedFont {
    pub family: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for EmbeddedFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmbeddedFont({}, {} bytes)", self.family, self.bytes.len())
    }
}

/// Where Debian's `fonts-droid-fallback` puts Droid Sans Fallback, the default briefing font:
/// TrueType outlines (Word embeds those), Simplified Chinese coverage, Apache 2.0, embeddable.
pub const DEFAULT_FONT_FILE: &str = "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf";

impl EmbeddedFont {
    /// Reads and checks a font file: a TrueType-outline font whose licence allows embedding.
    pub fn load(path: &std::path::Path) -> Result<EmbeddedFont, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        crate::font_subset::subset(&bytes, "简报").map_err(|e| format!("{}: {e}", path.display()))?;
        let family = crate::font_subset::family_name(&bytes)
            .ok_or_else(|| format!("{}: the font has no family name", path.display()))?;
        Ok(EmbeddedFont { family, bytes })
    }
}

/// The key of the embedded font's obfuscation; any GUID serves, a fixed one keeps output stable.
pub const FONT_KEY: &str = "{5AF7D3C1-2B4E-4C8A-9D61-0E3F7A2B9C54}";

/// XORs the first 32 bytes of a font with the key's 16 bytes taken from the end of the GUID
/// (ECMA-376 Part 1 §17.8.1); the same call undoes it.
pub fn obfuscate(font: &mut [u8], key: &str) {
    let nibble = |b: u8| (b as char).to_digit(16).unwrap_or(0) as u8;
    let hex: Vec<u8> = key.bytes().filter(u8::is_ascii_hexdigit).map(nibble).collect();
    let bytes: Vec<u8> = hex.chunks_exact(2).map(|pair| pair[0] << 4 | pair[1]).collect();
    if bytes.len() != 16 {
        return;
    }
    for (k, b) in font.iter_mut().take(32).enumerate() {
        *b ^= bytes[15 - k % 16];
    }
}

/// A document under construction.
#[derive(Default)]
pub struct Document<'f> {
    body: String,
    images: Vec<Vec<u8>>,
    font: Option<&'f EmbeddedFont>,
}

impl<'f> Document<'f> {
    /// A new, empty document; with a font, every run uses it and the file embeds its subset.
    pub fn new(font: Option<&'f EmbeddedFont>) -> Document<'f> {
        Document { body: String::new(), images: Vec::new(), font }
    }

    fn run(&self, text: &str, bold: bool, size_half_points: u32, heading: bool) -> String {
        let fonts = match self.font {
            // Latin letters and digits stay in Times New Roman (a CJK font may lack them, as
            // Droid Sans Fallback does); Chinese characters take the embedded font.
            Some(f) => {
                format!(r#"w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="{}""#, xml_escape(&f.family))
            }
            None => format!(
                r#"w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="{}""#,
                if heading { "黑体" } else { "宋体" }
            ),
        };
        format!(
            r#"<w:r><w:rPr><w:rFonts {fonts}/>{}<w:sz w:val="{size_half_points}"/><w:szCs w:val="{size_half_points}"/></w:rPr><w:t xml:space="preserve">{}</w:t></w:r>"#,
            if bold { "<w:b/>" } else { "" },
            xml_escape(text)
        )
    }

    /// The title, centred.
    pub fn title(&mut self, text: &str) {
        self.body.push_str(r#"<w:p><w:pPr><w:jc w:val="center"/><w:spacing w:after="240"/></w:pPr>"#);
        let r = self.run(text, true, 36, true);
        self.body.push_str(&r);
        self.body.push_str("</w:p>");
    }

    /// A section heading.
    pub fn heading(&mut self, text: &str) {
        self.body.push_str(r#"<w:p><w:pPr><w:spacing w:before="240" w:after="120"/></w:pPr>"#);
        let r = self.run(text, true, 30, true);
        self.body.push_str(&r);
        self.body.push_str("</w:p>");
    }

    /// A paragraph of body text.
    pub fn paragraph(&mut self, text: &str) {
        self.body.push_str("<w:p>");
        let r = self.run(text, false, 24, false);
        self.body.push_str(&r);
        self.body.push_str("</w:p>");
    }

    /// A table: the first row is the header (bold), every row the same number of cells.
    pub fn table(&mut self, rows: &[Vec<String>]) {
        let border = r#"<w:top w:val="single" w:sz="4" w:space="0" w:color="808080"/><w:left w:val="single" w:sz="4" w:space="0" w:color="808080"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="808080"/><w:right w:val="single" w:sz="4" w:space="0" w:color="808080"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="808080"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="808080"/>"#;
        self.body.push_str(&format!(
            r#"<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/><w:tblBorders>{border}</w:tblBorders></w:tblPr>"#
        ));
        for (k, row) in rows.iter().enumerate() {
            self.body.push_str("<w:tr>");
            for cell in row {
                self.body.push_str("<w:tc><w:p>");
                let r = self.run(cell, k == 0, 21, false);
                self.body.push_str(&r);
                self.body.push_str("</w:p></w:tc>");
            }
            self.body.push_str("</w:tr>");
        }
        // An empty paragraph keeps the next table from joining this one.
        self.body.push_str(r#"</w:tbl><w:p><w:pPr><w:spacing w:after="0"/></w:pPr></w:p>"#);
    }

    /// A legend: a swatch of each colour (`#rrggbb`) beside its text.
    pub fn legend(&mut self, items: &[(String, String)]) {
        self.body.push_str(r#"<w:tbl><w:tblPr><w:tblW w:w="0" w:type="auto"/></w:tblPr>"#);
        for (colour, text) in items {
            let fill = colour.trim_start_matches('#');
            self.body.push_str(&format!(
                r#"<w:tr><w:tc><w:tcPr><w:tcW w:w="400" w:type="dxa"/><w:shd w:val="clear" w:color="auto" w:fill="{}"/></w:tcPr><w:p/></w:tc><w:tc><w:p>{}</w:p></w:tc></w:tr>"#,
                xml_escape(fill),
                self.run(text, false, 20, false)
            ));
        }
        // An empty paragraph keeps the next table from joining this one.
        self.body.push_str(r#"</w:tbl><w:p><w:pPr><w:spacing w:after="0"/></w:pPr></w:p>"#);
    }

    /// A PNG picture in its own paragraph, `width_px` × `height_px` at 96 dpi.
    pub fn picture(&mut self, png: Vec<u8>, width_px: u32, height_px: u32, description: &str) {
        self.images.push(png);
        let n = self.images.len();
        let (cx, cy) = (u64::from(width_px) * 9_525, u64::from(height_px) * 9_525);
        let description = xml_escape(description);
        self.body.push_str(&format!(
            r#"<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:drawing><wp:inline><wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="{n}" name="picture{n}" descr="{description}"/><a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:nvPicPr><pic:cNvPr id="{n}" name="image{n}.png"/><pic:cNvPicPr/></pic:nvPicPr><pic:blipFill><a:blip r:embed="rImage{n}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"#
        ));
    }

    /// The .docx file's bytes.
    pub fn finish(self) -> std::io::Result<Vec<u8>> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let mut put = |name: &str, bytes: &[u8], opts| -> std::io::Result<()> {
            zip.start_file(name, opts).map_err(std::io::Error::other)?;
            zip.write_all(bytes)
        };
        put(
            "[Content_Types].xml",
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/><Default Extension="odttf" ContentType="application/vnd.openxmlformats-officedocument.obfuscatedFont"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/fontTable.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.fontTable+xml"/><Override PartName="/word/settings.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml"/></Types>"#,
            options,
        )?;
        put(
            "_rels/.rels",
            br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#,
            options,
        )?;
        let mut rels = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        );
        for n in 1..=self.images.len() {
            rels.push_str(&format!(
                r#"<Relationship Id="rImage{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" Target="media/image{n}.png"/>"#
            ));
        }
        rels.push_str(r#"<Relationship Id="rFontTable" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable" Target="fontTable.xml"/><Relationship Id="rSettings" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings" Target="settings.xml"/></Relationships>"#);
        put("word/_rels/document.xml.rels", rels.as_bytes(), options)?;
        const W: &str = r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships""#;
        let mut fonts = format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:fonts {W}>"#);
        let mut settings = format!(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:settings {W}>"#);
        if let Some(font) = self.font {
            // The subset draws every character the body holds (its markup is ASCII, which the
            // text may use too), so the document needs no font of the reader's.
            let mut odttf = crate::font_subset::subset(&font.bytes, &self.body).map_err(std::io::Error::other)?;
            obfuscate(&mut odttf, FONT_KEY);
            fonts.push_str(&format!(
                r#"<w:font w:name="{}"><w:charset w:val="86"/><w:family w:val="swiss"/><w:pitch w:val="variable"/><w:embedRegular r:id="rFont1" w:fontKey="{FONT_KEY}"/></w:font>"#,
                xml_escape(&font.family)
            ));
            settings.push_str("<w:embedTrueTypeFonts/><w:saveSubsetFonts/>");
            put(
                "word/_rels/fontTable.xml.rels",
                br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rFont1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/font" Target="fonts/font1.odttf"/></Relationships>"#,
                options,
            )?;
            put("word/fonts/font1.odttf", &odttf, options)?;
        }
        fonts.push_str("</w:fonts>");
        settings.push_str(
            r#"<w:defaultTabStop w:val="420"/><w:characterSpacingControl w:val="compressPunctuation"/></w:settings>"#,
        );
        put("word/fontTable.xml", fonts.as_bytes(), options)?;
        put("word/settings.xml", settings.as_bytes(), options)?;
        let document = format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"><w:body>{}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1247" w:bottom="1440" w:left="1247" w:header="720" w:footer="720" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
            self.body
        );
        put("word/document.xml", document.as_bytes(), options)?;
        for (k, png) in self.images.iter().enumerate() {
            put(&format!("word/media/image{}.png", k + 1), png, stored)?;
        }
        let cursor = zip.finish().map_err(std::io::Error::other)?;
        Ok(cursor.into_inner())
    }
}

/// An RGB picture for the briefing's map: polygons filled by scanline (even–odd), written as PNG.
pub struct Raster {
    width: u32,
    height: u32,
    pixels: Vec<[u8; 3]>,
}

impl Raster {
    /// A white picture.
    pub fn new(width: u32, height: u32) -> Raster {
        Raster { width, height, pixels: vec![[255, 255, 255]; (width * height) as usize] }
    }

    /// Fills the polygon made of `rings` (pixel coordinates) with `rgb`, holes left by even–odd.
    pub fn fill(&mut self, rings: &[Vec<(f64, f64)>], rgb: [u8; 3]) {
        for y in 0..self.height {
            let yc = f64::from(y) + 0.5;
            let mut xs: Vec<f64> = Vec::new();
            for ring in rings {
                for w in ring.windows(2) {
                    let ((x0, y0), (x1, y1)) = (w[0], w[1]);
                    if (y0 <= yc && y1 > yc) || (y1 <= yc && y0 > yc) {
                        xs.push(x0 + (yc - y0) / (y1 - y0) * (x1 - x0));
                    }
                }
            }
            xs.sort_by(f64::total_cmp);
            for pair in xs.chunks(2) {
                if let [a, b] = pair {
                    let from = a.round().max(0.0) as u32;
                    let to = (b.round().max(0.0) as u32).min(self.width);
                    for x in from..to {
                        self.pixels[(y * self.width + x) as usize] = rgb;
                    }
                }
            }
        }
    }

    /// Draws the outline of `rings` one pixel wide in `rgb`.
    pub fn outline(&mut self, rings: &[Vec<(f64, f64)>], rgb: [u8; 3]) {
        for ring in rings {
            for w in ring.windows(2) {
                let ((x0, y0), (x1, y1)) = (w[0], w[1]);
                let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as u32;
                for k in 0..=steps {
                    let t = f64::from(k) / f64::from(steps);
                    let (x, y) = ((x0 + t * (x1 - x0)).floor(), (y0 + t * (y1 - y0)).floor());
                    if x >= 0.0 && y >= 0.0 && (x as u32) < self.width && (y as u32) < self.height {
                        self.pixels[(y as u32 * self.width + x as u32) as usize] = rgb;
                    }
                }
            }
        }
    }

    /// The picture as a PNG file (8-bit RGB, zlib-compressed rows).
    pub fn png(&self) -> std::io::Result<Vec<u8>> {
        let mut raw = Vec::with_capacity((self.width * 3 + 1) as usize * self.height as usize);
        for row in self.pixels.chunks(self.width as usize) {
            raw.push(0); // filter: none
            for p in row {
                raw.extend_from_slice(p);
            }
        }
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(&raw)?;
        let data = z.finish()?;
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut chunk = |kind: &[u8; 4], body: &[u8]| {
            out.extend_from_slice(&(body.len() as u32).to_be_bytes());
            let mut crc = crc32fast::Hasher::new();
            crc.update(kind);
            crc.update(body);
            out.extend_from_slice(kind);
            out.extend_from_slice(body);
            out.extend_from_slice(&crc.finalize().to_be_bytes());
        };
        let mut header = Vec::new();
        header.extend_from_slice(&self.width.to_be_bytes());
        header.extend_from_slice(&self.height.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0]); // 8 bits, RGB, deflate, adaptive, no interlace
        chunk(b"IHDR", &header);
        chunk(b"IDAT", &data);
        chunk(b"IEND", &[]);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_document_is_a_zip_of_the_parts_word_needs_with_escaped_text() {
        let mut d = Document::new(None);
        d.title("凉州区 <简报> & 测试");
        d.table(&[vec!["指标".into(), "本月".into()], vec!["警情总数".into(), "12972".into()]]);
        let mut r = Raster::new(4, 3);
        r.fill(&[vec![(0.0, 0.0), (4.0, 0.0), (4.0, 3.0), (0.0, 3.0), (0.0, 0.0)]], [255, 0, 0]);
        d.picture(r.png().unwrap(), 4, 3, "map");
        let bytes = d.finish().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = zip.file_names().map(str::to_owned).collect();
        for part in [
            "[Content_Types].xml",
            "_rels/.rels",
            "word/document.xml",
            "word/_rels/document.xml.rels",
            "word/media/image1.png",
        ] {
            assert!(names.iter().any(|n| n == part), "{part} in {names:?}");
        }
        let mut doc = String::new();
        zip.by_name("word/document.xml").unwrap().read_to_string(&mut doc).unwrap();
        assert!(
            doc.contains("凉州区 &lt;简报&gt; &amp; 测试")
                && doc.contains("12972")
                && doc.contains(r#"r:embed="rImage1""#)
        );
        let mut png = Vec::new();
        zip.by_name("word/media/image1.png").unwrap().read_to_end(&mut png).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(!names.iter().any(|n| n.ends_with(".odttf")), "no font without one given");
    }

    #[test]
    fn obfuscation_xors_the_first_32_bytes_with_the_reversed_guid_and_undoes_itself() {
        let mut bytes: Vec<u8> = (0..40).collect();
        obfuscate(&mut bytes, "{00112233-4455-6677-8899-AABBCCDDEEFF}");
        assert_eq!(bytes[0], 0xFF, "byte 0 with the GUID's last byte");
        assert_eq!(bytes[1], 1 ^ 0xEE);
        assert_eq!(bytes[15], 15, "byte 15 with the GUID's first byte, 0x00");
        assert_eq!(bytes[16], 16 ^ 0xFF);
        assert_eq!(&bytes[32..], &(32..40).collect::<Vec<u8>>()[..], "past 32 bytes nothing changes");
        obfuscate(&mut bytes, "{00112233-4455-6677-8899-AABBCCDDEEFF}");
        assert_eq!(bytes, (0..40).collect::<Vec<u8>>());
    }

    #[test]
    fn an_embedded_font_travels_as_an_obfuscated_subset_the_font_table_names() {
        let Some(path) = crate::font_subset::tests::system_font() else { return };
        let font = EmbeddedFont::load(&path).unwrap();
        let mut d = Document::new(Some(&font));
        d.title("武威市 Wuwei");
        d.paragraph("警情 12972");
        let bytes = d.finish().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut read = |name: &str| {
            let mut out = Vec::new();
            zip.by_name(name).unwrap_or_else(|e| panic!("{name}: {e}")).read_to_end(&mut out).unwrap();
            out
        };
        let table = String::from_utf8(read("word/fontTable.xml")).unwrap();
        assert!(table.contains(&format!(r#"w:name="{}""#, font.family)) && table.contains(FONT_KEY), "{table}");
        let settings = String::from_utf8(read("word/settings.xml")).unwrap();
        assert!(settings.contains("<w:embedTrueTypeFonts/>"));
        let document = String::from_utf8(read("word/document.xml")).unwrap();
        assert!(document.contains(&format!(r#"w:eastAsia="{}""#, font.family)));
        let mut odttf = read("word/fonts/font1.odttf");
        assert_ne!(&odttf[..4], &[0, 1, 0, 0], "obfuscated");
        obfuscate(&mut odttf, FONT_KEY);
        let face = ttf_parser::Face::parse(&odttf, 0).expect("the part is a font once de-obfuscated");
        assert!(face.number_of_glyphs() < 200, "a subset, not the whole font");
        let full = ttf_parser::Face::parse(&font.bytes, 0).unwrap();
        let mut drawn = 0;
        for ch in "武威市 Wuwei 警情 12972".chars().filter(|&ch| full.glyph_index(ch).is_some()) {
            assert!(face.glyph_index(ch).is_some(), "{ch} in the subset");
            drawn += 1;
        }
        assert!(drawn >= 5, "{drawn} characters drawn by the font");
    }
}
