//! A plan drawn as SVG (`GET /v1/maps/overlays/{id}/render.svg`, and the
//! public view's): the plan image, every shape filled in its unit's status
//! colour ([`colour`]), its label at a point inside it (`geo`'s interior
//! point, right for L-shaped units too), a hover title, and a legend. A
//! label in Arabic (or any right-to-left script) is set right to left.
//! The document is built as a tree by the `svg` crate, which escapes text;
//! no attribute holds caller text (labels are text nodes).

use crm_inventory::status::UnitStatus;
use geo::{InteriorPoint, LineString, Polygon};
use svg::node::element::{Group, Image, Path, Rectangle, Text, Title};
use svg::Document;

/// What is drawn under the shapes.
#[derive(Debug, Clone)]
pub struct Plan {
    pub width: f64,
    pub height: f64,
    /// The plan image (a presigned URL), drawn at its pixel size.
    pub image_href: Option<String>,
}

/// One shape to draw.
#[derive(Debug, Clone)]
pub struct Drawn<'a> {
    /// The shape's id (an `EntityId`: the one attribute that names a record).
    pub id: crm_kernel::EntityId,
    /// The unit's code (or the component's name).
    pub label: String,
    /// The linked unit's status (`None`: not linked, or not known yet).
    pub status: Option<UnitStatus>,
    /// A component shape is drawn over its unit, lighter and unlabelled.
    pub component: bool,
    /// Its layer's opacity (0 to 1).
    pub opacity: f64,
    pub polygon: &'a Polygon<f64>,
}

/// A status's fill colour; grey-blue for a shape with no unit status.
pub fn colour(status: Option<UnitStatus>) -> &'static str {
    match status {
        Some(UnitStatus::Available) => "#2e7d32",
        Some(UnitStatus::Reserved) => "#f9a825",
        Some(UnitStatus::Sold) => "#c62828",
        Some(UnitStatus::Hold) => "#6a1b9a",
        Some(UnitStatus::Unavailable) => "#757575",
        None => "#90a4ae",
    }
}

/// The legend's rows: each status with its English and Arabic names.
pub const LEGEND: [(UnitStatus, &str); 5] = [
    (UnitStatus::Available, "Available · متاح"),
    (UnitStatus::Reserved, "Reserved · محجوز"),
    (UnitStatus::Sold, "Sold · مباع"),
    (UnitStatus::Hold, "On hold · معلّق"),
    (UnitStatus::Unavailable, "Unavailable · غير متاح"),
];

/// Whether `text` reads right to left: its first strong letter is Hebrew or
/// Arabic script (the Unicode blocks U+0590–U+08FF and the presentation forms).
pub fn right_to_left(text: &str) -> bool {
    text.chars().find(|c| c.is_alphabetic()).is_some_and(|c| {
        let c = c as u32;
        (0x0590..=0x08FF).contains(&c) || (0xFB1D..=0xFDFF).contains(&c) || (0xFE70..=0xFEFF).contains(&c)
    })
}

fn ring_path(ring: &LineString<f64>) -> String {
    let mut d = String::new();
    for (i, c) in ring.coords().enumerate() {
        d.push_str(&format!("{}{} {} ", if i == 0 { "M" } else { "L" }, c.x, c.y));
    }
    d.push('Z');
    d
}

/// `text` without what XML 1.0 cannot hold (control characters, U+FFFE, U+FFFF).
fn xml_safe(text: &str) -> String {
    let allowed = |c: &char| (!c.is_control() || matches!(c, '\t' | '\n' | '\r')) && !matches!(c, '\u{FFFE}' | '\u{FFFF}');
    text.chars().filter(allowed).collect()
}

fn label(text: &str, x: f64, y: f64, size: f64) -> Text {
    let t = Text::new(xml_safe(text))
        .set("x", x)
        .set("y", y)
        .set("font-size", size)
        .set("text-anchor", "middle")
        .set("dominant-baseline", "central")
        .set("font-family", "system-ui, 'Noto Sans Arabic', sans-serif");
    if right_to_left(text) {
        t.set("direction", "rtl").set("unicode-bidi", "embed")
    } else {
        t
    }
}

