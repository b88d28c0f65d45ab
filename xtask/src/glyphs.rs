//! `cargo xtask glyphs`: the map's label glyphs as SDF protobuf ranges (the format MapLibre
//! fetches from `glyphs/{fontstack}/{range}.pbf`), rendered from DejaVu Sans (Debian
//! `fonts-dejavu-core`) with fontdue and sdf_glyph_renderer: 24 px, 3 px buffer, radius 8,
//! cutoff 0.25, as fontnik and martin make them. Only Latin, digits and punctuation are needed:
//! Chinese labels are drawn by the browser's own CJK font (`localIdeographFontFamily`).

use crate::sh;
use analytics::pbf::{bytes_field, varint_field, zigzag32};
use anyhow::{Context, Result};
use sdf_glyph_renderer::{BitmapGlyph, clamp_to_u8};
use std::path::Path;
use std::process::Command;

/// The fontstack name the map style asks for.
pub const FONTSTACK: &str = "DejaVu Sans Book";
const FONT_FILE: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const RANGES: [(u32, u32); 3] = [(0, 255), (256, 511), (8192, 8447)];
const SIZE_PX: f32 = 24.0;
const BUFFER: usize = 3;
const RADIUS: usize = 8;
const CUTOFF: f64 = 0.25;

/// Encodes one glyph message (llmr.glyphs `glyph`).
fn glyph(id: u32, bitmap: &[u8], width: u32, height: u32, left: i32, top: i32, advance: u32) -> Vec<u8> {
    let mut g = Vec::with_capacity(bitmap.len() + 24);
    varint_field(&mut g, 1, u64::from(id));
    if !bitmap.is_empty() {
        bytes_field(&mut g, 2, bitmap);
    }
    varint_field(&mut g, 3, u64::from(width));
    varint_field(&mut g, 4, u64::from(height));
    varint_field(&mut g, 5, u64::from(zigzag32(left)));
    varint_field(&mut g, 6, u64::from(zigzag32(top)));
    varint_field(&mut g, 7, u64::from(advance));
    g
}

fn render_range(font: &fontdue::Font, start: u32, end: u32) -> Result<Vec<u8>> {
    let ascender = font.horizontal_line_metrics(SIZE_PX).map_or(SIZE_PX * 0.8, |m| m.ascent).round() as i32;
    let mut stack = Vec::new();
    bytes_field(&mut stack, 1, FONTSTACK.as_bytes());
    bytes_field(&mut stack, 2, format!("{start}-{end}").as_bytes());
    for code in start..=end {
        let Some(ch) = char::from_u32(code) else { continue };
        if font.lookup_glyph_index(ch) == 0 {
            continue;
        }
        let (m, alpha) = font.rasterize(ch, SIZE_PX);
        let advance = m.advance_width.round() as u32;
        let message = if m.width == 0 || m.height == 0 {
            glyph(code, &[], 0, 0, 0, 0, advance)
        } else {
            let bitmap = BitmapGlyph::from_unbuffered(&alpha, m.width, m.height, BUFFER)
                .map_err(|e| anyhow::anyhow!("glyph {code}: {e:?}"))?;
            let sdf =
                clamp_to_u8(&bitmap.render_sdf(RADIUS), CUTOFF).map_err(|e| anyhow::anyhow!("glyph {code}: {e:?}"))?;
            let top = m.ymin + m.height as i32 - ascender;
            glyph(code, &sdf, m.width as u32, m.height as u32, m.xmin, top, advance)
        };
        bytes_field(&mut stack, 3, &message);
    }
    let mut out = Vec::new();
    bytes_field(&mut out, 1, &stack);
    Ok(out)
}

pub fn regenerate(root: &Path) -> Result<()> {
    if !Path::new(FONT_FILE).exists() {
        sh(Command::new("apt-get")
            .args(["install", "-y", "-qq", "fonts-dejavu-core"])
            .env("DEBIAN_FRONTEND", "noninteractive"))?;
    }
    let bytes = std::fs::read(FONT_FILE).with_context(|| format!("reading {FONT_FILE}"))?;
    let font =
        fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let dir = root.join("data/glyphs").join(FONTSTACK);
    std::fs::create_dir_all(&dir)?;
    for (start, end) in RANGES {
        let pbf = render_range(&font, start, end)?;
        std::fs::write(dir.join(format!("{start}-{end}.pbf")), &pbf)?;
        eprintln!("wrote data/glyphs/{FONTSTACK}/{start}-{end}.pbf ({} bytes)", pbf.len());
    }
    Ok(())
}
