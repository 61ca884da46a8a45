//! Map overlays over HTTP (M3CoreCRM §8, issue 19): a plan measured from
//! its own file; shapes checked whole, each rule refusing its crafted bad
//! polygon with its field error; georeferencing that recovers a known
//! transform; versions and rollback; the status colour following a deal
//! through the unit events, exactly once; the hit test and search; a public
//! view without price or people, dead with its link; plan gates and
//! race-free limits.

use crm_events::{Actor, DomainEvent, Subject};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{body_of, bridge_message, drained, error_fields, eventually, queue, sdk, send, stack, upload, TestApp, PIPELINE};

/// A PNG of `w` × `h`: its signature and IHDR chunk, what a size is read from.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];
    b.extend(w.to_be_bytes());
    b.extend(h.to_be_bytes());
    b.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b
}

/// A one-page PDF of `w` × `h` points, made by lopdf.
fn pdf(w: i64, h: i64) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    let mut doc = Document::with_version("1.5");
    let pages = doc.new_object_id();
    let content = doc.add_object(Stream::new(dictionary! {}, b"0 0 m".to_vec()));
    let page = doc.add_object(dictionary! { "Type" => "Page", "Parent" => pages, "Contents" => content });
    let media: Vec<Object> = [0, 0, w, h].into_iter().map(Object::Integer).collect();
    doc.objects.insert(
        pages,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1, "MediaBox" => media }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn id(v: &Value) -> String {
    v["data"]["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// A GeoJSON rectangle, wound counter-clockwise.
fn rect(x: f64, y: f64, w: f64, h: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]})
}

struct Site {
    project: String,
    building: String,
    units: Vec<String>,
}

async fn site(app: &TestApp, codes: &[&str]) -> Site {
    let project = id(&body_of(app.post("/v1/projects").json(&json!({"name": "Palm Residences", "location": "New Cairo"}))).await);
    let building = id(&body_of(app.post("/v1/buildings").json(&json!({"project_id": project, "name": "Tower A", "floors": 12}))).await);
    let mut units = Vec::new();
    for code in codes {
        let u = body_of(app.post("/v1/units").json(&json!({
            "building_id": building, "code": code, "unit_type_code": "APT", "price": 250_000_000, "currency": "EGP", "size_sqm": 120.5,
        })))
        .await;
        units.push(id(&u));
    }
    Site { project, building, units }
}

/// A ready overlay of `site`'s project, `w` × `h` px, with one site layer.
async fn plan(app: &TestApp, site: &Site, w: u32, h: u32) -> (String, String) {
    let (status, made) =
        send(app.post("/v1/maps/overlays").json(&json!({"name": "Site plan", "project_id": site.project, "file_type": "png"}))).await;
    assert_eq!(status, 201, "{made}");
    let overlay = made["data"]["overlay"]["id"].as_str().unwrap().to_string();
    assert_eq!(upload(&made["data"]["upload"], png(w, h), "image/png").await.0 / 100, 2);
    let (status, ready) = send(app.post(&format!("/v1/maps/overlays/{overlay}/confirm"))).await;
    assert_eq!(status, 200, "{ready}");
    let layer = id(&body_of(app.post(&format!("/v1/maps/overlays/{overlay}/layers")).json(&json!({"name": "Site", "kind": "site"}))).await);
    (overlay, layer)
}

async fn draw(app: &TestApp, overlay: &str, body: Value) -> (u16, Value) {
    send(app.post(&format!("/v1/maps/overlays/{overlay}/shapes")).json(&body)).await
}

/// The field errors' `(field, rule)`: a message leads with its rule's code.
fn rules(body: &Value) -> Vec<(String, String)> {
    body["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let rule = d["message"].as_str().unwrap_or_default().split(':').next().unwrap_or_default().to_string();
            (d["field"].as_str().unwrap_or_default().to_string(), rule)
        })
        .collect()
}

#[tokio::test]
async fn a_plan_is_measured_from_its_own_file_and_only_a_plan_passes() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let site = site(&admin, &[]).await;
    let new = |file_type: &str| {
        admin
            .post("/v1/maps/overlays")
            .json(&json!({"name": format!("Plan {file_type}"), "building_id": site.building, "file_type": file_type}))
    };
    let (status, png_made) = send(new("png")).await;
    assert_eq!(status, 201, "{png_made}");
    assert_eq!(png_made["data"]["overlay"]["project_id"], site.project.as_str(), "a building's overlay is its project's too");
    let policy = png_made["data"]["upload"]["fields"]["policy"].as_str().unwrap_or_default();
    let policy = String::from_utf8(base64::Engine::decode(&base64::engine::general_purpose::STANDARD, policy).unwrap()).unwrap();
    assert!(policy.contains("image/png") && policy.contains("content-length-range"), "the type and size are the policy's: {policy}");
    let overlay = png_made["data"]["overlay"]["id"].as_str().unwrap().to_string();
    let confirm = |id: &str| admin.post(&format!("/v1/maps/overlays/{id}/confirm"));
    let (status, early) = send(confirm(&overlay)).await;
    assert_eq!((status, early["error"]["code"].as_str()), (422, Some("UPLOAD_MISSING")), "{early}");
    upload(&png_made["data"]["upload"], png(2400, 1600), "image/png").await;
    let ready = body_of(confirm(&overlay)).await;
    assert_eq!(
        (ready["data"]["status"].as_str(), ready["data"]["width_px"].as_f64(), ready["data"]["height_px"].as_f64()),
        (Some("ready"), Some(2400.0), Some(1600.0)),
        "the size is the file's: {ready}"
    );

    // A PDF by its page's MediaBox, an SVG by its root.
    let pdf_made = body_of(new("pdf")).await;
    upload(&pdf_made["data"]["upload"], pdf(1191, 842), "application/pdf").await;
    let pdf_ready = body_of(confirm(pdf_made["data"]["overlay"]["id"].as_str().unwrap())).await;
    assert_eq!((pdf_ready["data"]["width_px"].as_f64(), pdf_ready["data"]["height_px"].as_f64()), (Some(1191.0), Some(842.0)));
    let svg_made = body_of(new("svg")).await;
    let svg_id = svg_made["data"]["overlay"]["id"].as_str().unwrap().to_string();
    let scripted = r#"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="600"><script>alert(1)</script></svg>"#;
    upload(&svg_made["data"]["upload"], scripted.as_bytes().to_vec(), "image/svg+xml").await;
    let (status, refused) = send(confirm(&svg_id)).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (422, Some("PLAN_FILE_INVALID")), "{refused}");
    assert_eq!(admin.get_json(&format!("/v1/maps/overlays/{svg_id}")).await["data"]["status"], "awaiting_upload", "nothing changed");
    // The refused file was deleted: a good one can follow, on a new form.
    let form = body_of(admin.post(&format!("/v1/maps/overlays/{svg_id}/upload"))).await;
    let good = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1200 900"><rect width="1200" height="900" fill="#eee"/></svg>"##;
    upload(&form["data"], good.as_bytes().to_vec(), "image/svg+xml").await;
    let svg_ready = body_of(confirm(&svg_id)).await;
    assert_eq!((svg_ready["data"]["width_px"].as_f64(), svg_ready["data"]["height_px"].as_f64()), (Some(1200.0), Some(900.0)));
    assert_eq!(send(admin.post(&format!("/v1/maps/overlays/{svg_id}/upload"))).await.0, 409, "a confirmed plan is fixed");
    // A file sent over the confirmed one with the old form is never shown: the measured version is pinned.
    upload(&form["data"], scripted.as_bytes().to_vec(), "image/svg+xml").await;
    let shown = admin.get_json(&format!("/v1/maps/overlays/{svg_id}")).await["data"]["file_url"].as_str().unwrap().to_string();
    let served = reqwest::get(&shown).await.unwrap().text().await.unwrap();
    assert!(served.contains("1200 900") && !served.contains("script"), "the checked plan, not the swap: {served}");

    // Bad input is a field error and makes nothing.
    let (status, bad) = send(admin.post("/v1/maps/overlays").json(&json!({"name": "", "file_type": "gif", "dpi": 0}))).await;
    assert_eq!(status, 400, "{bad}");
    assert_eq!(error_fields(&bad), ["file_type", "project_id", "name", "dpi"].map(String::from).to_vec(), "{bad}");
    let (status, foreign) =
        send(admin.post("/v1/maps/overlays").json(&json!({"name": "x", "file_type": "png", "project_id": ulid::Ulid::new().to_string()})))
            .await;
    assert_eq!((status, error_fields(&foreign)), (400, vec!["project_id".to_string()]), "{foreign}");
    let list = admin.get_json(&format!("/v1/maps/overlays?building={}", site.building)).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(3), "{list}");
    let one = admin.get_json(&format!("/v1/maps/overlays/{overlay}")).await;
    assert!(one["data"]["file_url"].as_str().is_some_and(|u| u.contains("plan.png")), "{one}");
    assert_eq!(one["data"]["layers"], json!([]));
}

