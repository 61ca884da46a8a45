//! An overlay's plan file and its pixel size, read from the file itself and
//! never taken from the client: a JPEG's or PNG's header (`imagesize`), an
//! SVG's root element (`roxmltree`: its `width` and `height`, else its
//! `viewBox`), a single-page PDF's first-page `MediaBox` (`lopdf`, in
//! points, one point a pixel of the plan; `/Rotate` 90 or 270 swaps them).
//!
//! An SVG plan is refused when it could run anything where it is opened
//! (a `script`, a `foreignObject`, an `on…` handler, a `javascript:` link),
//! and `roxmltree` refuses a DTD, so no entity can expand.

use lopdf::{Document, Object, ObjectId};

crm_kernel::named_enum! {
    /// The plan file's format.
    pub enum FileType { Jpg = "jpg", Png = "png", Svg = "svg", Pdf = "pdf" }
}

/// The widest and tallest plan, in pixels.
pub const MAX_SIDE_PX: f64 = 30_000.0;

impl FileType {
    /// The content type the upload policy pins.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Jpg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Svg => "image/svg+xml",
            FileType::Pdf => "application/pdf",
        }
    }

    /// The largest file the upload policy accepts.
    pub fn max_bytes(self) -> i64 {
        match self {
            FileType::Svg => 5 * 1024 * 1024,
            _ => 25 * 1024 * 1024,
        }
    }
}

/// A plan's size in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlanSize {
    pub width: f64,
    pub height: f64,
}

/// The size of the plan `bytes` hold, or why they are not a plan of `kind`.
pub fn measure(kind: FileType, bytes: &[u8]) -> Result<PlanSize, String> {
    let size = match kind {
        FileType::Jpg | FileType::Png => raster(kind, bytes)?,
        FileType::Svg => svg(bytes)?,
        FileType::Pdf => pdf(bytes)?,
    };
    let ok = |v: f64| v.is_finite() && (1.0..=MAX_SIDE_PX).contains(&v);
    if !ok(size.width) || !ok(size.height) {
        return Err(format!("the plan is {} × {} px: each side must be 1 to {MAX_SIDE_PX} px", size.width, size.height));
    }
    Ok(size)
}

fn raster(kind: FileType, bytes: &[u8]) -> Result<PlanSize, String> {
    let found = imagesize::image_type(bytes).map_err(|_| format!("the file is not a {} image", kind.as_str().to_uppercase()))?;
    let expected = match kind {
        FileType::Jpg => imagesize::ImageType::Jpeg,
        _ => imagesize::ImageType::Png,
    };
    if found != expected {
        return Err(format!("the file is a {found:?} image, not a {}", kind.as_str().to_uppercase()));
    }
    let s = imagesize::blob_size(bytes).map_err(|e| format!("the image's size cannot be read: {e}"))?;
    Ok(PlanSize { width: s.width as f64, height: s.height as f64 })
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";

fn svg(bytes: &[u8]) -> Result<PlanSize, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "an SVG plan must be UTF-8 text".to_string())?;
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("the SVG is not well-formed XML: {e}"))?;
    let root = doc.root_element();
    if root.tag_name().name() != "svg" || root.tag_name().namespace() != Some(SVG_NS) {
        return Err("the file's root element is not an SVG <svg>".into());
    }
    if let Some(why) = doc.descendants().filter(|n| n.is_element()).find_map(active_content) {
        return Err(why);
    }
    let view_box: Option<Vec<f64>> = root
        .attribute("viewBox")
        .map(|v| v.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect());
    let from_box = |i: usize| view_box.as_ref().filter(|b| b.len() == 4).map(|b| b[i]);
    let side = |attr: &str, i: usize| root.attribute(attr).and_then(svg_length).or_else(|| from_box(i));
    match (side("width", 2), side("height", 3)) {
        (Some(width), Some(height)) => Ok(PlanSize { width, height }),
        _ => Err("the SVG states no size: give its root width and height, or a viewBox".into()),
    }
}