/// The plan with `shapes` on it, and the legend in its corner.
pub fn svg(plan: &Plan, shapes: &[Drawn<'_>]) -> String {
    let (w, h) = (plan.width, plan.height);
    let mut doc = Document::new().set("viewBox", (0.0, 0.0, w, h)).set("width", w).set("height", h);
    if let Some(href) = plan.image_href.as_deref().filter(|h| !h.contains('"')) {
        doc = doc.add(Image::new().set("href", href).set("x", 0).set("y", 0).set("width", w).set("height", h));
    }
    let font = (w.min(h) / 60.0).clamp(8.0, 48.0);
    let mut layer = Group::new().set("class", "shapes");
    for s in shapes.iter().filter(|s| !s.component).chain(shapes.iter().filter(|s| s.component)) {
        let d = std::iter::once(s.polygon.exterior()).chain(s.polygon.interiors()).map(ring_path).collect::<Vec<_>>().join(" ");
        let status = s.status.map(UnitStatus::as_str).unwrap_or("unlinked");
        let path = Path::new()
            .set("d", d)
            .set("fill", colour(s.status))
            .set("fill-opacity", (if s.component { 0.35 } else { 0.55 }) * s.opacity.clamp(0.0, 1.0))
            .set("fill-rule", "evenodd")
            .set("stroke", "#263238")
            .set("stroke-width", (font / 8.0).max(1.0))
            .set("data-shape", s.id.to_string())
            .set("data-status", status)
            .add(Title::new(xml_safe(&format!("{} — {status}", s.label))));
        let mut g = Group::new().add(path);
        if !s.component {
            if let Some(p) = s.polygon.interior_point() {
                g = g.add(label(&s.label, p.x(), p.y(), font));
            }
        }
        layer = layer.add(g);
    }
    doc = doc.add(layer);
    let row = font * 1.6;
    let (lw, lh) = (font * 14.0, row * (LEGEND.len() as f64 + 0.5));
    let mut legend = Group::new()
        .set("class", "legend")
        .set("transform", format!("translate({},{})", (w - lw - font).max(0.0), (h - lh - font).max(0.0)))
        .add(Rectangle::new().set("width", lw).set("height", lh).set("fill", "#ffffff").set("fill-opacity", 0.9).set("rx", font / 2.0));
    for (i, (status, name)) in LEGEND.iter().enumerate() {
        let y = row * (i as f64 + 0.75);
        legend = legend
            .add(
                Rectangle::new()
                    .set("x", font / 2.0)
                    .set("y", y - font / 2.0)
                    .set("width", font)
                    .set("height", font)
                    .set("fill", colour(Some(*status))),
            )
            .add(Text::new(*name).set("x", font * 2.0).set("y", y).set("font-size", font * 0.8).set("dominant-baseline", "central"));
    }
    doc.add(legend).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn shapes_take_their_status_colour_and_labels_their_script_direction() {
        let a = polygon![(x: 10., y: 10.), (x: 110., y: 10.), (x: 110., y: 60.), (x: 10., y: 60.), (x: 10., y: 10.)];
        let b = polygon![(x: 120., y: 10.), (x: 220., y: 10.), (x: 220., y: 60.), (x: 120., y: 60.), (x: 120., y: 10.)];
        let plan = Plan { width: 400.0, height: 300.0, image_href: Some("https://files.example.com/plan.png?X-Amz=1&b=2".into()) };
        let sold = crm_kernel::EntityId::new();
        let shapes = [
            Drawn { id: sold, label: "A-101".into(), status: Some(UnitStatus::Sold), component: false, opacity: 1.0, polygon: &a },
            Drawn {
                id: crm_kernel::EntityId::new(),
                label: "شقة ١٠٢ <b>&\u{1}".into(),
                status: Some(UnitStatus::Available),
                component: false,
                opacity: 1.0,
                polygon: &b,
            },
        ];
        let out = svg(&plan, &shapes);
        assert!(out.contains(&format!(r#"data-shape="{sold}""#)) && out.contains(r##"fill="#c62828""##), "sold is red: {out}");
        assert!(!out.contains('\u{1}'), "no character XML cannot hold");
        assert!(out.contains(r##"data-status="available""##) && out.contains(r##"fill="#2e7d32""##));
        assert!(out.contains("شقة ١٠٢ &lt;b&gt;&amp;"), "text is escaped: {out}");
        assert!(!out.contains("<b>"));
        assert!(out.contains(r#"direction="rtl""#), "the Arabic label runs right to left");
        assert_eq!(out.matches(r#"direction="rtl""#).count(), 1, "the Latin one does not");
        assert!(out.contains("plan.png?X-Amz=1&amp;b=2"), "the image URL is an escaped attribute");
        for (_, name) in LEGEND {
            assert!(out.contains(name), "the legend names {name}");
        }
    }

    #[test]
    fn right_to_left_goes_by_the_first_letter() {
        assert!(right_to_left("١٠٢ شقة"));
        assert!(right_to_left("  مكتب A"));
        assert!(!right_to_left("A-101 شقة"));
        assert!(!right_to_left("101"));
    }
}
