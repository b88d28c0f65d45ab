//! What the browser loads besides the API: the built frontend (`--web-dir`, Trunk's `dist/`, or
//! the copy compiled into the binary by `cargo xtask dist`) and the map's label glyphs
//! (`/glyphs/{fontstack}/{range}.pbf`, compiled in from data/glyphs/). Nothing is fetched from
//! the internet: command centres run on intranets.

include!(concat!(env!("OUT_DIR"), "/embedded_web.rs"));

/// The file of a web app held as `(path, bytes)` pairs that answers `path`: the file itself, or
/// `index.html` for a client-side route (no extension); `None` for a missing file.
pub fn embedded_file<'a>(files: &'a [(&'a str, &'a [u8])], path: &str) -> Option<(&'a str, &'a [u8])> {
    let wanted = path.trim_start_matches('/');
    let find = |name: &str| files.iter().find(|(p, _)| *p == name).map(|(p, b)| (*p, *b));
    match find(wanted) {
        Some(hit) if !wanted.is_empty() => Some(hit),
        _ if std::path::Path::new(wanted).extension().is_some() => None,
        _ => find("index.html"),
    }
}

use crate::api::error::AppError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use std::path::{Component, PathBuf};

/// The fontstack the map style uses for Latin text and digits.
pub const FONTSTACK: &str = "DejaVu Sans Book";

const GLYPHS: [(&str, &[u8]); 3] = [
    ("0-255", include_bytes!("../../data/glyphs/DejaVu Sans Book/0-255.pbf")),
    ("256-511", include_bytes!("../../data/glyphs/DejaVu Sans Book/256-511.pbf")),
    ("8192-8447", include_bytes!("../../data/glyphs/DejaVu Sans Book/8192-8447.pbf")),
];

/// `GET /glyphs/{fontstack}/{range}.pbf`: the SDF glyphs of one 256-codepoint range; ranges the
/// font does not cover (CJK, drawn by the browser's local font) are empty, which is valid.
pub async fn glyphs(
    Path((fontstack, file)): Path<(String, String)>,
    _: crate::api::params::NoQuery,
) -> Result<Response, AppError> {
    let range = file.strip_suffix(".pbf").ok_or_else(|| AppError::bad("range", "glyph ranges end in .pbf"))?;
    let (start, end) = range
        .split_once('-')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
        .filter(|(a, b)| a % 256 == 0 && b.checked_sub(*a) == Some(255) && *b <= 65_535)
        .ok_or_else(|| AppError::bad("range", "a glyph range is N-M with N a multiple of 256 and M = N + 255"))?;
    let first_font = fontstack.split(',').next().unwrap_or("").trim();
    let body: &'static [u8] = if first_font == FONTSTACK {
        GLYPHS.iter().find(|(r, _)| *r == format!("{start}-{end}")).map_or(&[][..], |(_, b)| *b)
    } else {
        &[]
    };
    Ok(([(header::CONTENT_TYPE, "application/x-protobuf"), (header::CACHE_CONTROL, "public, max-age=86400")], body)
        .into_response())
}

/// The Content-Security-Policy of the frontend's page: scripts only from this origin and the
/// page's own inline scripts (Trunk's loader, by their SHA-256), WebAssembly compiled by the
/// browser, data only from this origin and the configured base layer's, no framing.
pub fn page_policy(html: &[u8], ui: &model::api::UiConfig) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let text = String::from_utf8_lossy(html);
    let mut hashes = String::new();
    let mut rest = text.as_ref();
    while let Some(open) = rest.find("<script") {
        let tag_end = match rest[open..].find('>') {
            Some(e) => open + e,
            None => break,
        };
        let tag = &rest[open..tag_end];
        let close = match rest[tag_end..].find("</script>") {
            Some(c) => tag_end + c,
            None => break,
        };
        if !tag.contains("src=") {
            let body = &rest[tag_end + 1..close];
            let digest = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(body.as_bytes()));
            hashes.push_str(&format!(" 'sha256-{digest}'"));
        }
        rest = &rest[close..];
    }
    let mut data = String::new();
    for layer in &ui.base_layers {
        if let Some(origin) = url_origin(&layer.url) {
            data.push(' ');
            data.push_str(origin);
        }
    }
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:{data}; connect-src 'self'{data}; worker-src 'self' blob:; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// `scheme://host[:port]` of a URL (template), if it has one.
fn url_origin(url: &str) -> Option<&str> {
    let (scheme, rest) = url.split_once("://")?;
    if !matches!(scheme, "http" | "https") {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..end];
    let plain = host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    (!host.is_empty() && plain).then(|| &url[..scheme.len() + 3 + end])
}