#[tokio::test]
async fn each_rule_refuses_its_crafted_bad_polygon_with_its_field_error() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let site = site(&admin, &["A-101", "A-102"]).await;
    let (overlay, layer) = plan(&admin, &site, 1000, 800).await;
    let unit_shape = |geom: Value| json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[0], "geom_geojson": geom});
    let (status, drawn) = draw(&admin, &overlay, unit_shape(rect(100., 100., 200., 100.))).await;
    assert_eq!(status, 201, "{drawn}");
    assert_eq!(
        (
            drawn["data"]["version"].as_u64(),
            drawn["data"]["unit_type_code"].as_str(),
            drawn["data"]["label"].as_str(),
            drawn["data"]["area_px"].as_f64()
        ),
        (Some(1), Some("APT"), Some("A-101"), Some(20_000.0)),
        "the type frozen, the label the unit's code, measured in pixels: {drawn}"
    );
    assert_eq!(drawn["data"]["area_sqm"], Value::Null, "no metres before alignment");

    let other = |geom: Value| json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[1], "geom_geojson": geom});
    let cases: Vec<(&str, Value, (&str, &str))> = vec![
        (
            "not closed",
            json!({"type": "Polygon", "coordinates": [[[400, 100], [500, 100], [500, 200], [400, 200]]]}),
            ("geom_geojson.coordinates.0.3", "RING_NOT_CLOSED"),
        ),
        (
            "clockwise",
            json!({"type": "Polygon", "coordinates": [[[400, 100], [400, 200], [500, 200], [500, 100], [400, 100]]]}),
            ("geom_geojson.coordinates.0", "WINDING"),
        ),
        (
            "bow tie",
            json!({"type": "Polygon", "coordinates": [[[400, 100], [500, 200], [500, 100], [400, 200], [400, 100]]]}),
            ("geom_geojson.coordinates.0.0", "SELF_INTERSECTION"),
        ),
        ("off the plan", rect(900., 700., 200., 50.), ("geom_geojson.coordinates.0.1", "OUT_OF_BOUNDS")),
        ("over A-101", rect(250., 150., 100., 100.), ("geom_geojson", "OVERLAP")),
    ];
    for (what, geom, (field, rule)) in cases {
        let (status, refused) = draw(&admin, &overlay, other(geom)).await;
        assert_eq!((status, rules(&refused)), (400, vec![(field.to_string(), rule.to_string())]), "{what}: {refused}");
    }
    let (status, flipped) = draw(&admin, &overlay, json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[1], "rectangle": {"x": 500, "y": 500, "width": -50, "height": -50}})).await;
    assert_eq!((status, error_fields(&flipped)), (400, vec!["rectangle.width".to_string(), "rectangle.height".to_string()]), "{flipped}");
    let (status, huge) =
        send(admin.post(&format!("/v1/maps/overlays/{overlay}/align")).json(&json!({"method": "simple", "scale": 1e300}))).await;
    assert_eq!((status, error_fields(&huge)), (400, vec!["scale".to_string()]), "no scale that overflows a measure: {huge}");
    // Every rule of its place at once.
    let (_, both) = draw(&admin, &overlay, other(rect(250., 150., 100., 700.))).await;
    let found: Vec<String> = rules(&both).into_iter().map(|(_, r)| r).collect();
    assert_eq!(found, ["OUT_OF_BOUNDS", "OVERLAP"], "{both}");
    // A rectangle drawn with the rectangle tool, touching A-101's edge: no overlap.
    let (status, b) =
        draw(&admin, &overlay, json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[1], "rectangle": {"x": 300, "y": 100, "width": 150, "height": 100}})).await;
    assert_eq!(status, 201, "{b}");

    // Components: inside their unit, and (aligned) the size of their dimensions.
    let component = body_of(
        admin
            .post(&format!("/v1/units/{}/components", site.units[0]))
            .json(&json!({"component_type_code": "BALCONY", "length_m": 3, "width_m": 4})),
    )
    .await;
    let component = id(&component);
    let comp = |geom: Value| json!({"layer_id": layer, "kind": "component", "unit_id": site.units[0], "unit_component_id": component, "component_type_code": "BALCONY", "geom_geojson": geom});
    let (_, outside) = draw(&admin, &overlay, comp(rect(280., 100., 60., 80.))).await;
    assert_eq!(rules(&outside), vec![("geom_geojson.coordinates.0.1".to_string(), "NOT_INSIDE_UNIT".to_string())], "{outside}");
    let (_, wrong_type) = draw(&admin, &overlay, json!({"layer_id": layer, "kind": "component", "unit_id": site.units[0], "unit_component_id": component, "component_type_code": "ROOM", "geom_geojson": rect(100., 100., 60., 80.)})).await;
    assert_eq!(error_fields(&wrong_type), ["component_type_code"], "{wrong_type}");
    let (status, aligned) =
        send(admin.post(&format!("/v1/maps/overlays/{overlay}/align")).json(&json!({"method": "simple", "scale": 0.05}))).await;
    assert_eq!(status, 200, "{aligned}");
    let (_, too_big) = draw(&admin, &overlay, comp(rect(100., 100., 100., 80.))).await;
    assert_eq!(rules(&too_big), vec![("geom_geojson".to_string(), "AREA_MISMATCH".to_string())], "{too_big}");
    let (status, balcony) = draw(&admin, &overlay, comp(rect(100., 100., 60., 80.))).await;
    assert_eq!(status, 201, "{balcony}");
    assert_eq!((balcony["data"]["area_sqm"].as_f64(), balcony["data"]["perimeter_m"].as_f64()), (Some(12.0), Some(14.0)), "{balcony}");
    // Redrawn smaller, A-101 would leave its balcony outside.
    let a101 = drawn["data"]["id"].as_str().unwrap();
    let (status, shrink) =
        send(admin.request(Method::PATCH, &format!("/v1/maps/shapes/{a101}")).json(&json!({"geom_geojson": rect(100., 100., 40., 100.)})))
            .await;
    assert_eq!((status, rules(&shrink).first().map(|r| r.1.clone())), (400, Some("NOT_INSIDE_UNIT".to_string())), "{shrink}");
    let (status, _) = send(admin.request(Method::DELETE, &format!("/v1/maps/shapes/{a101}"))).await;
    assert_eq!(status, 409, "a unit's shape holding component shapes stays");

    // Nothing refused was written: three shapes, A-101 measured in metres after the alignment.
    let shapes = admin.get_json(&format!("/v1/maps/overlays/{overlay}/shapes")).await;
    assert_eq!(shapes["data"].as_array().map(Vec::len), Some(3), "{shapes}");
    let a = shapes["data"].as_array().unwrap().iter().find(|s| s["id"] == a101).unwrap();
    assert_eq!((a["area_sqm"].as_f64(), a["version"].as_u64()), (Some(50.0), Some(1)), "re-measured, same version: {a}");
    let units = admin.get_json(&format!("/v1/maps/overlays/{overlay}/shapes?kind=component")).await;
    assert_eq!(units["data"][0]["component_type_code"], "BALCONY");

    // A validation report names each rule with a fix; the editor hears of it.
    let comp_id = balcony["data"]["id"].as_str().unwrap();
    let (status, _) =
        send(admin.request(Method::PATCH, &format!("/v1/units/{}/components/{component}", site.units[0])).json(&json!({"length_m": 5})))
            .await;
    assert_eq!(status, 200);
    let report = body_of(admin.post(&format!("/v1/maps/shapes/{comp_id}/validate"))).await;
    assert_eq!(
        (report["data"]["valid"].as_bool(), report["data"]["problems"][0]["rule"].as_str()),
        (Some(false), Some("AREA_MISMATCH")),
        "{report}"
    );
    assert!(report["data"]["problems"][0]["suggestion"].as_str().is_some_and(|s| s.contains("length_m")), "{report}");
    let valid = body_of(admin.post(&format!("/v1/maps/shapes/{a101}/validate"))).await;
    assert_eq!((valid["data"]["valid"].as_bool(), valid["data"]["measures"]["area_sqm"].as_f64()), (Some(true), Some(50.0)), "{valid}");
}