/// Why an SVG element could run something where the file is opened.
fn active_content(n: roxmltree::Node<'_, '_>) -> Option<String> {
    let name = n.tag_name().name();
    if ["script", "foreignObject", "iframe", "embed", "object"].contains(&name) {
        return Some(format!("an SVG plan may not hold a <{name}> element"));
    }
    n.attributes().find_map(|a| {
        // What a browser's URL parser would see: ASCII whitespace and controls dropped, case folded.
        let value: String =
            a.value().chars().filter(|c| !c.is_ascii_whitespace() && !c.is_control()).collect::<String>().to_ascii_lowercase();
        if a.name().to_ascii_lowercase().starts_with("on") {
            Some(format!("an SVG plan may not hold an event handler ({} on <{name}>)", a.name()))
        } else if value.contains("javascript:") || value.contains("vbscript:") || value.contains("data:text/html") {
            Some(format!("an SVG plan may not link to script ({} on <{name}>)", a.name()))
        } else {
            None
        }
    })
}

/// An SVG length in CSS pixels (96 to the inch); a percentage is no size.
fn svg_length(raw: &str) -> Option<f64> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let n: f64 = number.parse().ok()?;
    let per = match unit.trim() {
        "" | "px" => 1.0,
        "in" => 96.0,
        "cm" => 96.0 / 2.54,
        "mm" => 96.0 / 25.4,
        "pt" => 96.0 / 72.0,
        "pc" => 16.0,
        _ => return None,
    };
    Some(n * per)
}

fn pdf(bytes: &[u8]) -> Result<PlanSize, String> {
    let doc = Document::load_mem(bytes).map_err(|e| format!("the file is not a PDF that can be read: {e}"))?;
    let pages = doc.get_pages();
    let first = match (pages.len(), pages.values().next()) {
        (1, Some(id)) => *id,
        (n, _) => return Err(format!("a plan is a single-page PDF; this one has {n} pages")),
    };
    let (width, height) = media_box(&doc, first)?;
    let rotated = inherited(&doc, first, b"Rotate").and_then(|o| o.as_i64().ok()).is_some_and(|r| r.rem_euclid(180) == 90);
    Ok(if rotated { PlanSize { width: height, height: width } } else { PlanSize { width, height } })
}

/// A page attribute, looked up the page tree as PDF inherits it (at most 32 levels).
fn inherited<'a>(doc: &'a Document, page: ObjectId, key: &[u8]) -> Option<&'a Object> {
    let mut id = page;
    for _ in 0..32 {
        let dict = doc.get_dictionary(id).ok()?;
        if let Ok(v) = dict.get(key) {
            return doc.dereference(v).ok().map(|(_, o)| o);
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok()?;
    }
    None
}