fn content_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "pbf" => "application/x-protobuf",
        _ => "application/octet-stream",
    }
}

/// Everything that is not an API, tile or glyph path: a file of the built frontend, or its
/// `index.html` for client-side routes. `--web-dir` when given; else the copy in the binary.
pub async fn frontend(State(s): State<AppState>, uri: Uri) -> Result<Response, AppError> {
    let path = uri.path();
    if crate::api::guard::is_data_path(path) {
        return Err(AppError::NotFound { message: format!("no such endpoint {path}"), field: None });
    }
    let (name, bytes): (PathBuf, Vec<u8>) = match s.web_dir.as_deref() {
        Some(root) => {
            let relative: PathBuf = path.trim_start_matches('/').into();
            if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
                return Err(AppError::NotFound { message: format!("no such file {path}"), field: None });
            }
            let mut file = root.join(&relative);
            if relative.as_os_str().is_empty() || !file.is_file() {
                if relative.extension().is_some() {
                    return Err(AppError::NotFound { message: format!("no such file {path}"), field: None });
                }
                file = root.join("index.html");
            }
            let bytes = tokio::fs::read(&file).await.map_err(|_| AppError::NotFound {
                message: format!("the frontend is not built in {} (run `cargo xtask run`)", root.display()),
                field: None,
            })?;
            (file, bytes)
        }
        None if EMBEDDED.is_empty() => {
            return Err(AppError::NotFound {
                message: "no frontend: this binary carries none and no --web-dir is given".into(),
                field: None,
            });
        }
        None => {
            let (name, bytes) = embedded_file(EMBEDDED, path)
                .ok_or_else(|| AppError::NotFound { message: format!("no such file {path}"), field: None })?;
            (PathBuf::from(name), bytes.to_vec())
        }
    };
    let page = name.ends_with("index.html");
    let policy = page.then(|| page_policy(&bytes, &s.ui));
    let mut response = ([(header::CONTENT_TYPE, content_type(&name))], bytes).into_response();
    // The page and the phone app's service worker are checked on every load, so a new build
    // reaches phones at once.
    let cache = if page || name.ends_with("sw.js") { "no-cache" } else { "public, max-age=300" };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Some(policy) = policy.and_then(|p| HeaderValue::from_str(&p).ok()) {
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_embedded_app_answers_its_files_and_routes_and_nothing_else() {
        let files: &[(&str, &[u8])] = &[("index.html", b"<html>"), ("app-1a2b.wasm", b"\0asm"), ("js/map.js", b"x")];
        assert_eq!(embedded_file(files, "/"), Some(("index.html", &b"<html>"[..])));
        assert_eq!(embedded_file(files, "/desk"), Some(("index.html", &b"<html>"[..])), "a client-side route");
        assert_eq!(embedded_file(files, "/app-1a2b.wasm").map(|f| f.0), Some("app-1a2b.wasm"));
        assert_eq!(embedded_file(files, "/js/map.js").map(|f| f.0), Some("js/map.js"));
        assert_eq!(embedded_file(files, "/missing.js"), None, "a missing file is not the page");
        assert_eq!(embedded_file(files, "/../Cargo.toml"), None);
        assert_eq!(embedded_file(&[], "/"), None);
    }
}