#[tokio::test]
async fn georeferencing_recovers_a_known_transform_and_refuses_a_misplaced_point() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let site = site(&admin, &["G-1"]).await;
    let (overlay, layer) = plan(&admin, &site, 2000, 1500).await;
    // X = 0.5·cos30·x − 0.5·sin30·y + 3 500 000,  Y = 0.5·sin30·x + 0.5·cos30·y + 3 500 000 (Web Mercator metres).
    let (s, c) = (0.5 * 30f64.to_radians().sin(), 0.5 * 30f64.to_radians().cos());
    let world = |x: f64, y: f64| [c * x - s * y + 3_500_000.0, s * x + c * y + 3_500_000.0];
    let pixels = [(0.0, 0.0), (2000.0, 0.0), (2000.0, 1500.0), (0.0, 1500.0), (1000.0, 700.0)];
    let noise = [0.02, -0.03, 0.01, -0.02, 0.03];
    let points: Vec<Value> = pixels
        .iter()
        .zip(noise)
        .map(|((x, y), n)| {
            let [wx, wy] = world(*x, *y);
            json!({"pixel": [x, y], "world": [wx + n, wy - n]})
        })
        .collect();
    let (status, fitted) =
        send(admin.post(&format!("/v1/maps/overlays/{overlay}/align")).json(&json!({"method": "georef", "control_points": points}))).await;
    assert_eq!(status, 200, "{fitted}");
    let a = &fitted["data"]["alignment"];
    let t: Vec<f64> = a["transform"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    for (got, want) in t.iter().zip([c, -s, 3_500_000.0, s, c, 3_500_000.0]) {
        assert!((got - want).abs() < if want.abs() > 1.0 { 0.1 } else { 1e-4 }, "transform {t:?} recovers {want}");
    }
    let rms = a["residual_rms"].as_f64().unwrap();
    assert!(rms > 0.0 && rms < 0.1, "the residual is reported: {rms}");
    assert_eq!((a["srid"].as_u64(), a["residuals"].as_array().map(Vec::len)), (Some(3857), Some(5)));
    let summary = admin.get_json(&format!("/v1/maps/overlays/{overlay}")).await;
    assert!((summary["data"]["alignment_summary"]["scale"].as_f64().unwrap() - 0.5).abs() < 1e-4, "{summary}");

    // A shape drawn now measures in ground metres (Web Mercator's stretch divided out).
    let (status, shape) = draw(
        &admin,
        &overlay,
        json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[0], "geom_geojson": rect(100., 100., 40., 20.)}),
    )
    .await;
    assert_eq!(status, 201, "{shape}");
    let area = shape["data"]["area_sqm"].as_f64().unwrap();
    assert!(area > 100.0 && area < 200.0, "200 m² on the projection is less on the ground: {area}");

    // One point misplaced by 40 m: above the tolerance, refused, nothing changed.
    let mut bad = points.clone();
    bad[4]["world"][0] = json!(bad[4]["world"][0].as_f64().unwrap() + 40.0);
    let (status, refused) =
        send(admin.post(&format!("/v1/maps/overlays/{overlay}/align")).json(&json!({"method": "georef", "control_points": bad}))).await;
    assert_eq!((status, rules(&refused).first().map(|r| r.1.clone())), (400, Some("RESIDUAL_TOO_LARGE".to_string())), "{refused}");
    let (_, two) =
        send(admin.post(&format!("/v1/maps/overlays/{overlay}/align")).json(&json!({"method": "georef", "control_points": &points[..2]})))
            .await;
    assert_eq!(rules(&two).first().map(|r| r.1.clone()), Some("CONTROL_POINT_COUNT".to_string()), "{two}");
    let (_, degrees) =
        send(admin.post(&format!("/v1/maps/overlays/{overlay}/align")).json(&json!({"method": "simple", "scale": 1, "srid": 4326}))).await;
    assert_eq!(error_fields(&degrees), ["srid"], "{degrees}");
    let now = admin.get_json(&format!("/v1/maps/overlays/{overlay}")).await;
    assert_eq!(now["data"]["alignment"]["transform"], fitted["data"]["alignment"]["transform"], "the good fit stays");
}

#[tokio::test]
async fn every_geometry_change_is_a_version_and_a_rollback_re_saves_an_older_one() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let site = site(&admin, &["V-1", "V-2"]).await;
    let (overlay, layer) = plan(&admin, &site, 1000, 800).await;
    let shape = body_of(admin.post(&format!("/v1/maps/overlays/{overlay}/shapes")).json(&json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[0], "geom_geojson": rect(0., 0., 100., 100.), "change_note": "first draft"}))).await;
    let shape = id(&shape);
    let patch = |body: Value, version: u64| {
        admin.request(Method::PATCH, &format!("/v1/maps/shapes/{shape}")).header("if-match", format!("\"{version}\"")).json(&body)
    };
    let (status, v2) = send(patch(json!({"geom_geojson": rect(0., 0., 150., 100.), "change_note": "wider"}), 1)).await;
    assert_eq!((status, v2["data"]["version"].as_u64(), v2["data"]["area_px"].as_f64()), (200, Some(2), Some(15_000.0)), "{v2}");
    let (status, _) = send(patch(json!({"label": "stale"}), 1)).await;
    assert_eq!(status, 412, "a stale If-Match");
    let relabelled = body_of(patch(json!({"label": "V-1 corner"}), 2)).await;
    assert_eq!(
        (relabelled["data"]["label"].as_str(), relabelled["data"]["version"].as_u64()),
        (Some("V-1 corner"), Some(2)),
        "a label is no geometry"
    );
    let versions = admin.get_json(&format!("/v1/maps/shapes/{shape}/versions")).await;
    let notes: Vec<(u64, &str)> = versions["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_u64().unwrap(), v["change_note"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(notes, [(2, "wider"), (1, "first draft")]);

    // V-2 drawn where V-1's first draft was not: rolling V-1 back to it still passes.
    let (status, _) = draw(
        &admin,
        &overlay,
        json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[1], "geom_geojson": rect(100., 0., 100., 100.)}),
    )
    .await;
    assert_eq!(status, 400, "V-1 now covers that: overlap");
    let rollback = |body: Value, version: u64| {
        admin.post(&format!("/v1/maps/shapes/{shape}/version")).header("if-match", format!("\"{version}\"")).json(&body)
    };
    let (status, v3) = send(rollback(json!({"version": 1}), 2)).await;
    assert_eq!(
        (status, v3["data"]["version"].as_u64(), v3["data"]["geom_geojson"].clone()),
        (200, Some(3), rect(0., 0., 100., 100.)),
        "{v3}"
    );
    let versions = admin.get_json(&format!("/v1/maps/shapes/{shape}/versions")).await;
    assert_eq!(versions["data"][0]["change_note"], "rolled back to version 1");
    let (status, v2_shape) = draw(
        &admin,
        &overlay,
        json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[1], "geom_geojson": rect(100., 0., 100., 100.)}),
    )
    .await;
    assert_eq!(status, 201, "{v2_shape}");
    // Now version 2's geometry overlaps V-2: that rollback is refused and changes nothing.
    let (status, refused) = send(rollback(json!({"version": 2}), 3)).await;
    assert_eq!((status, rules(&refused).first().map(|r| r.1.clone())), (400, Some("OVERLAP".to_string())), "{refused}");
    let (_, future) = send(rollback(json!({"version": 9}), 3)).await;
    assert_eq!(error_fields(&future), ["version"]);
    assert_eq!(admin.get_json(&format!("/v1/maps/shapes/{shape}")).await["data"]["version"], 3);
}