fn media_box(doc: &Document, page: ObjectId) -> Result<(f64, f64), String> {
    let values = inherited(doc, page, b"MediaBox").and_then(|o| o.as_array().ok()).ok_or("the page has no MediaBox")?;
    let n: Vec<f64> = values
        .iter()
        .filter_map(|v| doc.dereference(v).ok().map(|(_, o)| o))
        .filter_map(|o| o.as_float().ok().map(f64::from).or_else(|| o.as_i64().ok().map(|i| i as f64)))
        .collect();
    match n[..] {
        [x0, y0, x1, y1] => Ok(((x1 - x0).abs(), (y1 - y0).abs())),
        _ => Err("the page's MediaBox is not four numbers".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG of `w` × `h`: the signature and an IHDR chunk are all a size needs.
    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
        b.extend(w.to_be_bytes());
        b.extend(h.to_be_bytes());
        b.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    /// A one-page PDF whose page inherits `media_box` from its page tree.
    pub fn pdf_of(pages: usize, media_box: [i64; 4], rotate: i64) -> Vec<u8> {
        use lopdf::{dictionary, Stream};
        let mut doc = Document::with_version("1.5");
        let tree = doc.new_object_id();
        let kids: Vec<Object> = (0..pages)
            .map(|_| {
                let content = doc.add_object(Stream::new(dictionary! {}, b"0 0 m".to_vec()));
                doc.add_object(dictionary! { "Type" => "Page", "Parent" => tree, "Contents" => content, "Rotate" => rotate }).into()
            })
            .collect();
        let mb: Vec<Object> = media_box.iter().map(|v| Object::Integer(*v)).collect();
        doc.objects
            .insert(tree, Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => pages as i64, "MediaBox" => mb }));
        let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => tree });
        doc.trailer.set("Root", catalog);
        let mut out = Vec::new();
        doc.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn raster_sizes_come_from_the_header_and_the_type_must_match() {
        assert_eq!(measure(FileType::Png, &png(2400, 1600)), Ok(PlanSize { width: 2400.0, height: 1600.0 }));
        assert!(measure(FileType::Jpg, &png(10, 10)).unwrap_err().contains("not a JPG"));
        assert!(measure(FileType::Png, b"hello").is_err());
        assert!(measure(FileType::Png, &png(40_000, 10)).unwrap_err().contains("1 to 30000"));
    }

    #[test]
    fn svg_sizes_come_from_the_root_and_active_content_is_refused() {
        let svg = |s: &str| measure(FileType::Svg, s.as_bytes());
        assert_eq!(
            svg(r#"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600px"/>"#).unwrap(),
            PlanSize { width: 800.0, height: 600.0 }
        );
        assert_eq!(svg(r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1200 900" width="100%"/>"#).unwrap().width, 1200.0);
        assert_eq!(
            svg(r#"<svg xmlns="http://www.w3.org/2000/svg" width="1in" height="2.54cm"/>"#).unwrap(),
            PlanSize { width: 96.0, height: 96.0 }
        );
        assert!(svg(r#"<svg xmlns="http://www.w3.org/2000/svg"/>"#).unwrap_err().contains("no size"));
        assert!(svg(r#"<html xmlns="http://www.w3.org/1999/xhtml"/>"#).unwrap_err().contains("root"));
        let scripted = r#"<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><script>alert(1)</script></svg>"#;
        assert!(svg(scripted).unwrap_err().contains("<script>"));
        let handler = r#"<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><rect onclick="x()"/></svg>"#;
        assert!(svg(handler).unwrap_err().contains("event handler"));
        let link = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink" width="9" height="9"><a x:href=" JavaScript:x()"/></svg>"#;
        assert!(svg(link).unwrap_err().contains("script"));
        let tabbed = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"9\" height=\"9\"><a href=\"java&#9;script:x()\"/></svg>";
        assert!(svg(tabbed).unwrap_err().contains("script"), "a tab inside the scheme");
        let animated = r#"<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><animate attributeName="href" values="x;javascript:x()"/></svg>"#;
        assert!(svg(animated).unwrap_err().contains("script"), "a script link in an animation's values");
        let entities = r#"<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg" width="9" height="9">&a;</svg>"#;
        assert!(svg(entities).is_err(), "no DTD, so no entity expansion");
    }

    #[test]
    fn a_pdf_plan_is_one_page_sized_by_its_inherited_media_box() {
        assert_eq!(measure(FileType::Pdf, &pdf_of(1, [0, 0, 1191, 842], 0)), Ok(PlanSize { width: 1191.0, height: 842.0 }));
        assert_eq!(measure(FileType::Pdf, &pdf_of(1, [0, 0, 1191, 842], 90)), Ok(PlanSize { width: 842.0, height: 1191.0 }), "rotated");
        assert!(measure(FileType::Pdf, &pdf_of(2, [0, 0, 10, 10], 0)).unwrap_err().contains("2 pages"));
        assert!(measure(FileType::Pdf, &png(5, 5)).unwrap_err().contains("not a PDF"));
    }
}
