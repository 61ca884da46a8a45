//! The demo's site plan of Palm Residences (an SVG the seed uploads as the
//! project's overlay): the plot with its road, pool and gardens, Tower B's
//! footprint, and Tower A drawn as a stacking plan — five floors of four
//! units, each cell a unit's shape on the map.

/// The plan's size in pixels.
pub const WIDTH: f64 = 1600.0;
pub const HEIGHT: f64 = 1000.0;

/// Tower A's cell of unit `n` (1..=4) on `floor` (1..=5): `(x, y, width, height)`.
pub fn tower_a_cell(floor: i64, n: i64) -> (f64, f64, f64, f64) {
    let (left, top, w, h) = (160.0, 170.0, 190.0, 130.0);
    (left + (n - 1) as f64 * w + 6.0, top + (5 - floor) as f64 * h + 6.0, w - 12.0, h - 12.0)
}

/// The SVG document.
pub fn svg() -> String {
    let mut cells = String::new();
    for floor in 1..=5 {
        for n in 1..=4 {
            let (x, y, w, h) = tower_a_cell(floor, n);
            cells.push_str(&format!(
                r##"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#fafafa" stroke="#90a4ae" stroke-width="2"/>"##
            ));
        }
    }
    let trees: String = (0..9)
        .map(|i| {
            let (cx, cy) = (1080.0 + (i % 3) as f64 * 140.0, 620.0 + (i / 3) as f64 * 110.0);
            format!(r##"<circle cx="{cx}" cy="{cy}" r="34" fill="#81c784" stroke="#4caf50" stroke-width="3"/>"##)
        })
        .collect();
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}">
<rect width="{WIDTH}" height="{HEIGHT}" fill="#e8f5e9"/>
<rect x="0" y="900" width="{WIDTH}" height="100" fill="#b0bec5"/>
<line x1="0" y1="950" x2="{WIDTH}" y2="950" stroke="#ffffff" stroke-width="6" stroke-dasharray="40 30"/>
<text x="800" y="985" font-size="26" text-anchor="middle" fill="#37474f" font-family="sans-serif">90th Street · شارع التسعين</text>
<rect x="130" y="120" width="820" height="730" fill="#eceff1" stroke="#455a64" stroke-width="6" rx="8"/>
<text x="540" y="105" font-size="32" text-anchor="middle" fill="#263238" font-family="sans-serif">Tower A · البرج أ</text>
{cells}
<rect x="1040" y="150" width="420" height="300" fill="#eceff1" stroke="#455a64" stroke-width="6" rx="8"/>
<text x="1250" y="310" font-size="32" text-anchor="middle" fill="#263238" font-family="sans-serif">Tower B · البرج ب</text>
<rect x="1040" y="500" width="420" height="60" rx="30" fill="#4fc3f7" stroke="#0288d1" stroke-width="4"/>
<text x="1250" y="540" font-size="22" text-anchor="middle" fill="#01579b" font-family="sans-serif">Pool · حمام السباحة</text>
{trees}
</svg>"##
    )
}