/// The fill of shape `id` in `svg`.
fn fill_of(svg: &str, id: &str) -> Option<String> {
    let at = svg.find(&format!(r#"data-shape="{id}""#))?;
    let start = svg[..at].rfind("<path")?;
    let tag = &svg[start..at + svg[at..].find('>')?];
    let f = tag.find("fill=\"")? + 6;
    Some(tag[f..f + 7].to_string())
}

#[tokio::test]
async fn a_deal_won_turns_its_units_shape_sold_in_the_render_once_and_never_back() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let site = site(&admin, &["S-1"]).await;
    let (overlay, layer) = plan(&admin, &site, 800, 600).await;
    let unit = site.units[0].clone();
    let shape = id(&body_of(
        admin
            .post(&format!("/v1/maps/overlays/{overlay}/shapes"))
            .json(&json!({"layer_id": layer, "kind": "unit", "unit_id": unit, "geom_geojson": rect(50., 50., 200., 150.)})),
    )
    .await);
    let render = || async {
        let resp = admin.get(&format!("/v1/maps/overlays/{overlay}/render.svg")).send().await.unwrap();
        assert_eq!(resp.headers()["content-type"].to_str().unwrap(), "image/svg+xml; charset=utf-8");
        resp.text().await.unwrap()
    };
    let svg = render().await;
    assert_eq!(fill_of(&svg, &shape).as_deref(), Some("#2e7d32"), "available is green: {svg}");
    assert!(svg.contains("S-1") && svg.contains("class=\"legend\""), "labelled, with its legend");

    let c = body_of(admin.post("/v1/contacts").json(&json!({"first_name": "Omar", "phone": crate::helpers::unique_phone()}))).await;
    let deal =
        id(&body_of(admin.post("/v1/deals").json(
            &json!({"name": "Omar — S-1", "amount": 250_000_000, "currency": "EGP", "units": [unit], "contacts": [{"id": id(&c)}]}),
        ))
        .await);
    let (status, won) = send(admin.post(&format!("/v1/deals/{deal}/mark-won"))).await;
    assert_eq!(status, 200, "{won}");
    let sold = eventually("the shape sold", PIPELINE, || async {
        let svg = render().await;
        (fill_of(&svg, &shape).as_deref() == Some("#c62828")).then_some(svg)
    })
    .await;
    assert!(sold.contains(r#"data-status="sold""#));

    // The sale's unit event delivered twice more, and an older one: sold stays.
    let u = admin.get_json(&format!("/v1/units/{unit}")).await["data"].clone();
    let v = u["version"].as_u64().unwrap();
    let snapshot = |status: &str, version: u64| json!({"project_id": site.project, "status": status, "unit_type_code": "APT", "price": 250_000_000, "currency": "EGP", "code": "S-1", "version": version});
    let event = |from: &str, to: &str, version: u64| {
        DomainEvent::new(
            admin.tenant,
            crm_events::types::UNIT_STATUS_CHANGED,
            Actor::system(),
            Subject { kind: "unit".into(), id: unit.clone() },
            json!({"code": "S-1", "from": from, "to": to, "availability": {"before": snapshot(from, version - 1), "after": snapshot(to, version)}}),
        )
    };
    let sqs = aws_sdk_sqs::Client::new(&sdk().await);
    let (url, _) = queue("MapUnitsQueue");
    for e in [event("available", "sold", v), event("available", "sold", v), event("sold", "available", v - 1)] {
        sqs.send_message().queue_url(&url).message_body(bridge_message(&e)).send().await.unwrap();
    }
    drained(&url).await;
    assert_eq!(fill_of(&render().await, &shape).as_deref(), Some("#c62828"), "still sold");
    let listed = admin.get_json(&format!("/v1/maps/overlays/{overlay}/shapes")).await;
    assert_eq!(listed["data"][0]["status"], "sold", "{listed}");

    // The unit's type changes: the copy frozen on its shape follows.
    let (status, _) = send(admin.request(Method::PATCH, &format!("/v1/units/{unit}")).json(&json!({"unit_type_code": "VILLA"}))).await;
    assert_eq!(status, 200);
    eventually("the frozen type code follows", PIPELINE, || async {
        let s = admin.get_json(&format!("/v1/maps/shapes/{shape}")).await;
        (s["data"]["unit_type_code"] == "VILLA").then_some(())
    })
    .await;
}

#[tokio::test]
async fn the_hit_test_and_search_find_the_unit_at_a_point_or_by_its_codes() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let site = site(&admin, &["H-101", "H-102"]).await;
    let (overlay, layer) = plan(&admin, &site, 1000, 800).await;
    // An L-shaped H-101 (its bounding box is not the unit) and H-102 beside it.
    let l_shape = json!({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [200, 100], [100, 100], [100, 200], [0, 200], [0, 0]]]});
    let h101 = id(&body_of(
        admin
            .post(&format!("/v1/maps/overlays/{overlay}/shapes"))
            .json(&json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[0], "geom_geojson": l_shape})),
    )
    .await);
    let h102 = id(&body_of(
        admin
            .post(&format!("/v1/maps/overlays/{overlay}/shapes"))
            .json(&json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[1], "geom_geojson": rect(300., 0., 100., 100.)})),
    )
    .await);
    let component = id(&body_of(
        admin
            .post(&format!("/v1/units/{}/components", site.units[0]))
            .json(&json!({"component_type_code": "ROOM", "name": "Master bedroom"})),
    )
    .await);
    let room = id(&body_of(admin.post(&format!("/v1/maps/overlays/{overlay}/shapes")).json(&json!({"layer_id": layer, "kind": "component", "unit_id": site.units[0], "unit_component_id": component, "component_type_code": "ROOM", "geom_geojson": rect(10., 10., 50., 50.)}))).await);
    let hit = |x: f64, y: f64| {
        let (admin, path) = (&admin, format!("/v1/maps/overlays/{overlay}/hit?x={x}&y={y}"));
        async move { admin.get_json(&path).await }
    };
    let on_room = hit(20., 20.).await;
    assert_eq!(
        (on_room["data"]["unit"]["id"].as_str(), on_room["data"]["component"]["id"].as_str()),
        (Some(h101.as_str()), Some(room.as_str())),
        "{on_room}"
    );
    assert_eq!(on_room["data"]["unit"]["status"], "available");
    let in_the_l = hit(150., 50.).await;
    assert_eq!((in_the_l["data"]["unit"]["id"].as_str(), &in_the_l["data"]["component"]), (Some(h101.as_str()), &Value::Null));
    let in_the_notch = hit(150., 150.).await;
    assert_eq!(in_the_notch["data"], json!({"unit": null, "component": null}), "outside the L, inside its box");
    assert_eq!(hit(350., 50.).await["data"]["unit"]["id"], h102.as_str());
    let (status, bad) = send(admin.get(&format!("/v1/maps/overlays/{overlay}/hit?x=left&y=1"))).await;
    assert_eq!((status, error_fields(&bad)), (400, vec!["x".to_string()]), "{bad}");

    let search = |q: &str| {
        let (admin, path) = (&admin, format!("/v1/maps/overlays/{overlay}/search?q={q}"));
        async move { admin.get_json(&path).await }
    };
    let by_code = search("h-102").await;
    assert_eq!(
        (by_code["data"].as_array().map(Vec::len), by_code["data"][0]["matched"].as_str()),
        (Some(1), Some("unit_code")),
        "{by_code}"
    );
    assert_eq!(by_code["data"][0]["bbox"], json!([300.0, 0.0, 400.0, 100.0]));
    assert_eq!(search("APT").await["data"].as_array().map(Vec::len), Some(3), "both units and the room (its unit's type)");
    let rooms = search("room").await;
    assert_eq!(
        (rooms["data"][0]["shape"]["id"].as_str(), rooms["data"][0]["matched"].as_str()),
        (Some(room.as_str()), Some("component_type_code")),
        "{rooms}"
    );
    // A hidden layer is not on the plan.
    let (status, _) =
        send(admin.request(Method::PATCH, &format!("/v1/maps/overlays/{overlay}/layers/{layer}")).json(&json!({"is_visible": false})))
            .await;
    assert_eq!(status, 200);
    assert_eq!(hit(20., 20.).await["data"]["unit"], Value::Null);
}

#[tokio::test]
async fn the_public_view_shows_no_price_or_person_and_dies_with_its_link() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let site = site(&admin, &["P-1"]).await;
    let (overlay, layer) = plan(&admin, &site, 800, 600).await;
    let unit = site.units[0].clone();
    let (status, _) = draw(
        &admin,
        &overlay,
        json!({"layer_id": layer, "kind": "unit", "unit_id": unit, "geom_geojson": rect(10., 10., 100., 100.), "label": "P-1 شقة"}),
    )
    .await;
    assert_eq!(status, 201);
    let c = body_of(admin.post("/v1/contacts").json(&json!({"first_name": "Layla", "last_name": "Haddad", "email": "layla.public@example.com", "phone": crate::helpers::unique_phone()}))).await;
    let deal =
        id(&body_of(admin.post("/v1/deals").json(
            &json!({"name": "Layla — P-1", "amount": 250_000_000, "currency": "EGP", "units": [unit], "contacts": [{"id": id(&c)}]}),
        ))
        .await);
    let (status, r) =
        send(admin.post(&format!("/v1/units/{unit}/reservations")).json(&json!({"contact_id": id(&c), "deal_id": deal}))).await;
    assert_eq!(status, 201, "{r}");
    let (status, published) = send(admin.post(&format!("/v1/maps/overlays/{overlay}/publish"))).await;
    assert_eq!(status, 201, "{published}");
    let url = published["data"]["url"].as_str().unwrap().to_string();
    let public = |path: String| async move { reqwest::get(format!("{}{path}", stack().url)).await.unwrap() };
    let view = eventually("the reservation on the public plan", PIPELINE, || async {
        let v: Value = public(url.clone()).await.json().await.unwrap();
        (v["data"]["shapes"][0]["status"] == "reserved").then_some(v)
    })
    .await;
    let text = view.to_string();
    for secret in [
        "250000000",
        "price",
        "Layla",
        "Haddad",
        "layla.public",
        &id(&c),
        &unit,
        &deal,
        &admin.user.to_string(),
        "owner",
        "contact",
        "deal",
    ] {
        assert!(!text.contains(secret), "the public view holds {secret:?}: {text}");
    }
    assert_eq!(view["data"]["shapes"][0]["unit_code"], "P-1");
    let svg = public(format!("{url}/render.svg")).await.text().await.unwrap();
    assert!(svg.contains("شقة") && !svg.contains("250000000") && !svg.contains("Layla"), "{svg}");
    let page = public(format!("{url}/view")).await;
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'sha256-") && !csp.contains("unsafe-inline"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(html.contains("<svg") && html.contains(r#"id="shapes""#) && !html.contains("Layla"));

    // Publishing again revokes the old link; unpublishing revokes the new one.
    let again = body_of(admin.post(&format!("/v1/maps/overlays/{overlay}/publish"))).await;
    let second = again["data"]["url"].as_str().unwrap().to_string();
    assert_eq!(public(url.clone()).await.status(), 404, "the first link died");
    assert_eq!(public(second.clone()).await.status(), 200);
    let forged = second.rsplit_once('.').map(|(head, _)| format!("{head}.{}", "A".repeat(43))).unwrap();
    assert_eq!(public(forged).await.status(), 404, "a forged secret");
    assert_eq!(public("/v1/public/overlays/nonsense".into()).await.status(), 404);
    let (status, _) = send(admin.request(Method::DELETE, &format!("/v1/maps/overlays/{overlay}/publish"))).await;
    assert_eq!(status, 204);
    assert_eq!(public(second).await.status(), 404, "unpublished");

    // Only where the plan allows public views, and only for overlay.publish.
    let free = TestApp::with_plan(&["admin"], "DevFree").await;
    let (status, gated) = send(free.get("/v1/maps/overlays")).await;
    assert_eq!((status, gated["error"]["feature"].as_str()), (402, Some("maps.enabled")), "{gated}");
    let rep = admin.colleague(&["sales_rep"]).await;
    assert_eq!(send(rep.get(&format!("/v1/maps/overlays/{overlay}/render.svg"))).await.0, 200, "a rep reads the plan");
    assert_eq!(send(rep.post(&format!("/v1/maps/overlays/{overlay}/publish"))).await.0, 403);
    assert_eq!(
        draw(&rep, &overlay, json!({"layer_id": layer, "kind": "unit", "unit_id": unit, "geom_geojson": rect(200., 10., 50., 50.)}))
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn the_shapes_limit_is_counted_in_the_transaction_whatever_the_race() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let codes: Vec<String> = (1..=6).map(|i| format!("L-{i}")).collect();
    let site = site(&admin, &codes.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let (overlay, layer) = plan(&admin, &site, 2000, 400).await;
    let (status, set) =
        send(admin.request(Method::PUT, "/v1/admin/entitlements/overrides/tenant").json(&json!({"limits": {"maps.shapes.max": 3}}))).await;
    assert_eq!(status, 200, "{set}");
    let attempts = site.units.iter().enumerate().map(|(i, unit)| {
        let body = json!({"layer_id": layer, "kind": "unit", "unit_id": unit, "geom_geojson": rect(i as f64 * 300., 0., 250., 250.)});
        draw(&admin, &overlay, body)
    });
    let results = futures::future::join_all(attempts).await;
    let made = results.iter().filter(|(s, _)| *s == 201).count();
    let refused: Vec<&Value> = results.iter().filter(|(s, _)| *s != 201).map(|(_, b)| b).collect();
    assert!(made <= 3, "{made} made past the limit of 3: {results:?}");
    assert!(refused.iter().all(|b| ["LIMIT_REACHED", "CONFLICT"].contains(&b["error"]["code"].as_str().unwrap_or(""))), "{refused:?}");
    let listed = admin.get_json(&format!("/v1/maps/overlays/{overlay}/shapes")).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(made), "what was made is what is there");
    // One by one now, the rest: up to the limit exactly, then LIMIT_REACHED.
    let drawn: Vec<String> = listed["data"].as_array().unwrap().iter().map(|s| s["unit_id"].as_str().unwrap().to_string()).collect();
    for (i, unit) in site.units.iter().enumerate().filter(|(_, u)| !drawn.contains(u)) {
        let (status, body) = draw(
            &admin,
            &overlay,
            json!({"layer_id": layer, "kind": "unit", "unit_id": unit, "geom_geojson": rect(i as f64 * 300., 0., 250., 250.)}),
        )
        .await;
        assert!(status == 201 || (status == 422 && body["error"]["code"] == "LIMIT_REACHED"), "{body}");
    }
    let listed = admin.get_json(&format!("/v1/maps/overlays/{overlay}/shapes")).await;
    assert_eq!(listed["data"].as_array().map(Vec::len), Some(3), "exactly the limit: {listed}");
}

/// Pixels of `rgba` within 14 of `(r, g, b)` on each channel.
fn pixels_near(rgba: &[u8], (r, g, b): (i32, i32, i32)) -> usize {
    rgba.chunks(4).filter(|p| (p[0] as i32 - r).abs() < 14 && (p[1] as i32 - g).abs() < 14 && (p[2] as i32 - b).abs() < 14).count()
}

/// A status colour at the shapes' fill opacity (0.55) over the plan's cell (#fafafa).
fn blended(hex: &str) -> (i32, i32, i32) {
    let c = |i: usize| i32::from_str_radix(&hex[i..i + 2], 16).unwrap();
    let mix = |v: i32| (0.55 * v as f64 + 0.45 * 250.0).round() as i32;
    (mix(c(1)), mix(c(3)), mix(c(5)))
}

#[tokio::test]
async fn the_viewer_page_draws_the_plan_and_its_shapes_in_headless_chromium() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let codes: Vec<String> = (1..=5).flat_map(|f| (1..=4).map(move |n| format!("A-{f}0{n}"))).collect();
    let site = site(&admin, &codes.iter().map(String::as_str).collect::<Vec<_>>()).await;
    let made = body_of(
        admin
            .post("/v1/maps/overlays")
            .json(&json!({"name": "Palm Residences — site plan", "project_id": site.project, "file_type": "svg"})),
    )
    .await;
    let overlay = made["data"]["overlay"]["id"].as_str().unwrap().to_string();
    upload(&made["data"]["upload"], devserver::site_plan::svg().into_bytes(), "image/svg+xml").await;
    let ready = body_of(admin.post(&format!("/v1/maps/overlays/{overlay}/confirm"))).await;
    assert_eq!(ready["data"]["width_px"].as_f64(), Some(devserver::site_plan::WIDTH), "{ready}");
    let layer =
        id(&body_of(admin.post(&format!("/v1/maps/overlays/{overlay}/layers")).json(&json!({"name": "Tower A", "kind": "site"}))).await);
    for (i, unit) in site.units.iter().enumerate() {
        let (floor, n) = (i as i64 / 4 + 1, i as i64 % 4 + 1);
        let (x, y, w, h) = devserver::site_plan::tower_a_cell(floor, n);
        let (status, s) = draw(
            &admin,
            &overlay,
            json!({"layer_id": layer, "kind": "unit", "unit_id": unit, "rectangle": {"x": x, "y": y, "width": w, "height": h}}),
        )
        .await;
        assert_eq!(status, 201, "{s}");
    }
    // Two units on hold: their shapes turn purple.
    for unit in [&site.units[5], &site.units[14]] {
        let (status, held) = send(admin.request(Method::PATCH, &format!("/v1/units/{unit}/status")).json(&json!({"status": "hold"}))).await;
        assert_eq!(status, 200, "{held}");
    }
    let published = body_of(admin.post(&format!("/v1/maps/overlays/{overlay}/publish"))).await;
    let (url, view) = (published["data"]["url"].as_str().unwrap().to_string(), published["data"]["view_url"].as_str().unwrap().to_string());
    eventually("the holds on the public plan", PIPELINE, || async {
        let v: Value = reqwest::get(format!("{}{url}", stack().url)).await.unwrap().json().await.unwrap();
        let held = v["data"]["shapes"].as_array()?.iter().filter(|s| s["status"] == "hold").count();
        (held == 2).then_some(())
    })
    .await;

    let page = format!("{}{view}", stack().url);
    let shot = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots/maps-viewer.png");
    std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
    let (dom, png) = {
        let (page, shot) = (page.clone(), shot.clone());
        tokio::task::spawn_blocking(move || {
            let chromium = |extra: &[&str]| {
                let mut args = vec![
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    "--window-size=1280,900",
                    "--virtual-time-budget=10000",
                ];
                args.extend_from_slice(extra);
                args.push(&page);
                std::process::Command::new(crate::docs_page::browser()).args(&args).output().expect("chromium runs")
            };
            let dom = String::from_utf8_lossy(&chromium(&["--dump-dom"]).stdout).into_owned();
            let target = format!("--screenshot={}", shot.display());
            let out = chromium(&[&target]);
            assert!(shot.exists(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
            (dom, std::fs::read(&shot).unwrap())
        })
        .await
        .unwrap()
    };
    assert!(dom.contains(r#"data-viewer="ready""#), "the viewer's script ran: {:.3000}", dom);
    assert_eq!(dom.matches("data-shape=\"").count(), 20, "20 shapes: {:.3000}", dom);
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut rgba = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut rgba).unwrap();
    assert_eq!((info.width, info.height), (1280, 900));
    let rgba = if info.color_type == png::ColorType::Rgb { rgba.chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect() } else { rgba };
    let (green, purple) = (pixels_near(&rgba, blended("#2e7d32")), pixels_near(&rgba, blended("#6a1b9a")));
    assert!(green > 100_000, "18 available shapes drawn green: {green} pixels");
    assert!(purple > 10_000 && purple < green, "2 shapes on hold drawn purple: {purple} pixels");
}

#[tokio::test]
async fn geojson_export_imports_back_and_a_bad_feature_stops_the_whole_file() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let site = site(&admin, &["J-1", "J-2", "J-3"]).await;
    let (first, layer) = plan(&admin, &site, 1000, 800).await;
    for (i, unit) in site.units.iter().take(2).enumerate() {
        let (status, s) = draw(
            &admin,
            &first,
            json!({"layer_id": layer, "kind": "unit", "unit_id": unit, "geom_geojson": rect(i as f64 * 200., 0., 150., 100.)}),
        )
        .await;
        assert_eq!(status, 201, "{s}");
    }
    let exported = body_of(admin.post("/v1/maps/shapes/export").json(&json!({"overlay_id": first}))).await;
    assert_eq!(exported["data"]["type"], "FeatureCollection", "{exported}");
    let features = exported["data"]["features"].as_array().unwrap().clone();
    assert_eq!(features.len(), 2);
    assert_eq!((features[0]["type"].as_str(), features[0]["properties"]["status"].as_str()), (Some("Feature"), Some("available")));

    // Into a building's overlay: one feature linked by its unit's code, wound clockwise as GIS tools write it.
    let made =
        body_of(admin.post("/v1/maps/overlays").json(&json!({"name": "Floor 1", "building_id": site.building, "file_type": "png"}))).await;
    let second = made["data"]["overlay"]["id"].as_str().unwrap().to_string();
    upload(&made["data"]["upload"], png(1000, 800), "image/png").await;
    body_of(admin.post(&format!("/v1/maps/overlays/{second}/confirm"))).await;
    let floor = id(&body_of(
        admin.post(&format!("/v1/maps/overlays/{second}/layers")).json(&json!({"name": "F1", "kind": "floor", "floor_index": 1})),
    )
    .await);
    let clockwise = json!({"type": "Polygon", "coordinates": [[[600, 0], [600, 100], [750, 100], [750, 0], [600, 0]]]});
    let mut all = features.clone();
    all.push(json!({"type": "Feature", "geometry": clockwise, "properties": {"unit_code": "j-3", "stroke": "#000"}}));
    let import = |features: Vec<Value>, dry_run: bool| {
        admin.post("/v1/maps/shapes/import").json(&json!({"overlay_id": second, "layer_id": floor, "dry_run": dry_run, "geojson": {"type": "FeatureCollection", "features": features}}))
    };
    let dry = body_of(import(all.clone(), true)).await;
    assert_eq!((dry["data"]["checked"].as_u64(), dry["data"]["created"].as_array().map(Vec::len)), (Some(3), Some(0)), "{dry}");
    assert_eq!(admin.get_json(&format!("/v1/maps/overlays/{second}/shapes")).await["data"], json!([]), "a dry run writes nothing");

    // A file whose features overlap each other, or leave the plan: every problem named, nothing written.
    let mut bad = all.clone();
    bad.push(json!({"type": "Feature", "geometry": rect(650., 50., 100., 100.), "properties": {"unit_id": site.units[2]}}));
    bad.push(json!({"type": "Feature", "geometry": rect(900., 700., 200., 200.), "properties": {"unit_id": site.units[2]}}));
    bad.push(json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": {"unit_id": ulid::Ulid::new().to_string()}}));
    let (status, refused) = send(import(bad, false)).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        rules(&refused),
        [
            ("geojson.features[3].geometry".to_string(), "OVERLAP".to_string()),
            ("geojson.features[4].geometry.coordinates.0.1".to_string(), "OUT_OF_BOUNDS".to_string()),
            ("geojson.features[5].geometry".to_string(), "must be a GeoJSON Polygon".to_string()),
        ],
        "{refused}"
    );
    assert_eq!(admin.get_json(&format!("/v1/maps/overlays/{second}/shapes")).await["data"], json!([]), "nothing written");

    let done = body_of(import(all, false)).await;
    assert_eq!(done["data"]["created"].as_array().map(Vec::len), Some(3), "{done}");
    let back = body_of(admin.post("/v1/maps/shapes/export").json(&json!({"overlay_id": second, "kind": "unit"}))).await;
    let geoms: Vec<&Value> = back["data"]["features"].as_array().unwrap().iter().map(|f| &f["geometry"]).collect();
    assert_eq!(geoms[..2], [&features[0]["geometry"], &features[1]["geometry"]], "the same geometry round trip");
    assert_eq!(back["data"]["features"][2]["properties"]["unit_code"], "J-3");
    assert_eq!(back["data"]["features"][2]["geometry"], rect(600., 0., 150., 100.), "rewound by the right-hand rule");
}

/// The inbox entry of `family` `user` has, once the worker delivered it.
async fn notice(user: &TestApp, family: &str) -> Value {
    eventually(family, PIPELINE, || async {
        user.get_json("/v1/me/notifications").await["data"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["meta"]["template_code"] == family).cloned())
    })
    .await
}

#[tokio::test]
async fn watchers_hear_of_shape_changes_owners_of_publishing_and_the_editor_of_a_failed_validation() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let (manager, watcher) = (admin.colleague(&["manager"]).await, admin.colleague(&["sales_rep"]).await);
    let site = site(&admin, &["N-1"]).await;
    let (overlay, layer) = plan(&manager, &site, 800, 600).await;
    let (status, bad) = send(
        manager.request(Method::PATCH, &format!("/v1/maps/overlays/{overlay}")).json(&json!({"watchers": [ulid::Ulid::new().to_string()]})),
    )
    .await;
    assert_eq!((status, error_fields(&bad)), (400, vec!["watchers[0]".to_string()]), "only the tenant's users watch");
    let (status, _) = send(
        manager
            .request(Method::PATCH, &format!("/v1/maps/overlays/{overlay}"))
            .json(&json!({"watchers": [watcher.user.to_string(), manager.user.to_string()]})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, drawn) = draw(
        &manager,
        &overlay,
        json!({"layer_id": layer, "kind": "unit", "unit_id": site.units[0], "geom_geojson": rect(10., 10., 100., 100.)}),
    )
    .await;
    assert_eq!(status, 201, "{drawn}");
    let changed = notice(&watcher, "map.shape.changed").await;
    assert!(changed.to_string().contains("N-1"), "{changed}");
    // Published by the manager: the project's owner (the admin who made it) hears; the manager does not.
    let (status, _) = send(manager.post(&format!("/v1/maps/overlays/{overlay}/publish"))).await;
    assert_eq!(status, 201);
    notice(&admin, "map.overlay.published").await;
    // A validation that fails tells the editor who asked, with the fix.
    let component = id(&body_of(
        admin
            .post(&format!("/v1/units/{}/components", site.units[0]))
            .json(&json!({"component_type_code": "BALCONY", "length_m": 2, "width_m": 2})),
    )
    .await);
    let (status, _) =
        send(admin.post(&format!("/v1/maps/overlays/{overlay}/align")).json(&json!({"method": "simple", "scale": 0.1}))).await;
    assert_eq!(status, 200);
    let (status, comp) = draw(&manager, &overlay, json!({"layer_id": layer, "kind": "component", "unit_id": site.units[0], "unit_component_id": component, "component_type_code": "BALCONY", "geom_geojson": rect(20., 20., 20., 20.)})).await;
    assert_eq!(status, 201, "{comp}");
    let (status, _) =
        send(admin.request(Method::PATCH, &format!("/v1/units/{}/components/{component}", site.units[0])).json(&json!({"length_m": 6})))
            .await;
    assert_eq!(status, 200);
    let report = body_of(manager.post(&format!("/v1/maps/shapes/{}/validate", comp["data"]["id"].as_str().unwrap()))).await;
    assert_eq!(report["data"]["valid"], false, "{report}");
    let invalid = notice(&manager, "map.shape.invalid").await;
    assert!(invalid.to_string().contains("AREA_MISMATCH"), "{invalid}");
}

/// A GeoJSON file's job: its upload form, the file up, the job started; its id.
async fn file_import(app: &TestApp, overlay: &str, layer: &str, file: Vec<u8>, dry_run: bool) -> String {
    let (status, made) = send(app.post("/v1/maps/shapes/import/file").json(&json!({
        "overlay_id": overlay, "layer_id": layer, "filename": "site plan.geojson", "dry_run": dry_run, "change_note": "from the surveyor",
    })))
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        (made["data"]["job"]["type"].as_str(), made["data"]["job"]["status"].as_str()),
        (Some("map_shapes_import"), Some("awaiting_upload"))
    );
    let (status, answer) = upload(&made["data"]["upload"], file, "application/geo+json").await;
    assert_eq!(status / 100, 2, "upload: {answer}");
    let job = made["data"]["job"]["id"].as_str().unwrap().to_string();
    let (status, started) = send(app.post(&format!("/v1/jobs/{job}/start"))).await;
    assert_eq!(status, 202, "{started}");
    job
}

/// 300 features through the jobs, 5 of them bad, the first delivery of
/// each run dying after 150 (FAULT_IMPORT_CRASH_AFTER_FEATURES in the test
/// stack): the preview writes nothing, the import writes each good feature
/// exactly once and names each bad one on its row, the watcher hears once.
#[tokio::test]
async fn a_large_geojson_file_imports_through_the_jobs_exactly_once_across_a_crash() {
    let admin = TestApp::with_plan(&["admin"], "DevPro").await;
    let watcher = admin.colleague(&["sales_rep"]).await;
    let site = site(&admin, &["G-1", "G-2", "G-3"]).await;
    let (overlay, layer) = plan(&admin, &site, 3000, 2400).await;
    let (status, _) =
        send(admin.request(Method::PATCH, &format!("/v1/maps/overlays/{overlay}")).json(&json!({"watchers": [watcher.user.to_string()]})))
            .await;
    assert_eq!(status, 200);

    let mut features: Vec<Value> = (0..300)
        .map(|i| {
            let (x, y) = ((i % 20) as f64 * 150., (i / 20) as f64 * 150.);
            json!({"type": "Feature", "geometry": rect(x, y, 100., 100.), "properties": {"unit_id": site.units[i % 3], "label": format!("Plot {i}")}})
        })
        .collect();
    features[10]["geometry"] = rect(20., 20., 50., 50.); // inside feature 0: it overlaps it
    features[50]["geometry"] = rect(2950., 100., 100., 100.); // leaves the plan
    features[120]["properties"]["unit_id"] = json!(ulid::Ulid::new().to_string()); // no such unit
    features[200]["type"] = json!("Point"); // not a feature
                                            // Inside feature 5, two chunks and the crash later: a preview resumed past
                                            // the crash without the features it accepted before would miss it.
    features[250]["geometry"] = rect(760., 10., 50., 50.);
    let file = serde_json::to_vec(&json!({"type": "FeatureCollection", "name": "survey", "features": features})).unwrap();
    let expected_errors = [
        (11, "geometry", "OVERLAP"),
        (51, "geometry.coordinates.0.1", "OUT_OF_BOUNDS"),
        (121, "properties.unit_id", "no such unit"),
        (201, "type", "must be Feature"),
        (251, "geometry", "OVERLAP"),
    ];
    let errors_of = |job: &Value| -> Vec<(u64, String, String)> {
        job["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["row"].as_u64().unwrap(), e["field"].as_str().unwrap().to_string(), e["message"].as_str().unwrap().to_string()))
            .collect()
    };
    let check_errors = |job: &Value| {
        let errors = errors_of(job);
        assert_eq!(errors.len(), expected_errors.len(), "{errors:?}");
        for ((row, field, message), (want_row, want_field, want)) in errors.iter().zip(expected_errors) {
            assert_eq!((*row, field.as_str()), (want_row, want_field), "{errors:?}");
            assert!(message.contains(want), "{message}");
        }
    };
    let within = std::time::Duration::from_secs(300);

    let preview = crate::imports::finished(&admin, &file_import(&admin, &overlay, &layer, file.clone(), true).await, within).await;
    assert_eq!(preview["status"], "completed", "{preview}");
    assert_eq!(preview["counts"], json!({"processed": 300, "created": 295, "duplicates": 0, "failed": 5, "exported": 0}));
    assert!(preview["attempts"].as_u64().unwrap() >= 2, "the first delivery crashed: {preview}");
    check_errors(&preview);
    assert_eq!(admin.get_json(&format!("/v1/maps/overlays/{overlay}/shapes")).await["data"], json!([]), "a preview writes nothing");

    let job = crate::imports::finished(&admin, &file_import(&admin, &overlay, &layer, file, false).await, within).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["counts"], json!({"processed": 300, "created": 295, "duplicates": 0, "failed": 5, "exported": 0}));
    assert!(job["attempts"].as_u64().unwrap() >= 2, "the first delivery crashed: {job}");
    check_errors(&job);
    let shapes = admin.get_json(&format!("/v1/maps/overlays/{overlay}/shapes")).await["data"].as_array().unwrap().clone();
    let mut labels: Vec<String> = shapes.iter().map(|s| s["label"].as_str().unwrap().to_string()).collect();
    labels.sort();
    labels.dedup();
    assert_eq!((shapes.len(), labels.len()), (295, 295), "each good feature once, across the crash");
    let first = shapes.iter().find(|s| s["label"] == "Plot 0").unwrap();
    let versions = admin.get_json(&format!("/v1/maps/shapes/{}/versions", first["id"].as_str().unwrap())).await;
    assert_eq!(versions["data"][0]["change_note"], "from the surveyor", "{versions}");
    let changed = notice(&watcher, "map.shape.changed").await;
    assert!(changed.to_string().contains("295 shapes"), "{changed}");
    let heard = watcher.get_json("/v1/me/notifications").await["data"].as_array().unwrap().clone();
    assert_eq!(heard.iter().filter(|e| e["meta"]["template_code"] == "map.shape.changed").count(), 1, "the watcher hears once");

    // Not a FeatureCollection: the job fails, saying why; a name that is not GeoJSON's is refused at once.
    let bad = crate::imports::finished(&admin, &file_import(&admin, &overlay, &layer, b"plot,x,y\n".to_vec(), false).await, within).await;
    assert_eq!(bad["status"], "failed", "{bad}");
    assert!(bad["failure"].as_str().unwrap().contains("not a GeoJSON FeatureCollection"), "{bad}");
    let (status, refused) =
        send(admin.post("/v1/maps/shapes/import/file").json(&json!({"overlay_id": overlay, "layer_id": layer, "filename": "plots.csv"})))
            .await;
    assert_eq!((status, error_fields(&refused)), (400, vec!["filename".to_string()]), "{refused}");
    let (status, refused) =
        send(admin.post("/v1/maps/shapes/import/file").json(&json!({"overlay_id": ulid::Ulid::new().to_string(), "layer_id": layer})))
            .await;
    assert_eq!((status, error_fields(&refused)), (400, vec!["overlay_id".to_string()]), "{refused}");

    // The plan shrinks between the upload form and the start: the job holds
    // to the smaller one, writes what fits, and stops there, saying where.
    let phase2 =
        id(&body_of(admin.post(&format!("/v1/maps/overlays/{overlay}/layers")).json(&json!({"name": "Phase 2", "kind": "custom"}))).await);
    let small: Vec<Value> = (0..10)
        .map(|i| json!({"type": "Feature", "geometry": rect(i as f64 * 150., 0., 100., 100.), "properties": {"unit_id": site.units[0]}}))
        .collect();
    let (status, made) = send(admin.post("/v1/maps/shapes/import/file").json(&json!({"overlay_id": overlay, "layer_id": phase2}))).await;
    assert_eq!(status, 201, "{made}");
    let shrink = admin.request(Method::PUT, "/v1/admin/entitlements/overrides/tenant").json(&json!({"limits": {"maps.shapes.max": 300}}));
    assert_eq!(send(shrink).await.0, 200);
    let file = serde_json::to_vec(&json!({"type": "FeatureCollection", "features": small})).unwrap();
    assert_eq!(upload(&made["data"]["upload"], file, "application/geo+json").await.0 / 100, 2);
    let small_job = made["data"]["job"]["id"].as_str().unwrap().to_string();
    assert_eq!(send(admin.post(&format!("/v1/jobs/{small_job}/start"))).await.0, 202);
    let stopped = crate::imports::finished(&admin, &small_job, within).await;
    assert_eq!(stopped["status"], "failed", "{stopped}");
    assert_eq!((stopped["counts"]["processed"].as_u64(), stopped["counts"]["created"].as_u64()), (Some(5), Some(5)), "{stopped}");
    let failure = stopped["failure"].as_str().unwrap();
    assert!(failure.contains("LIMIT_REACHED") && failure.contains("stopped at feature 6"), "{failure}");
    let drawn = admin.get_json(&format!("/v1/maps/overlays/{overlay}/shapes?layer={phase2}")).await;
    assert_eq!(drawn["data"].as_array().map(Vec::len), Some(5), "{drawn}");
}
